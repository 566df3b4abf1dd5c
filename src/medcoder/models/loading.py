"""Load any model directory medcoder writes: a neural bundle (LAAT / PLM-ICD) or the index coder."""

from __future__ import annotations

from pathlib import Path

from medcoder.models.bundle import ModelBundle
from medcoder.models.index_bundle import MARKER, IndexBundle

AnyBundle = ModelBundle | IndexBundle


def load_model(path: str | Path) -> AnyBundle:
    """``IndexBundle`` when the directory holds ``index_coder.json``, else ``ModelBundle``."""
    path = Path(path)
    if (path / MARKER).exists():
        return IndexBundle.load(path)
    return ModelBundle.load(path)


def is_index_model(path: str | Path) -> bool:
    return (Path(path) / MARKER).exists()
