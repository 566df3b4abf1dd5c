"""StoreBackedApi: the in-process review API writes the audit events the service would.

The chart used by every review test lives here (``TEXT``, ``make_result``, ``queued_api``): a made-up
three-line assessment, no patient data, with evidence offsets counted by hand:

    ASSESSMENT: Type 2 diabetes mellitus with hyperglycemia. Hypertension. Hyperlipidemia. PLAN: metformin.
    0           12                                        55 57          69 71            85     93       102
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from medcoder.audit.events import CodeRef, OffsetRef
from medcoder.audit.store import AuditStore
from medcoder.coding.result import (
    Alternative,
    CdiQueryDraft,
    CodingResult,
    EmResult,
    EvidenceSpan,
    RouteDecision,
    RouteResult,
    RuleFinding,
    Suggestion,
    Versions,
)
from medcoder.review.api import ReviewApi, StoreBackedApi
from medcoder.review.records import EncounterFacts, ReviewStatus
from medcoder.review.store import ReviewNotFound, ReviewStore, ReviewStoreError, queue_row

TEXT = (
    "ASSESSMENT: Type 2 diabetes mellitus with hyperglycemia. Hypertension. Hyperlipidemia. PLAN: metformin."
)
DIABETES, HTN, HLD, METFORMIN = (12, 55), (57, 69), (71, 85), (93, 102)
CODE_SETS = {"ICD-10-CM": "2026-04-01", "CPT": "medcoder-builtin-2026.1"}
CREATED = "2026-12-01T08:00:00.000000Z"


def suggestion(code: str, description: str, p: float, span: tuple[int, int], alts=()) -> Suggestion:
    a, b = span
    return Suggestion(
        system="ICD-10-CM", code=code, description=description, probability=p, model_probability=p,
        threshold=0.5, evidence=[EvidenceSpan(start=a, end=b, text=TEXT[a:b], score=1.0)],
        alternatives=[Alternative(system="ICD-10-CM", code=c, description=d, probability=q) for c, d, q in alts],
    )  # fmt: skip


def make_result(request_id: str = "req-1", document_id: str = "doc-1", route: str = "review") -> CodingResult:
    return CodingResult(
        request_id=request_id,
        document_id=document_id,
        suggestions=[
            suggestion("E11.65", "Type 2 diabetes mellitus with hyperglycemia", 0.91, DIABETES),
            suggestion("I10", "Essential (primary) hypertension", 0.84, HTN),
            suggestion(
                "E78.5",
                "Hyperlipidemia, unspecified",
                0.62,
                HLD,
                alts=[("E78.2", "Mixed hyperlipidemia", 0.2)],
            ),  # fmt: skip
        ],
        findings=[
            RuleFinding(
                rule_id="R-1",
                severity="warning",
                codes=["E78.5"],
                message="unspecified code",
                suggested_fix="E78.2",
                source="test",
                version="1",
            )
        ],  # fmt: skip
        em=EmResult(
            billed="99213",
            supported_code="99213",
            basis="mdm",
            mdm="low",
            minutes=None,
            rationale="two chronic illnesses",
        ),  # fmt: skip
        cdi_queries=[
            CdiQueryDraft(
                code="E78.5",
                axis="type",
                text="Which type of hyperlipidemia?",
                options=["mixed", "pure hypercholesterolemia"],
            )
        ],  # fmt: skip
        route=RouteResult(decision=RouteDecision(route), reasons=["low confidence: E78.5"]),
        versions=Versions(
            model_name="tiny",
            model_version="tiny-1",
            code_sets=CODE_SETS,
            rule_packs={},
            evidence_method="attention",
            medcoder="0.0.0",
        ),  # fmt: skip
    )


def queued_api(tmp_path: Path, *results: CodingResult, coder: str = "coder-7") -> StoreBackedApi:
    """A StoreBackedApi over a fresh SQLite file with ``results`` (default: one chart) queued."""
    url = f"sqlite:///{tmp_path}/a.db"
    store, audit = ReviewStore(url), AuditStore(url)
    facts = EncounterFacts(
        setting="outpatient", payer="medicare", age=67, sex="F", date_of_service="2026-11-30"
    )
    rows = [queue_row(r, TEXT, facts, "tiny-1", created_at=CREATED) for r in results or [make_result()]]
    store.queue(rows)
    return StoreBackedApi(store, audit, coder)


def ref(code: str, span: tuple[int, int], p: float | None = None) -> CodeRef:
    return CodeRef(
        system="ICD-10-CM", code=code, probability=p, evidence=(OffsetRef(start=span[0], end=span[1]),)
    )


def test_fixture_offsets_are_the_words() -> None:
    assert TEXT[slice(*DIABETES)] == "Type 2 diabetes mellitus with hyperglycemia"
    assert (TEXT[slice(*HTN)], TEXT[slice(*HLD)], TEXT[slice(*METFORMIN)]) == (
        "Hypertension", "Hyperlipidemia", "metformin")  # fmt: skip
    assert len(TEXT) == 103


def test_is_a_review_api(tmp_path: Path) -> None:
    assert isinstance(queued_api(tmp_path), ReviewApi)


def test_worklist_orders_escalations_first_and_item_has_the_note(tmp_path: Path) -> None:
    api = queued_api(tmp_path, make_result("req-1", "doc-1"), make_result("req-2", "doc-2", "escalate"))
    assert [e.request_id for e in api.worklist()] == ["req-2", "req-1"]
    assert [e.request_id for e in api.worklist(route="review")] == ["req-1"]
    item = api.item("req-1")
    assert item.text == TEXT and item.entry.n_suggestions == 3 and item.facts.age == 67
    with pytest.raises(ReviewNotFound):
        api.item("req-nope")


def test_feedback_records_each_action_as_its_event(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    base = {"document_id": "doc-1", "request_id": "req-1"}
    e11 = ref("E11.65", DIABETES, 0.91).model_dump(mode="json", exclude_defaults=True)
    first = api.feedback(**base, action="accept", codes=[e11])
    api.feedback(**base, action="reject", codes=[ref("I10", HTN).model_dump(mode="json")],
                 reason="documentation_does_not_support")  # fmt: skip
    api.feedback(**base, action="modify", codes=[ref("E78.2", HLD, 0.2)], previous_codes=[ref("E78.5", HLD)],
                 reason="more_specific_code_available")  # fmt: skip
    api.feedback(**base, action="add", codes=[ref("Z79.84", METFORMIN)], reason="other")
    events = api.audit.events(document_id="doc-1")
    assert first["seq"] == 1 and len(first["hash"]) == 64
    assert [e.event_type for e in events] == ["accepted", "rejected", "modified", "added"]
    assert {(e.actor_id, e.actor_role, e.model_version) for e in events} == {("coder-7", "coder", "tiny-1")}
    assert events[0].code_set_versions == CODE_SETS
    assert events[0].payload == {"codes": [{"system": "ICD-10-CM", "code": "E11.65", "probability": 0.91,
                                            "evidence": [{"start": 12, "end": 55}]}]}  # fmt: skip
    assert events[1].payload["reason"] == "documentation_does_not_support"
    assert events[2].payload["previous_codes"][0]["code"] == "E78.5"
    assert events[3].payload["codes"][0]["evidence"] == [{"start": 93, "end": 102}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "reject", "codes": [{"system": "ICD-10-CM", "code": "I10"}]}, "needs a reason"),
        ({"action": "modify", "codes": [{"system": "ICD-10-CM", "code": "I10"}], "reason": "other"},
         "previous_codes"),
        ({"action": "accept"}, "at least one code"),
        ({"action": "approve", "codes": []}, "action must be one of"),
        ({"action": "accept", "note": "free text"}, "unknown feedback fields"),
        ({"action": "accept", "document_id": "doc-9"}, "document_id does not match"),
    ],
)  # fmt: skip
def test_feedback_refuses_what_the_service_refuses(tmp_path: Path, fields: dict, message: str) -> None:
    api = queued_api(tmp_path)
    with pytest.raises(ValueError, match=message):
        api.feedback(**{"document_id": "doc-1", "request_id": "req-1", **fields})
    assert api.audit.events() == []


def test_finalize_writes_the_event_then_closes_the_chart(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    codes = [ref("E11.65", DIABETES, 0.91), ref("Z79.84", METFORMIN)]
    out = api.finalize("req-1", codes)
    (event,) = api.audit.events()
    assert (out.seq, out.hash, event.event_type, event.actor_id) == (1, event.hash, "finalized", "coder-7")
    assert event.payload["route"] == "review"
    assert [c["code"] for c in event.payload["codes"]] == ["E11.65", "Z79.84"]
    item = api.item("req-1")
    assert item.entry.status == ReviewStatus.DONE and item.entry.finalized_by == "coder-7"
    assert item.entry.finalized_at == event.occurred_at
    assert item.final_codes == codes
    assert api.worklist() == [] and [e.request_id for e in api.worklist(status="done")] == ["req-1"]
    with pytest.raises(ReviewStoreError, match="already finalized"):
        api.finalize("req-1", codes)
    assert len(api.audit.events()) == 1


def test_finalize_refuses_evidence_past_the_note(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    with pytest.raises(ValueError, match=r"ends after the note \(103 characters\)"):
        api.finalize("req-1", [ref("E11.65", (100, 104))])
    assert api.audit.events() == [] and api.item("req-1").entry.status == ReviewStatus.OPEN


def test_coder_must_be_an_opaque_id(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    with pytest.raises(ValueError, match="opaque id"):
        StoreBackedApi(api.store, api.audit, "Jane Doe")


def test_created_at_is_kept(tmp_path: Path) -> None:
    (entry,) = queued_api(tmp_path).worklist()
    assert dt.datetime.fromisoformat(entry.created_at) == dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
