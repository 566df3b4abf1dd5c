"""Serving settings: one pydantic model, read from ``configs/serving.yaml`` (or a path) at call time.

Environment overrides (for ``bentoml serve`` workers, which get no command-line arguments):
``MEDCODER_MODEL_DIR``, ``MEDCODER_SERVING_CONFIG`` (the YAML file), ``MEDCODER_AUDIT_DB``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from medcoder.paths import REPO_ROOT

CONFIG_ENV = "MEDCODER_SERVING_CONFIG"
MODEL_DIR_ENV = "MEDCODER_MODEL_DIR"
DEFAULT_CONFIG = REPO_ROOT / "configs" / "serving.yaml"


class PipelineConfig(BaseModel):
    """Knobs of :class:`medcoder.serving.pipeline.CodingPipeline`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_note_chars: int = Field(default=100_000, ge=1, description="Longer notes are refused (413).")
    max_codes: int = Field(default=25, ge=1, description="At most this many suggestions per chart.")
    evidence_method: Literal["attention", "attingrad", "integrated_gradients"] = "attention"
    evidence_spans: int = Field(default=3, ge=1, le=10)
    alternatives: int = Field(default=3, ge=0, le=10)
    alternative_min_probability: float = Field(default=0.02, ge=0.0, le=1.0)
    assertion_policy: Literal["suppress", "downweight", "off"] = "suppress"
    downweight_factor: float = Field(default=0.5, gt=0.0, lt=1.0)
    auto_min_probability: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Every suggestion must reach this for auto-finalize."
    )
    known_payers: tuple[str, ...] = ("MEDICARE", "MEDICAID", "COMMERCIAL", "SELF_PAY", "ACME")
    example_packs: bool = True
    batch_size: int = Field(default=16, ge=1)
    torch_threads: int = Field(
        default=1, ge=0, description="torch intra-op threads (0: leave torch's default)."
    )


class BatchingConfig(BaseModel):
    """The service's micro-batcher: requests queued while a batch runs (plus any arriving within
    ``max_latency_ms``) share the next model call, up to ``max_batch_size``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_batch_size: int = Field(default=16, ge=1)
    max_latency_ms: float = Field(
        default=0.0,
        ge=0.0,
        description="Extra wait for company after the first request; 0 = adaptive: take whatever queued "
        "up while the previous batch ran (no added latency when idle).",
    )


class ServingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: str | None = None
    audit_url: str | None = Field(
        default=None, description="SQLAlchemy URL or SQLite path of the audit store."
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Larger request bodies get 413.")
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    batching: BatchingConfig = Field(default_factory=BatchingConfig)
    auth: dict[str, Any] = Field(
        default_factory=dict, description="See medcoder.serving.auth.load_auth_config."
    )


def load_serving_config(path: str | Path | None = None) -> ServingConfig:
    """Settings from ``path``, ``$MEDCODER_SERVING_CONFIG`` or configs/serving.yaml (defaults if absent),
    then ``$MEDCODER_MODEL_DIR`` / ``$MEDCODER_AUDIT_DB`` on top."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    raw: dict[str, Any] = {}
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if os.environ.get(MODEL_DIR_ENV):
        raw["model_dir"] = os.environ[MODEL_DIR_ENV]
    if os.environ.get("MEDCODER_AUDIT_DB"):
        raw["audit_url"] = os.environ["MEDCODER_AUDIT_DB"]
    return ServingConfig.model_validate(raw)
