"""Training end to end on a tiny corpus: fast_dev_run, model directory round trip, zero-shot codes, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from medcoder.data.records import CodeSystem
from medcoder.models.base import Label
from medcoder.models.bundle import ModelBundle, save_bundle
from medcoder.models.config import load_config
from medcoder.training.coder import build_coder
from medcoder.training.module import doc_average_precision


def test_doc_average_precision_hand_computed():
    scores = np.array([[0.9, 0.8, 0.1, 0.5], [0.2, 0.1, 0.3, 0.4]])
    gold = np.array([[1, 0, 1, 0], [0, 0, 0, 0]])  # second document has no gold: ignored
    # ranking of doc 1: c0 (hit, P=1/1), c1, c3, c2 (hit, P=2/4) -> AP = (1 + 0.5) / 2
    assert doc_average_precision(scores, gold) == pytest.approx(0.75)


@pytest.mark.slow
def test_fast_dev_run_on_tiny_config(tiny_train, tiny_dev, tiny_config_path, tiny_descriptions):
    coder = build_coder("laat", load_config(tiny_config_path, trainer__fast_dev_run=True), tiny_descriptions)
    coder.fit(tiny_train, tiny_dev)
    scores = coder.predict_scores(tiny_dev)
    assert scores.shape == (len(tiny_dev), 6)
    assert np.isfinite(scores).all() and ((scores > 0) & (scores < 1)).all()


@pytest.mark.slow
def test_fitted_model_ranks_gold_codes_high(fitted_laat, tiny_dev):
    scores = fitted_laat.predict_scores(tiny_dev)
    assert doc_average_precision(scores, fitted_laat.label_space.encode(tiny_dev)) > 0.8


@pytest.mark.slow
def test_model_dir_round_trip(fitted_laat, tiny_dev, tmp_path):
    thresholds = {"global_threshold": 0.4, "per_label": {"ICD-10-CM:I10": 0.7}}
    save_bundle(fitted_laat, tmp_path / "m", thresholds, {"dev_map": 0.9})
    loaded = ModelBundle.load(tmp_path / "m")
    np.testing.assert_allclose(
        loaded.predict_scores(tiny_dev), fitted_laat.predict_scores(tiny_dev), atol=1e-6
    )
    assert loaded.label_space.keys() == fitted_laat.label_space.keys()
    assert loaded.threshold_vector[loaded.label_space.keys().index("ICD-10-CM:I10")] == pytest.approx(0.7)
    assert loaded.metrics == {"dev_map": 0.9}
    assert "ICD-10-CM" in loaded.versions["code_sets"]
    top = loaded.suggest("assessment: essential hypertension.", top_k=1, min_probability=0.0)
    assert [(s.system, s.code, s.description) for s in top] == [
        (CodeSystem.ICD10CM, "I10", "Essential (primary) hypertension")
    ]


@pytest.mark.slow
def test_zero_shot_code_added_after_training(fitted_laat, tmp_path, tiny_descriptions):
    save_bundle(fitted_laat, tmp_path / "m")
    model = ModelBundle.load(tmp_path / "m")
    asthma = Label(CodeSystem.ICD10CM, "J45.909")
    assert asthma not in model.label_space
    model.add_labels([asthma], tiny_descriptions)
    assert len(model.threshold_vector) == len(model.label_space) == 7
    j = model.label_space.index(asthma)
    notes = [
        "patient seen today assessment: asthma. vital signs stable",
        "patient seen today assessment: fracture of the femur. vital signs stable",
        "patient seen today assessment: essential hypertension. vital signs stable",
    ]
    s = model.predict_scores(notes)[:, j]
    assert s[0] > 2 * s[1] and s[0] > 2 * s[2]


@pytest.mark.slow
def test_code_command_prints_json(fitted_laat, tmp_path):
    from medcoder.cli import app

    save_bundle(fitted_laat, tmp_path / "m", {"global_threshold": 0.3, "per_label": {}})
    note = tmp_path / "note.txt"
    note.write_text("assessment: community acquired pneumonia, organism unspecified.", encoding="utf-8")
    result = CliRunner().invoke(app, ["code", str(note), "--model", str(tmp_path / "m"), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # `medcoder code` runs the full coding pipeline now: the same record the service returns
    assert out["suggestions"][0]["code"] == "J18.9"
    assert {"system", "code", "description", "probability", "evidence"} <= set(out["suggestions"][0])
    assert out["route"]["decision"] in {"auto", "review", "escalate"} and out["route"]["reasons"]
