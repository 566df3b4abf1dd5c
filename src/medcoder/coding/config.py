"""The coding pipeline's settings: one frozen pydantic model, shared by the service, the CLI and batch jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class PipelineConfig(BaseModel):
    """Knobs of :class:`medcoder.coding.pipeline.CodingPipeline` (the ``pipeline`` part of the serving config)."""

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


def load_pipeline_config(path: str | Path | None = None) -> PipelineConfig:
    """The ``pipeline`` section of a serving YAML at ``path`` (a serving config works as is), or the
    defaults, which are the packaged serving config's: the CLI and the service code alike."""
    if path is None:
        return PipelineConfig()
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return PipelineConfig.model_validate(raw.get("pipeline") or {})
