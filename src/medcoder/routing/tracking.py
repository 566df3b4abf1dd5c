"""Log calibration and routing figures and files to the MLflow run that trained the model.

``medcoder.training.tracking.log_training_run`` writes ``mlflow_run_id`` and ``mlflow_tracking_uri``
into ``versions.json``; when they are there, this module reopens that run and adds metrics
(prefixed ``calibrate.``) and the routing files as artifacts under ``model/``. Without them (a
model trained with ``--no-track``) it logs nothing and says so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


def flat_metrics(d: Mapping, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested mapping as ``a.b.c -> float`` (finite values only)."""
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flat_metrics(v, key + "."))
        elif (
            isinstance(v, int | float)
            and not isinstance(v, bool)
            and abs(float(v)) != float("inf")
            and v == v
        ):
            out[key] = float(v)
    return out


def log_to_model_run(model_dir: str | Path, metrics: Mapping, files: Sequence[str | Path]) -> str | None:
    """Add metrics and files to the model's MLflow run; returns the run id, or None when the model has none."""
    model_dir = Path(model_dir)
    versions = json.loads((model_dir / "versions.json").read_text(encoding="utf-8"))
    run_id, uri = versions.get("mlflow_run_id"), versions.get("mlflow_tracking_uri")
    if not run_id or not uri:
        log.info("%s has no MLflow run (trained with --no-track): routing figures not logged", model_dir)
        return None
    import mlflow

    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"calibrate.{k}": v for k, v in flat_metrics(metrics).items()})
        for f in files:
            if Path(f).exists():
                mlflow.log_artifact(str(f), artifact_path="model")
    return str(run_id)
