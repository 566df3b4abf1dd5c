"""Monitoring thresholds (``configs/monitoring.yaml``), validated when loaded."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PATH = Path("configs/monitoring.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputThresholds(_Strict):
    max_drifted_share: float = Field(0.3, gt=0.0, le=1.0)
    max_embedding_auc: float = Field(0.6, gt=0.5, le=1.0)
    embedding_rows: int = Field(1000, ge=20)


class PredictionThresholds(_Strict):
    max_drifted_share: float = Field(0.5, gt=0.0, le=1.0)
    code_p_value: float = Field(0.001, gt=0.0, lt=1.0)
    top_codes: int = Field(30, ge=1)


class QualityThresholds(_Strict):
    min_decided: int = Field(30, ge=1)
    max_override_rate: float = Field(0.35, gt=0.0, le=1.0)
    max_miss_rate: float = Field(0.5, gt=0.0)


class DenialThresholds(_Strict):
    min_lines: int = Field(50, ge=1)
    max_denial_rate: float = Field(0.2, gt=0.0, le=1.0)
    spike_alpha: float = Field(0.05, gt=0.0, lt=1.0)


class MonitorConfig(_Strict):
    """Thresholds of every check; see ``configs/monitoring.yaml`` for what each means."""

    min_charts: int = Field(30, ge=1)
    drift_p_value: float = Field(0.01, gt=0.0, lt=1.0)
    input: InputThresholds = InputThresholds()
    prediction: PredictionThresholds = PredictionThresholds()
    quality: QualityThresholds = QualityThresholds()
    denials: DenialThresholds = DenialThresholds()


def load_monitor_config(path: str | Path | None = None) -> MonitorConfig:
    """``path`` (default ``configs/monitoring.yaml`` when it exists, else the built-in defaults)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.is_file():
        if path == DEFAULT_PATH:
            return MonitorConfig()
        raise FileNotFoundError(f"monitoring config {path} does not exist")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return MonitorConfig.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
