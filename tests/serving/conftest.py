"""Fixtures for the serving tests: one tiny model directory per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from medcoder.serving.testing import tiny_model_dir

    return tiny_model_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def pipeline(tiny_model: Path):
    from medcoder.serving.pipeline import CodingPipeline

    return CodingPipeline.from_model_dir(tiny_model)
