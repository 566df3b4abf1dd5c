"""Shared fixtures. Tests that need ../shared/data skip when it is absent, and fail when
MEDCODER_REQUIRE_SHARED_DATA=1 (which .ci/run sets)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medcoder.paths import shared_data_dir


def require_shared(*parts: str) -> Path:
    """Return a path under the shared data folder, or skip (fail when it is required)."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        msg = f"shared data not found: {path}"
        if os.environ.get("MEDCODER_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(msg + " (MEDCODER_REQUIRE_SHARED_DATA=1)")
        pytest.skip(msg)
    return path


@pytest.fixture
def shared_data() -> Path:
    return require_shared()


def cited_document(doc_id: str, lines: list[str], codes: dict[str, list[int]]):
    """A Document of ``lines`` (joined by newlines); ``codes`` maps each ICD-10-CM code to the line
    numbers cited as its evidence (one span per cited line)."""
    import numpy as np

    from medcoder.data.records import CodeLabel, CodeSystem, Document, Span

    text = "\n".join(lines)
    starts = np.cumsum([0] + [len(x) + 1 for x in lines])
    labels = tuple(
        CodeLabel(
            CodeSystem.ICD10CM, c, tuple(Span(int(starts[i]), int(starts[i]) + len(lines[i])) for i in rows)
        )
        for c, rows in codes.items()
    )
    return Document(id=doc_id, text=text, labels=labels)


def tiny_bert_config(vocab_size: int = 50, max_positions: int = 32) -> dict[str, object]:
    """A one-layer, 16-wide random BERT config for PLM-ICD tests (no checkpoint download)."""
    return {
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": max_positions,
    }


@pytest.fixture
def codiesp_dir() -> Path:
    return require_shared("codiesp")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny trained model directory per test session (coding and serving tests)."""
    from medcoder.training.testing import tiny_model_dir

    return tiny_model_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def pipeline(tiny_model: Path):
    """The coding pipeline over ``tiny_model``."""
    from medcoder.coding.pipeline import CodingPipeline

    return CodingPipeline.from_model_dir(tiny_model)
