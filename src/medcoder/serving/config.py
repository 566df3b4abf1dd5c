"""Serving settings: one pydantic model, read from a YAML file at call time.

The default file ships inside the package (``medcoder/serving/serving.yaml``), so an installed
wheel runs without the repository; pass a path or set ``MEDCODER_SERVING_CONFIG`` to use another.

Environment overrides (for ``bentoml serve`` workers, which get no command-line arguments):
``MEDCODER_MODEL_DIR``, ``MEDCODER_SERVING_CONFIG`` (the YAML file), ``MEDCODER_AUDIT_DB``,
``MEDCODER_CLAIMS_DB``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from medcoder.coding.config import PipelineConfig

CONFIG_ENV = "MEDCODER_SERVING_CONFIG"
MODEL_DIR_ENV = "MEDCODER_MODEL_DIR"
DEFAULT_CONFIG = Path(str(resources.files("medcoder.serving") / "serving.yaml"))


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


class MonitoringSettings(BaseModel):
    """What the service records for monitoring and how often it looks for a monitoring breach."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    embeddings: bool = Field(
        default=False,
        description="Record a 16-number MiniLM projection of each note (input-drift reports); costs a "
        "MiniLM forward per batch.",
    )
    poll_seconds: float = Field(
        default=30.0, ge=0.0, description="Seconds between reads of the newest monitor_breach/cleared event."
    )


class ServingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: str | None = None
    audit_url: str | None = Field(
        default=None, description="SQLAlchemy URL or SQLite path of the audit store."
    )
    claims_url: str | None = Field(
        default=None,
        description="Claims store URL or SQLite path (default $MEDCODER_CLAIMS_DB or medcoder_claims.db).",
    )
    charge_master: str | None = Field(
        default=None, description="code,charge CSV (default: the packaged example)."
    )
    denial_model_dir: str | None = Field(
        default=None, description="Denial model directory for the pre-bill check."
    )
    prebill_threshold: float = Field(default=0.30, ge=0.0, le=1.0)
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Larger request bodies get 413.")
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    batching: BatchingConfig = Field(default_factory=BatchingConfig)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    review_queue: bool = Field(
        default=True,
        description="Queue charts routed to review or escalation (with their note text) in the review "
        "store on the audit database, for the coder worklist (/v1/worklist).",
    )
    auth: dict[str, Any] = Field(
        default_factory=dict, description="See medcoder.serving.auth.load_auth_config."
    )


def load_serving_config(path: str | Path | None = None) -> ServingConfig:
    """Settings from ``path``, ``$MEDCODER_SERVING_CONFIG`` or the packaged serving.yaml (defaults if absent),
    then ``$MEDCODER_MODEL_DIR`` / ``$MEDCODER_AUDIT_DB`` on top."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    raw: dict[str, Any] = {}
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if os.environ.get(MODEL_DIR_ENV):
        raw["model_dir"] = os.environ[MODEL_DIR_ENV]
    if os.environ.get("MEDCODER_AUDIT_DB"):
        raw["audit_url"] = os.environ["MEDCODER_AUDIT_DB"]
    if os.environ.get("MEDCODER_CLAIMS_DB"):
        raw["claims_url"] = os.environ["MEDCODER_CLAIMS_DB"]
    return ServingConfig.model_validate(raw)
