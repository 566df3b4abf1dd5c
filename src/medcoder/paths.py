"""Where medcoder finds shared public data and writes its outputs. Read at call time, never at import."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """The public data folder: ``$MEDCODER_SHARED_DATA`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("MEDCODER_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def codiesp_dir() -> Path:
    """The CodiEsp corpus folder (``train/``, ``dev/``, ``test/``): ``$MEDCODER_CODIESP`` or shared data."""
    env = os.environ.get("MEDCODER_CODIESP")
    return Path(env) if env else shared_data_dir() / "codiesp"
