"""Optuna search over training knobs with Lightning pruning and MLflow-tracked trials.

Each trial trains with ``train_model`` (dev MAP is the objective); unpromising trials are pruned
epoch by epoch through optuna-integration's ``PyTorchLightningPruningCallback`` on ``dev_map``.
The best parameters are merged into a YAML params file (``params.yaml``'s ``train`` section by
default) so ``dvc repro`` picks them up.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medcoder.data.records import Document
from medcoder.models.config import TrainConfig, load_config

log = logging.getLogger(__name__)

SearchSpace = Callable[[Any], dict[str, Any]]  # optuna.Trial -> overrides like {"optim__lr": 1e-3}


def default_space(trial: Any) -> dict[str, Any]:
    """Learning rate, dropout and width for LAAT; learning rates and projection for PLM-ICD."""
    space = {
        "optim__lr": trial.suggest_float("optim__lr", 3e-4, 5e-3, log=True),
        "laat__dropout": trial.suggest_float("laat__dropout", 0.0, 0.4),
        "laat__hidden": trial.suggest_categorical("laat__hidden", [64, 128, 256]),
        "laat__proj": trial.suggest_categorical("laat__proj", [64, 128, 256]),
    }
    return space


def plm_space(trial: Any) -> dict[str, Any]:
    return {
        "optim__lr": trial.suggest_float("optim__lr", 3e-4, 3e-3, log=True),
        "plm__encoder_lr": trial.suggest_float("plm__encoder_lr", 1e-5, 1e-4, log=True),
        "plm__proj": trial.suggest_categorical("plm__proj", [128, 256]),
    }


@dataclass(frozen=True)
class TuneResult:
    best_value: float
    best_params: dict[str, Any]
    n_trials: int
    n_pruned: int


def tune(
    base: TrainConfig,
    train: Sequence[Document],
    dev: Sequence[Document],
    work_dir: str | Path,
    n_trials: int = 10,
    space: SearchSpace | None = None,
    timeout_s: float | None = None,
    pruner: Any | None = None,
) -> TuneResult:
    """Run an Optuna study (TPE sampler seeded by ``base.seed``, median pruner unless ``pruner`` is
    given); returns the best trial. A pruned trial's model directory is deleted."""
    import optuna
    from optuna_integration import PyTorchLightningPruningCallback

    from medcoder.training.pipeline import train_model

    space = space or (plm_space if base.model == "plm_icd" else default_space)
    work = Path(work_dir)

    def objective(trial: optuna.Trial) -> float:
        overrides = space(trial)
        cfg = load_config(base, **overrides)
        cfg.tracking.registered_model = cfg.tracking.registered_model or f"medcoder-{cfg.model}-tune"
        pruner = PyTorchLightningPruningCallback(trial, monitor="dev_map")
        trial_dir = work / f"trial_{trial.number}"
        try:
            result = train_model(cfg, train, dev, trial_dir, callbacks=[pruner])
            pruner.check_pruned()
        except optuna.TrialPruned:
            shutil.rmtree(trial_dir, ignore_errors=True)  # a pruned model is never used: free the disk
            raise
        return result.metrics["dev_map"]

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=base.seed),
        pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    study.optimize(objective, n_trials=n_trials, timeout=timeout_s, catch=())
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    if pruned == len(study.trials):
        raise RuntimeError(
            f"all {pruned} trials were pruned: no parameters to write (widen the search or raise n_trials)"
        )
    return TuneResult(float(study.best_value), dict(study.best_params), len(study.trials), pruned)


def write_best_params(best: dict[str, Any], params_file: str | Path, section: str = "train") -> Path:
    """Merge ``{"optim__lr": x}`` style params into ``params_file[section]`` as nested keys (file created if absent)."""
    path = Path(params_file)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    data = data or {}
    node = data.setdefault(section, {})
    for key, value in best.items():
        *parents, leaf = key.split("__")
        target = node
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
