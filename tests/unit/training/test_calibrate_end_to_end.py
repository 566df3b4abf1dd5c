"""calibrate_model + routing_report + evidence on a tiny LAAT trained on the synthetic corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medcoder.routing.policy import Route, RoutingPolicy
from medcoder.routing.router import RouterConfig

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch

    from medcoder.data.synth import generate_corpus
    from medcoder.models.config import TINY_CONFIG, load_config
    from medcoder.training.pipeline import train_model

    torch.set_num_threads(1)
    docs = generate_corpus(n=140, seed=3)
    train, dev, cal, test = docs[:70], docs[70:85], docs[85:125], docs[125:]
    cfg = load_config(TINY_CONFIG, optim__max_epochs=1)
    out = tmp_path_factory.mktemp("model")
    train_model(cfg, train, dev, out, track=False)
    return out, train, cal, test


@pytest.mark.slow
def test_calibrate_report_and_evidence(tiny, tmp_path):
    from medcoder.evaluation.buckets import train_label_counts
    from medcoder.evaluation.routing_report import routing_report
    from medcoder.evidence.eval import evaluate_method
    from medcoder.evidence.explain import explain_text
    from medcoder.models.bundle import ModelBundle, load_routing
    from medcoder.training.calibrate import calibrate_model

    model, train, cal, test = tiny
    counts = {lab.key: n for lab, n in train_label_counts(train).items()}
    policy = RoutingPolicy(target_precision=0.5, delta=0.2, min_accepted=5, min_positives=3)
    summary = calibrate_model(model, cal, policy, counts, router_config=RouterConfig(epochs=20))
    for f in ("calibrators.json", "router.json", "router.safetensors", "routing.json"):
        assert (model / f).exists()
    saved = json.loads((model / "routing.json").read_text())
    assert saved["split"]["fit_docs"] + saved["split"]["certify_docs"] == len(cal)
    assert saved["policy"]["auto_threshold"] == summary["guarantee"]["threshold"]
    loaded = load_routing(model).policy
    assert loaded.target_precision == 0.5

    rep = routing_report(model, test, tmp_path)
    assert sum(rep["routes"].values()) == len(test)
    assert set(rep["routes"]) <= {r.value for r in Route}
    assert (tmp_path / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "risk_coverage.png").exists()
    assert 0.0 <= rep["auto_code_share"] <= 1.0

    coder = ModelBundle.load(model).scorer
    doc = test[0]
    ev = explain_text(coder, doc.text, [0, 1], "attingrad")
    assert [e.label_index for e in ev] == [0, 1]
    for e in ev:
        assert all(0 <= sp.start < sp.end <= len(doc.text) for sp in e.spans)
        assert e.spans == tuple(sorted(e.spans, key=lambda s: -s.score))
    r = evaluate_method(coder, test[:3], test[3:6], "attention")
    assert r.n_pairs > 0 and 0.0 <= r.token_f1 <= 1.0 and r.cost_ratio > 0
    assert np.isfinite(r.seconds_per_note)


@pytest.mark.slow
def test_calibrated_model_request_path(tiny):
    """The coding pipeline uses the calibrators, router and certified policy saved in the directory."""
    from medcoder.coding.pipeline import CodingPipeline
    from medcoder.evaluation.buckets import train_label_counts
    from medcoder.training.calibrate import calibrate_model

    model, train, cal, test = tiny
    if not (model / "routing.json").exists():
        counts = {lab.key: n for lab, n in train_label_counts(train).items()}
        calibrate_model(
            model,
            cal,
            RoutingPolicy(min_accepted=5, min_positives=3),
            counts,
            router_config=RouterConfig(epochs=20),
        )
    pipe = CodingPipeline.from_model_dir(model)
    assert pipe.versions.routing.startswith("calibrators")
    out = pipe.code(test[0])
    assert out.document_id == test[0].id and out.route.reasons
    for c in out.suggestions:
        assert 0.0 <= c.probability <= 1.0
        assert c.code not in {a.code for a in c.alternatives}
        assert all(sp.end <= len(test[0].text) for sp in c.evidence)
