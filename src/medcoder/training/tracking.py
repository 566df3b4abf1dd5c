"""MLflow tracking for training runs: params, metrics, the model directory, lineage tags, registry.

``log_to_model_run`` adds calibration and routing figures to the run that trained a model.

Default store: ``sqlite:///<dir>/mlflow.db`` with artifacts under ``<dir>/artifacts`` (never the
current directory). Any tracking URI (an MLflow server) can be configured instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from medcoder.data.records import Document
from medcoder.models.bundle import read_versions
from medcoder.models.config import TrackingParams

log = logging.getLogger(__name__)


def data_hash(docs: Iterable[Document]) -> str:
    """SHA-256 over document ids, texts and gold codes (order-sensitive): which data a run saw."""
    h = hashlib.sha256()
    for d in docs:
        h.update(d.id.encode())
        h.update(b"\0")
        h.update(d.text.encode())
        h.update(b"\0")
        h.update("|".join(f"{c.system.value}:{c.code}" for c in d.labels).encode())
        h.update(b"\n")
    return h.hexdigest()


def git_sha(cwd: str | Path | None = None) -> str:
    """The checked-out commit (``+dirty`` when the tree has changes), or ``unknown`` outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def tracking_uri(params: TrackingParams) -> str:
    """The configured URI, or a SQLite file inside ``params.dir`` (created)."""
    if params.uri:
        return params.uri
    folder = Path(params.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _experiment_id(mlflow, params: TrackingParams) -> str:
    exp = mlflow.get_experiment_by_name(params.experiment)
    if exp is not None:
        return exp.experiment_id
    artifacts = (Path(params.dir).resolve() / "artifacts").as_uri() if not params.uri else None
    return mlflow.create_experiment(params.experiment, artifact_location=artifacts)


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict -> ``{"optim.lr": 0.001, ...}`` (MLflow params are flat)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = json.dumps(v) if isinstance(v, list | dict) else v
    return out


def log_training_run(
    params: TrackingParams,
    config: Mapping[str, Any],
    metrics: Mapping[str, float],
    model_dir: Path,
    tags: Mapping[str, str],
    model_name: str,
    run_name: str | None = None,
) -> dict[str, Any]:
    """Log one run and register ``model_dir`` as a new version of ``model_name``.

    Returns ``{"run_id", "model_name", "model_version", "tracking_uri"}``; the version is also
    written into ``model_dir/versions.json``.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(params)
    mlflow.set_tracking_uri(uri)
    exp_id = _experiment_id(mlflow, params)
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as run:
        mlflow.log_params(flatten(config))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, int | float)})
        mlflow.set_tags(dict(tags))
        client = MlflowClient(uri)
        try:
            client.get_registered_model(model_name)
        except mlflow.exceptions.MlflowException:
            client.create_registered_model(model_name, description="medcoder label-wise attention coder")
        source = f"{run.info.artifact_uri}/model"
        mv = client.create_model_version(model_name, source=source, run_id=run.info.run_id, tags=dict(tags))
        versions_path = model_dir / "versions.json"
        versions = json.loads(versions_path.read_text(encoding="utf-8")) if versions_path.exists() else {}
        versions.update(
            {
                "model_name": model_name,
                "model_version": int(mv.version),
                "mlflow_run_id": run.info.run_id,
                "mlflow_tracking_uri": uri,
            }
        )
        versions_path.write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
        mlflow.log_artifacts(str(model_dir), artifact_path="model")
    log.info("MLflow run %s registered %s version %s", run.info.run_id, model_name, mv.version)
    return {
        "run_id": run.info.run_id,
        "model_name": model_name,
        "model_version": int(mv.version),
        "tracking_uri": uri,
    }


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
    versions = read_versions(model_dir)
    run_id, uri = versions.get("mlflow_run_id"), versions.get("mlflow_tracking_uri")
    if not run_id or not uri:
        log.info("%s has no MLflow run (trained with --no-track): routing figures not logged", model_dir)
        return None
    import mlflow  # lazy: MLflow takes seconds to import and most commands never log

    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"calibrate.{k}": v for k, v in flat_metrics(metrics).items()})
        for f in files:
            if Path(f).exists():
                mlflow.log_artifact(str(f), artifact_path="model")
    return str(run_id)
