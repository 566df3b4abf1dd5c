"""MLflow tracking into a local SQLite store, registry versions, and Optuna tuning with pruning."""

from __future__ import annotations

import json

import pytest
import yaml

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.config import load_config
from medcoder.training.tracking import data_hash, flatten
from medcoder.training.tune import write_best_params


def test_data_hash_changes_with_labels_and_text():
    a = Document("d1", "chest pain", labels=(CodeLabel(CodeSystem.ICD10CM, "R07.9"),))
    b = Document("d1", "chest pain", labels=(CodeLabel(CodeSystem.ICD10CM, "R07.89"),))
    assert data_hash([a]) == data_hash([a]) != data_hash([b]) != data_hash([Document("d1", "chest pains")])
    assert len(data_hash([a])) == 64


def test_flatten_nested_params():
    assert flatten({"optim": {"lr": 0.1}, "labels": {"systems": ["ICD-10-CM"]}}) == {
        "optim.lr": 0.1,
        "labels.systems": '["ICD-10-CM"]',
    }


def test_write_best_params_merges_into_section(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("prepare: {n: 3}\ntrain: {optim: {batch_size: 4}}\n")
    write_best_params({"optim__lr": 0.002, "laat__hidden": 64}, path)
    assert yaml.safe_load(path.read_text()) == {
        "prepare": {"n": 3},
        "train": {"optim": {"batch_size": 4, "lr": 0.002}, "laat": {"hidden": 64}},
    }


@pytest.mark.slow
def test_training_runs_are_logged_and_registered(
    tiny_train, tiny_dev, tiny_config_path, tmp_path, monkeypatch
):
    import mlflow

    from medcoder.training.pipeline import train_model

    monkeypatch.chdir(tmp_path)  # nothing may land in the cwd by accident
    cfg = load_config(
        tiny_config_path, tracking__enabled=True, tracking__dir=str(tmp_path / "mlf"), optim__max_epochs=1
    )
    first = train_model(cfg, tiny_train, tiny_dev, tmp_path / "m1")
    second = train_model(cfg, tiny_train, tiny_dev, tmp_path / "m2")
    assert (first.tracking["model_version"], second.tracking["model_version"]) == (1, 2)
    assert json.loads((tmp_path / "m2" / "versions.json").read_text())["model_version"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m1", "m2", "mlf"]
    client = mlflow.tracking.MlflowClient(first.tracking["tracking_uri"])
    run = client.get_run(second.tracking["run_id"])
    assert run.data.params["optim.max_epochs"] == "1"
    assert run.data.tags["data_hash.train"] == data_hash(tiny_train)
    assert "code_set.ICD-10-CM" in run.data.tags and "git_sha" in run.data.tags
    assert "dev_map" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
    assert {"model/weights.safetensors", "model/labels.json", "model/thresholds.json"} <= artifacts


@pytest.mark.slow
def test_tune_writes_best_params(tiny_train, tiny_dev, tiny_config_path, tmp_path):
    from medcoder.training.tune import tune

    base = load_config(
        tiny_config_path, optim__max_epochs=2, tracking__enabled=True, tracking__dir=str(tmp_path / "mlf")
    )

    def space(trial):
        return {"optim__lr": trial.suggest_float("optim__lr", 1e-3, 2e-2, log=True)}

    res = tune(base, tiny_train, tiny_dev, tmp_path / "trials", n_trials=2, space=space)
    assert res.n_trials == 2 and 1e-3 <= res.best_params["optim__lr"] <= 2e-2
    assert 0.0 < res.best_value <= 1.0
    path = write_best_params(res.best_params, tmp_path / "params.yaml")
    assert yaml.safe_load(path.read_text())["train"]["optim"]["lr"] == res.best_params["optim__lr"]


@pytest.mark.slow
def test_pruned_trials_leave_no_model_directory(tiny_train, tiny_dev, tiny_config_path, tmp_path):
    import optuna

    from medcoder.training.tune import tune

    base = load_config(tiny_config_path, optim__max_epochs=2, tracking__enabled=False)

    def space(trial):
        return {"optim__lr": trial.suggest_float("optim__lr", 1e-3, 2e-2, log=True)}

    always = optuna.pruners.ThresholdPruner(lower=2.0)  # dev MAP is never >= 2: every trial is pruned
    with pytest.raises(RuntimeError, match="all 2 trials were pruned"):
        tune(base, tiny_train, tiny_dev, tmp_path / "trials", n_trials=2, space=space, pruner=always)
    assert not list((tmp_path / "trials").glob("trial_*"))
