"""What a ``medcoder bench codiesp`` run is made of: its configuration, model names and runs.

Plain records shared by the benchmark driver (``medcoder.evaluation.bench``) and the scoring of
its runs (``medcoder.evaluation.scoring``), so neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcoder.data.records import CodeSystem

TASK_SYSTEM = {"D": CodeSystem.ICD10CM, "P": CodeSystem.ICD10PCS}
BASELINES = (
    "most_frequent",
    "tfidf_lr",
    "knn",
    "mention_knn",
    "mention_knn_emb",
    "mention_lr",
    "dict",
    "tfidf_lr+dict",
)
NEURAL = ("laat", "plm_icd")
MENTION_PREFIX = "mention_"  # + a neural name: trained on cited sentences
ENSEMBLE = "ensemble"  # fused from the other models of the same run, weights chosen on dev
DEFAULT_MODELS = BASELINES
# models a default ensemble leaves out: a constant ranking, and a fusion already inside the ensemble
ENSEMBLE_SKIP = ("most_frequent", "tfidf_lr+dict")


@dataclass(frozen=True)
class BenchConfig:
    """What one ``medcoder bench codiesp`` run does."""

    task: str = "D"
    models: tuple[str, ...] = DEFAULT_MODELS
    root: Path | None = None
    map_depth: int = 50
    min_positives: int = 5
    few_shot_max: int = 5
    max_minutes: float | None = None
    isolate: bool = True
    combo_weights: tuple[float, ...] = (0.0, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2)  # 0 = dictionary off
    combo_min_coverage: float = 0.8
    config_dir: Path = Path("configs/model")
    limit_docs: int | None = None  # tests: first N documents of each split
    runs_dir: Path | None = None  # each model's dev/test scores are saved here (<name>.npz + .json)
    reuse_runs: bool = False  # load a saved run from runs_dir instead of fitting the model again
    ensemble_members: tuple[str, ...] | None = None  # None: every fitted model but ENSEMBLE_SKIP
    ensemble_steps: int = 10  # weight grid resolution (1/steps)

    def __post_init__(self) -> None:
        if self.task not in TASK_SYSTEM:
            raise ValueError(f"task must be 'D' or 'P', got {self.task!r}")
        allowed = (*BASELINES, *NEURAL, *(MENTION_PREFIX + n for n in NEURAL), ENSEMBLE)
        names = (*self.models, *(self.ensemble_members or ()))
        unknown = [m for m in names if m not in allowed and not self._is_variant(m)]
        if unknown or not self.models:
            raise ValueError(
                f"unknown model(s) {unknown}; choose from {', '.join(allowed)}, or a variant "
                f"'laat-X' / 'plm_icd-X' / 'mention_plm_icd-X' with its config at "
                f"{self.config_dir}/codiesp_<name>.yaml"
            )
        if self.reuse_runs and self.runs_dir is None:
            raise ValueError("reuse_runs needs runs_dir (where the saved runs are)")

    def _is_variant(self, name: str) -> bool:
        return neural_arch(name) is not None and (self.config_dir / f"codiesp_{name}.yaml").exists()


def neural_arch(name: str) -> str | None:
    """The neural architecture of a model name: ``laat``, ``plm_icd``, or a variant such as
    ``plm_icd-ft`` (same architecture, its own config file ``codiesp_plm_icd-ft.yaml``); else None.

    A ``mention_`` prefix (``mention_plm_icd``, ``mention_laat-X``) names the same architecture
    trained on cited sentences (``MentionNeuralCoder``)."""
    arch = name.removeprefix(MENTION_PREFIX).split("-", 1)[0]
    return arch if arch in NEURAL else None


@dataclass(frozen=True)
class ModelRun:
    """What fitting one model produced: its label keys, dev/test scores and cost figures."""

    name: str
    label_keys: tuple[str, ...] = ()
    dev_scores: np.ndarray | None = None
    test_scores: np.ndarray | None = None
    train_seconds: float = 0.0
    dev_predict_seconds: float = 0.0
    test_predict_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    fit_stats: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    created: str = ""  # when the scores were computed (UTC, ISO 8601); reused runs keep theirs
