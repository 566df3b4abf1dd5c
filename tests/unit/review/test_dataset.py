"""The feedback export: outcomes per code, reviewed.jsonl + card.json, loading, training documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from medcoder.audit.events import CodeRef, OffsetRef
from medcoder.coding.result import CodingResult, RouteDecision, RouteResult, Suggestion, Versions
from medcoder.data.records import CodeSystem, Span
from medcoder.errors import InputFormatError
from medcoder.review.dataset import (
    CARD_FILE,
    CHARTS_FILE,
    Outcome,
    as_documents,
    export_feedback,
    feedback_part,
    load_feedback,
    outcomes,
    public_url,
    taught_pairs,
)
from medcoder.review.records import EncounterFacts
from medcoder.review.store import ReviewStore, queue_row

CM = "ICD-10-CM"
TEXT = "Type 2 diabetes on insulin. Blood pressure high. Pain."
#       0123456789012345678901234567890123456789012345678901234


def _result(request_id: str, codes: list[str]) -> CodingResult:
    return CodingResult(
        request_id=request_id, document_id=f"doc-{request_id}",
        suggestions=[Suggestion(system=CM, code=c, description=c, probability=0.5, model_probability=0.5,
                                threshold=0.3) for c in codes],
        route=RouteResult(decision=RouteDecision.REVIEW, reasons=["no threshold certified"]),
        versions=Versions(model_name="m", model_version="1", code_sets={}, rule_packs={},
                          evidence_method="index-mention", medcoder="0"),
    )  # fmt: skip


def _ref(code: str, *spans: tuple[int, int]) -> CodeRef:
    return CodeRef(system=CM, code=code, evidence=tuple(OffsetRef(start=s, end=e) for s, e in spans))


FINAL = [_ref("E11.22", (0, 15)), _ref("I10"), _ref("Z79.4", (19, 26))]


def test_outcomes_accept_reject_modify_add() -> None:
    got = outcomes([_ref("E11.9"), _ref("I10"), _ref("R52")], FINAL)
    assert [(o.code, o.outcome, o.suggested, o.final, o.pair) for o in got] == [
        ("E11.9", Outcome.MODIFIED, True, False, "E11.22"),  # replaced by a code of its category
        ("I10", Outcome.ACCEPTED, True, True, None),
        ("R52", Outcome.REJECTED, True, False, None),
        ("E11.22", Outcome.MODIFIED, False, True, "E11.9"),
        ("Z79.4", Outcome.ADDED, False, True, None),
    ]


@pytest.fixture
def store(tmp_path: Path):
    s = ReviewStore(f"sqlite:///{tmp_path / 'review.db'}")
    facts = EncounterFacts(setting="outpatient", age=61, sex="F", date_of_service="2026-03-16")
    s.queue([queue_row(_result("r1", ["E11.9", "I10", "R52"]), TEXT, facts, "m:1", "2026-03-16T10:00:00.000000Z"),
             queue_row(_result("r2", ["R52"]), "Pain.", EncounterFacts(), "m:1", "2026-03-16T11:00:00.000000Z"),
             queue_row(_result("r3", ["I10"]), "Hypertension.", EncounterFacts(), "m:1")])  # fmt: skip
    s.finalize("r1", FINAL, coder="c1", when="2026-03-17T09:00:00.000000Z")
    s.finalize("r2", [_ref("R52")], coder="c1", when="2026-03-17T10:00:00.000000Z")
    yield s  # r3 stays open: not exported
    s.close()


def test_export_writes_charts_and_a_versioned_card(store: ReviewStore, tmp_path: Path) -> None:
    card = export_feedback(store, tmp_path / "fb")
    body = (tmp_path / "fb" / CHARTS_FILE).read_bytes()
    assert card.version == hashlib.sha256(body).hexdigest()
    assert card.charts == 2 and len(body.splitlines()) == 2
    assert card.outcomes == {"accepted": 2, "rejected": 1, "modified": 2, "added": 1}
    assert card.codes_with_evidence == 2 and card.model_versions == {"m:1": 2}
    assert "protected health information" in card.contents
    on_disk = json.loads((tmp_path / "fb" / CARD_FILE).read_text())
    assert on_disk["version"] == card.version and on_disk["source"].startswith("sqlite:///")
    again = export_feedback(store, tmp_path / "fb2")  # same charts -> same version
    assert again.version == card.version
    later = export_feedback(store, tmp_path / "fb3", since="2026-03-17T09:30:00.000000Z")
    assert later.charts == 1


def test_load_documents_and_taught_pairs(store: ReviewStore, tmp_path: Path) -> None:
    export_feedback(store, tmp_path / "fb")
    charts = load_feedback(tmp_path / "fb")
    assert [c.request_id for c in charts] == ["r1", "r2"]  # in the order they were closed
    first = charts[0]
    assert first.text == TEXT and first.facts.age == 61
    assert [(s.code, s.probability) for s in first.suggested] == [("E11.9", 0.5), ("I10", 0.5), ("R52", 0.5)]
    doc = as_documents(charts)[0]
    assert (
        doc.id == "doc-r1" and doc.setting.value == "outpatient" and str(doc.encounter_date) == "2026-03-16"
    )
    assert [(lab.system, lab.code, lab.spans) for lab in doc.labels] == [
        (CodeSystem.ICD10CM, "E11.22", (Span(0, 15),)),
        (CodeSystem.ICD10CM, "I10", ()),
        (CodeSystem.ICD10CM, "Z79.4", (Span(19, 26),)),
    ]
    # the added and the substituted code teach their evidence; the accepted I10 teaches nothing
    assert taught_pairs(charts) == [("Type 2 diabetes", CM, "E11.22"), ("insulin", CM, "Z79.4")]


def test_a_bad_line_names_file_and_line_not_the_note(tmp_path: Path) -> None:
    path = tmp_path / CHARTS_FILE
    good = {"request_id": "r", "document_id": "d", "model_version": "m", "text": "secret note text"}
    bad = {**good, "final": [{"system": CM, "code": "I10", "evidence": [{"start": 0, "end": 999}]}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputFormatError, match=r"reviewed\.jsonl:2") as err:
        load_feedback(path)
    assert "secret" not in str(err.value)


def test_parts_are_fixed_by_the_document_id() -> None:
    parts = [feedback_part(f"doc-{i}") for i in range(2000)]
    assert parts == [feedback_part(f"doc-{i}") for i in range(2000)]
    assert 0.17 < parts.count("heldout") / 2000 < 0.23
    assert feedback_part("doc-1", heldout_share=0.0) == "train" and feedback_part("doc-1", 1.0) == "heldout"


def test_public_url_drops_credentials() -> None:
    assert (
        public_url("postgresql+psycopg://coder:s3cret@db:5432/audit") == "postgresql+psycopg://db:5432/audit"
    )


def test_cli_export(store: ReviewStore, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from medcoder.review.cli import group

    out = tmp_path / "cli"
    res = CliRunner().invoke(group, ["export", "--store", store.url, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["charts"] == 2 and (out / CHARTS_FILE).exists()
