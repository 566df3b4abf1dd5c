"""medcoder.training: Lightning training of the neural coders, model directories, MLflow and Optuna.

``build_coder("laat" | "plm_icd", config)`` returns a ``Coder`` (fit / predict_scores) for the
benchmark harness. Imported lazily so ``medcoder --help`` does not load torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_coder", "load_model_dir", "save_model_dir", "train_model"]


def __getattr__(name: str) -> Any:
    if name == "build_coder":
        from medcoder.training.coder import build_coder

        return build_coder
    if name == "load_model_dir":
        from medcoder.training.model_dir import load_model_dir

        return load_model_dir
    if name == "save_model_dir":
        from medcoder.training.model_dir import save_model_dir

        return save_model_dir
    if name == "train_model":
        from medcoder.training.pipeline import train_model

        return train_model
    raise AttributeError(f"module 'medcoder.training' has no attribute {name!r}")
