"""A tiny trained model directory for tests and smoke runs (seconds on one CPU core).

``tiny_model_dir(base)`` generates a small synthetic corpus, trains the tiny LAAT config
(``medcoder.models.config.TINY_CONFIG``, packaged) and writes the model directory once per process
under ``base``. Training is seeded and single-threaded, so every process builds the same model.
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from medcoder.data.synth import generate_corpus
from medcoder.models.config import TINY_CONFIG, load_config
from medcoder.training.pipeline import train_model

_lock = threading.Lock()
_built: dict[Path, Path] = {}


def tiny_model_dir(base: str | Path, n_docs: int = 80, seed: int = 11) -> Path:
    """Train (once per process and ``base``) and return ``base/tiny_model``."""
    base = Path(base)
    with _lock:
        if base in _built:
            return _built[base]
        torch.set_num_threads(1)
        docs = generate_corpus(n_docs, seed)
        cut = int(len(docs) * 0.8)
        out = train_model(load_config(TINY_CONFIG), docs[:cut], docs[cut:], base / "tiny_model", track=False)
        _built[base] = out.model_dir
        return out.model_dir
