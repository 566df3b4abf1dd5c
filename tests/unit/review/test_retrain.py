"""Retraining on reviewed charts: taught phrases, the same held-out charts for both versions,
the promotion rule, the model card and the MLflow registry (tiny hand-made corpus, < 60 s)."""

from __future__ import annotations

import json

import pytest

from conftest import require_shared
from medcoder.audit.events import CodeRef, OffsetRef
from medcoder.coding.result import CodingResult, RouteDecision, RouteResult, Suggestion, Versions
from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.review.dataset import export_feedback, feedback_part
from medcoder.review.records import EncounterFacts
from medcoder.review.retrain import PROMOTION_FILE, RetrainConfig, promotion, retrain
from medcoder.review.store import ReviewStore, queue_row

CM = "ICD-10-CM"


def test_promotion_rule_on_hand_values() -> None:
    before = {"a": {"f1": 0.50}, "all": {"f1": 0.40}}
    assert promotion(before, {"a": {"f1": 0.50}, "all": {"f1": 0.41}}, 0.0)[0] is True
    ok, reasons = promotion(before, {"a": {"f1": 0.49}, "all": {"f1": 0.45}}, 0.0)
    assert ok is False and reasons[-1] == "not promoted: worse on a beyond tolerance 0.0"
    assert promotion(before, {"a": {"f1": 0.49}, "all": {"f1": 0.45}}, 0.02)[0] is True


def _doc(i: str, text: str, *codes: str) -> Document:
    return Document(id=i, text=text, labels=tuple(CodeLabel(CodeSystem.ICD10CM, c) for c in codes))


BASE = [
    _doc("b1", "Hypertension. Fever for two days.", "I10", "R50.9"),
    _doc("b2", "Anemia. Hypertension.", "D64.9", "I10"),
    _doc("b3", "Fever. Anemia noted.", "R50.9", "D64.9"),
    _doc("b4", "Hypertension controlled. Mild anemia.", "I10"),
    _doc("b5", "Fever resolved. Hypertension.", "I10"),
    _doc("b6", "Anemia of chronic disease. Fever.", "D64.9", "R50.9"),
]
NOTE = "Necrosis of the left heel. Hypertension."
IDS = ["fb-0", "fb-1", "fb-2", "fb-3", "fb-4", "fb-5", "fb-11"]  # fb-11 is in the held-out part


def _result(request_id: str, doc_id: str) -> CodingResult:
    return CodingResult(
        request_id=request_id, document_id=doc_id,
        suggestions=[Suggestion(system=CM, code="I10", description="x", probability=0.9, model_probability=0.9,
                                threshold=0.3)],
        route=RouteResult(decision=RouteDecision.REVIEW, reasons=[]),
        versions=Versions(model_name="m", model_version="1", code_sets={}, rule_packs={}, evidence_method="e",
                          medcoder="0"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory):
    require_shared("icd10cm_index")
    from medcoder.models.index_bundle import save_index_bundle
    from medcoder.models.index_coder import IndexCoder

    root = tmp_path_factory.mktemp("retrain")
    old = IndexCoder().fit(BASE)
    old.tune_threshold(BASE)
    save_index_bundle(old, root / "base")
    store = ReviewStore(f"sqlite:///{root / 'review.db'}")
    for k, doc_id in enumerate(IDS):
        store.queue([queue_row(_result(f"req-{k}", doc_id), NOTE, EncounterFacts(), "m:1")])
        store.finalize(f"req-{k}", [CodeRef(system=CM, code="I10"),
                                    CodeRef(system=CM, code="I96", evidence=(OffsetRef(start=0, end=8),))],
                       coder="c")  # fmt: skip
    export_feedback(store, root / "fb")
    store.close()
    heldout = {
        "tiny": [_doc("h1", "Necrosis of the toe. Fever.", "I96", "R50.9"), _doc("h2", "Anemia.", "D64.9")]
    }
    config = RetrainConfig(tracking_dir=str(root / "mlflow"))
    report = retrain(root / "base", root / "fb", root / "new", heldout, base_train=BASE, tune=BASE, config=config,
                     certify=None)  # fmt: skip
    return root, report, old.matcher


def test_ids_are_in_the_parts_the_test_expects() -> None:
    assert [feedback_part(i) for i in IDS] == ["train"] * 6 + ["heldout"]


def test_reviewed_charts_teach_a_phrase_the_index_cannot_propose(retrained) -> None:
    from medcoder.models.index_coder import IndexCoder

    root, report, matcher = retrained
    assert report.data["reviewed_train_charts"] == 6 and report.data["reviewed_heldout_charts"] == 1
    assert report.data["base_docs"] == 6 and report.data["heldout_feedback_heldout"] == 1
    assert report.taught["phrases"] == 1 and report.taught["codes"] == ["I96"]
    text = "Necrosis of the toe."
    old, new = IndexCoder.load(root / "base", matcher), IndexCoder.load(root / "new", matcher)
    assert "I96" not in {p.code for p in old.score(text)}
    assert "I96" in {p.code for p in new.score(text)}
    # both versions were scored on the same groups: the feedback's held-out chart + the given group
    assert set(report.before) == set(report.after) == {"feedback_heldout", "tiny", "all"}
    assert report.before["all"]["charts"] == report.after["all"]["charts"] == 3


def test_promotion_file_card_and_registry_agree(retrained) -> None:
    from mlflow.tracking import MlflowClient

    root, report, _ = retrained
    body = json.loads((root / "new" / PROMOTION_FILE).read_text())
    assert body["promoted"] == report.promoted and body["before"] == report.before
    card = (root / "new" / "model_card.md").read_text()
    assert "## What changed" in card and "necrosi -> I96 (taught 6x)" in card
    assert report.mlflow is not None and report.mlflow["model_version"] == 1
    client = MlflowClient(report.mlflow["tracking_uri"])
    version = client.get_model_version("medcoder-index-coder", "1")
    assert version.tags["promoted"] == str(report.promoted).lower()
    aliases = client.get_registered_model("medcoder-index-coder").aliases
    assert ("champion" in aliases) == report.promoted
    assert json.loads((root / "new" / "versions.json").read_text())["model_version"] == 1
