"""``train_model``: fit a coder, tune thresholds on dev, write the model directory, track the run.

The CLI, DVC stage, Optuna trials and notebooks all call this one function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.data.records import Document
from medcoder.metrics.codiesp_map import codiesp_map, ranked_codes
from medcoder.metrics.multilabel import mean_average_precision, precision_recall_f1
from medcoder.metrics.thresholds import tune_thresholds
from medcoder.models.bundle import save_bundle
from medcoder.models.config import TrainConfig
from medcoder.models.descriptions import code_set_versions
from medcoder.training.coder import NeuralCoder, build_coder
from medcoder.training.tracking import data_hash, git_sha, log_training_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    metrics: dict[str, float]
    tracking: dict[str, Any] | None


def dev_metrics(
    coder: NeuralCoder, dev: Sequence[Document], scores: np.ndarray, thresholds: Any
) -> dict[str, float]:
    """Dev figures: CodiEsp-style MAP over every gold code of the label systems (official denominator
    and over all gold documents), matrix MAP over the label space, micro/macro F1 at the thresholds."""
    systems = set(coder.config.labels.systems)
    keys = coder.label_space.keys()
    gold = {d.id: [f"{c.system.value}:{c.code}" for c in d.labels if c.system in systems] for d in dev}
    ranked = codiesp_map(gold, ranked_codes([d.id for d in dev], scores, keys, top_k=50))
    y = coder.label_space.encode(dev)
    pred = scores >= thresholds.vector(keys)[None, :]
    _, _, micro_f1 = precision_recall_f1(y, pred, "micro")
    _, _, macro_f1 = precision_recall_f1(y, pred, "macro")
    return {
        "dev_map": ranked.official,
        "dev_map_all_gold": ranked.all_gold,
        "dev_matrix_map": mean_average_precision(y, scores),
        "dev_micro_f1": micro_f1,
        "dev_macro_f1": macro_f1,
        "dev_global_threshold": thresholds.global_threshold,
    }


def train_model(
    config: TrainConfig,
    train: Sequence[Document],
    dev: Sequence[Document],
    out: str | Path,
    callbacks: Sequence[Any] = (),
    track: bool | None = None,
) -> TrainResult:
    """Fit ``config.model`` on ``train`` (early stopping on ``dev``), tune thresholds on dev and save to ``out``."""
    coder = build_coder(config.model, config)
    coder.fit(train, dev, callbacks=callbacks)
    t0 = time.perf_counter()
    scores = coder.predict_scores(dev)
    infer_s = time.perf_counter() - t0
    thresholds = tune_thresholds(
        coder.label_space.encode(dev), scores, coder.label_space.keys(), min_positives=5
    )
    metrics = {
        **coder.fit_stats,
        **dev_metrics(coder, dev, scores, thresholds),
        "infer_docs_per_s": len(dev) / max(infer_s, 1e-9),
        "n_train": len(train),
        "n_dev": len(dev),
    }
    hashes = {"train": data_hash(train), "dev": data_hash(dev)}
    out = save_bundle(coder, out, thresholds, metrics, {"data_hash": hashes, "git_sha": git_sha()})
    tracking = None
    if config.tracking.enabled if track is None else track:
        tags = {
            "git_sha": git_sha(),
            "data_hash.train": hashes["train"],
            "data_hash.dev": hashes["dev"],
            **{f"code_set.{k}": v for k, v in code_set_versions().items()},
        }
        name = config.tracking.registered_model or f"medcoder-{config.model}"
        tracking = log_training_run(config.tracking, config.resolved(), metrics, out, tags, name)
    log.info("trained %s -> %s: dev_map %.4f", config.model, out, metrics["dev_map"])
    return TrainResult(out, metrics, tracking)
