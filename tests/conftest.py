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


@pytest.fixture
def codiesp_dir() -> Path:
    return require_shared("codiesp")
