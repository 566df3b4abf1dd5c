"""Routing figures land in the model's MLflow run (local SQLite store), or nowhere without one."""

from __future__ import annotations

import json

import pytest

from medcoder.training.tracking import flat_metrics, log_to_model_run


def test_flat_metrics_keeps_finite_numbers_only():
    got = flat_metrics({"a": {"b": 1, "c": float("inf"), "d": "x", "e": True}, "f": 0.5, "g": None})
    assert got == {"a.b": 1.0, "f": 0.5}


def test_no_run_no_logging(tmp_path):
    (tmp_path / "versions.json").write_text("{}")
    assert log_to_model_run(tmp_path, {"x": 1.0}, []) is None


@pytest.mark.slow
def test_logs_into_the_training_run(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    with mlflow.start_run(experiment_id=exp) as run:
        pass
    model = tmp_path / "model"
    model.mkdir()
    (model / "versions.json").write_text(
        json.dumps({"mlflow_run_id": run.info.run_id, "mlflow_tracking_uri": uri})
    )
    (model / "routing.json").write_text("{}")
    rid = log_to_model_run(
        model, {"guarantee": {"threshold": 0.46, "n_accepted": 1197}}, [model / "routing.json"]
    )
    assert rid == run.info.run_id
    metrics = mlflow.get_run(rid).data.metrics
    assert (
        metrics["calibrate.guarantee.threshold"] == 0.46 and metrics["calibrate.guarantee.n_accepted"] == 1197
    )
    assert [a.path for a in mlflow.MlflowClient(uri).list_artifacts(rid, "model")] == ["model/routing.json"]
