"""A model directory calibrated by `medcoder.routing` is served with its calibrators, router and policy."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from medcoder.data.records import Document, Patient, Setting, Sex

pytestmark = pytest.mark.slow

NOTE = "ASSESSMENT:\nType 2 diabetes mellitus with hyperglycemia. Essential hypertension.\n"


def test_calibrated_directory_uses_its_calibrators_and_router(tiny_model, tmp_path) -> None:
    from medcoder.coding.pipeline import CodingPipeline
    from medcoder.data.synth import generate_corpus
    from medcoder.models.bundle import load_routing
    from medcoder.routing.policy import RoutingPolicy
    from medcoder.routing.router import RouterConfig
    from medcoder.training.calibrate import calibrate_model

    model_dir = tmp_path / "calibrated"
    shutil.copytree(tiny_model, model_dir)
    calibrate_model(model_dir, generate_corpus(32, 99), RoutingPolicy(min_accepted=5),
                    router_config=RouterConfig(epochs=30))  # fmt: skip
    pipe = CodingPipeline.from_model_dir(model_dir)
    assert pipe.versions.routing.startswith("calibrators (isotonic) + router")
    doc = Document(id="c-1", text=NOTE, setting=Setting.OUTPATIENT, patient=Patient(70, Sex.MALE))
    result = pipe.code(doc)
    parts = load_routing(model_dir)
    calibrators, policy = parts.calibrators, parts.policy
    keys = pipe.model.label_space.keys()
    raw = pipe.model.predict_scores([NOTE])
    expected = calibrators.transform(raw, keys)[0]
    for s in result.suggestions:
        j = keys.index(f"{s.system}:{s.code}")
        assert s.model_probability == pytest.approx(float(raw[0, j]), abs=1e-5)
        assert s.probability == pytest.approx(float(expected[j]), abs=1e-5)
        assert raw[0, j] >= pipe.model.threshold_vector[j]  # thresholds apply to raw scores
    assert result.route.decision.value in {"auto", "review", "escalate"} and result.route.reasons
    if np.isinf(policy.auto_threshold) and result.suggestions:  # nothing certified: never auto
        assert result.route.decision.value != "auto"
