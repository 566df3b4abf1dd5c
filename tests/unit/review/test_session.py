"""ReviewSession: decisions -> feedback requests and final codes; submit sends each decision once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from medcoder.review.records import ReviewItem, WorklistEntry
from medcoder.review.session import (
    ReviewSession,
    WorklistRow,
    code_search,
    find_phrase,
    validate_code,
    worklist_rows,
)
from medcoder.terminology.search import IndexedDoc, SearchIndex
from unit.review.test_api import DIABETES, HLD, HTN, METFORMIN, TEXT, queued_api, ref

BASE = {"document_id": "doc-1", "request_id": "req-1"}
E11 = {"system": "ICD-10-CM", "code": "E11.65", "probability": 0.91, "evidence": [{"start": 12, "end": 55}]}
I10 = {"system": "ICD-10-CM", "code": "I10", "probability": 0.84, "evidence": [{"start": 57, "end": 69}]}
E785 = {"system": "ICD-10-CM", "code": "E78.5", "probability": 0.62, "evidence": [{"start": 71, "end": 85}]}
E782 = {"system": "ICD-10-CM", "code": "E78.2", "probability": 0.2, "evidence": [{"start": 71, "end": 85}]}
Z7984 = {"system": "ICD-10-CM", "code": "Z79.84", "evidence": [{"start": 93, "end": 102}]}


@pytest.fixture
def api(tmp_path: Path):
    return queued_api(tmp_path)


@pytest.fixture
def session(api) -> ReviewSession:
    return ReviewSession(api.item("req-1"))


def decide_all(s: ReviewSession) -> None:
    s.accept("E11.65")
    s.reject(1, "documentation_does_not_support")
    s.modify("E78.5", "e782", "more_specific_code_available")
    s.add("Z79.84", "ICD-10-CM", *METFORMIN, reason="other")


def test_feedback_requests_are_feedback_request_json(session: ReviewSession) -> None:
    decide_all(session)
    assert session.feedback_requests() == [
        {**BASE, "action": "accept", "codes": [E11], "previous_codes": [], "reason": None},
        {**BASE, "action": "reject", "codes": [I10], "previous_codes": [], "reason": "documentation_does_not_support"},
        {**BASE, "action": "modify", "codes": [E782], "previous_codes": [E785], "reason": "more_specific_code_available"},
        {**BASE, "action": "add", "codes": [Z7984], "previous_codes": [], "reason": "other"},
    ]  # fmt: skip
    assert session.final_codes() == [
        ref("E11.65", DIABETES, 0.91),
        ref("E78.2", HLD, 0.2),
        ref("Z79.84", METFORMIN),
    ]


def test_modify_with_explicit_offsets_and_a_code_not_among_alternatives(session: ReviewSession) -> None:
    d = session.modify("I10", "I11.9", "clinical_judgement", start=57, end=69)
    assert d.code == ref("I11.9", HTN) and d.previous == ref("I10", HTN, 0.84)


def test_a_later_decision_replaces_an_unsent_one_and_undo_forgets_it(session: ReviewSession) -> None:
    session.reject("E11.65", "other")
    session.accept("E11.65")
    assert [r["action"] for r in session.feedback_requests()] == ["accept"]
    session.undo("E11.65")
    session.add("Z79.84", "ICD-10-CM", *METFORMIN, "other")
    session.undo("Z79.84")
    assert session.feedback_requests() == [] and session.undecided() == [0, 1, 2]


def test_accept_all_remaining_keeps_decisions_made(session: ReviewSession) -> None:
    session.reject("I10", "payer_rule")
    assert session.accept_all_remaining() == 2
    assert [r["action"] for r in session.feedback_requests()] == ["accept", "reject", "accept"]
    assert [c.code for c in session.final_codes()] == ["E11.65", "E78.5"]


def test_final_codes_hold_each_code_once(session: ReviewSession) -> None:
    session.accept("E11.65")
    session.accept("I10")
    session.modify("E78.5", "I10", "other")  # replacing by a code already accepted
    assert [c.code for c in session.final_codes()] == ["E11.65", "I10"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add("Z79.84", "ICD-10-CM", 95, 93, "other"), r"0 <= start < end <= 103 .*start=95, end=93"),
        (lambda s: s.add("Z79.84", "ICD-10-CM", 93, 104, "other"), r"got start=93, end=104"),
        (lambda s: s.add("Z99.99", "ICD-10-CM", *METFORMIN, "other"), r"Z99.99 is not an ICD-10-CM code"),
        (lambda s: s.add("E11", "ICD-10-CM", *METFORMIN, "other"), r"E11 is an ICD-10-CM category, not a billable"),
        (lambda s: s.add("hello", "ICD-10-CM", *METFORMIN, "other"), r"not an ICD-10-CM code: 'hello'"),
        (lambda s: s.add("99999", "CPT", *METFORMIN, "other"), r"99999 is not in the CPT code set"),
        (lambda s: s.add("X", "SNOMED", *METFORMIN, "other"), r"unknown code system 'SNOMED'"),
        (lambda s: s.add("E11.65", "ICD-10-CM", *DIABETES, "other"), r"E11.65 is already suggested"),
        (lambda s: s.add("Z79.84", "ICD-10-CM", *METFORMIN, "because"), r"reason must be one of"),
        (lambda s: s.reject("I10", None), r"reason must be one of"),
        (lambda s: s.modify("E78.5", "E78.5", "other"), r"accept it instead"),
        (lambda s: s.accept("Z00.00"), r"'Z00.00' is not among this chart's suggestions"),
        (lambda s: s.accept(3), r"no suggestion 3: this chart has 3"),
    ],
)  # fmt: skip
def test_bad_decisions_say_what_is_wrong(session: ReviewSession, call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(session)
    assert session.feedback_requests() == []


def test_cpt_codes_validate_against_the_cpt_set(session: ReviewSession) -> None:
    assert validate_code("CPT", " 99213 ") == "99213"
    session.add("99213", "CPT", *DIABETES, "coding_guideline")
    assert session.final_codes()[0].system == "CPT"


def test_submit_sends_every_decision_then_finalizes(api, session: ReviewSession) -> None:
    decide_all(session)
    out = session.submit(api)
    events = api.audit.events()
    assert [e.event_type for e in events] == ["accepted", "rejected", "modified", "added", "finalized"]
    assert out.seq == 5 and session.finalized == out
    assert events[-1].payload["codes"] == [E11, E782, Z7984]
    assert api.item("req-1").final_codes == session.final_codes()
    with pytest.raises(ValueError, match="is finalized"):
        session.accept("I10")


def test_submit_refuses_undecided_suggestions(api, session: ReviewSession) -> None:
    session.accept("E11.65")
    with pytest.raises(ValueError, match=r"2 suggestion\(s\) still need a decision .*: I10, E78.5"):
        session.submit(api)
    assert api.audit.events() == []


class Flaky:
    """A ReviewApi that fails the n-th feedback call once, and finalize once."""

    def __init__(self, api, fail_feedback_at: int) -> None:
        self.api, self.fail_at, self.calls, self.fail_finalize = api, fail_feedback_at, 0, True

    def feedback(self, **fields):
        self.calls += 1
        if self.calls == self.fail_at:
            raise ConnectionError("network down")
        return self.api.feedback(**fields)

    def finalize(self, request_id, codes):
        if self.fail_finalize:
            self.fail_finalize = False
            raise ConnectionError("network down")
        return self.api.finalize(request_id, codes)


def test_a_retry_after_failures_sends_nothing_twice(api, session: ReviewSession) -> None:
    decide_all(session)
    flaky = Flaky(api, fail_feedback_at=3)
    with pytest.raises(ConnectionError):
        session.submit(flaky)
    assert [e.event_type for e in api.audit.events()] == ["accepted", "rejected"]
    with pytest.raises(ValueError, match="already sent"):
        session.accept("I10")
    with pytest.raises(ConnectionError):
        session.submit(flaky)  # feedback done, finalize fails
    session.submit(flaky)
    assert [e.event_type for e in api.audit.events()] == [
        "accepted",
        "rejected",
        "modified",
        "added",
        "finalized",
    ]


def test_a_done_chart_cannot_be_decided(api, session: ReviewSession) -> None:
    session.accept_all_remaining()
    session.submit(api)
    done = ReviewSession(api.item("req-1"))
    with pytest.raises(ValueError, match="is finalized"):
        done.accept("I10")


def test_find_phrase() -> None:
    assert find_phrase(TEXT, "metformin") == METFORMIN
    assert find_phrase(TEXT, "  HYPERTENSION ") == HTN
    assert find_phrase("a Type 2\n  diabetes b", "type 2 diabetes") == (2, 19)
    assert find_phrase(TEXT, "insulin") is None and find_phrase(TEXT, "  ") is None


def test_worklist_rows(api) -> None:
    (entry,) = api.worklist()
    second = WorklistEntry(**{**entry.model_dump(), "request_id": "req-2", "route": "escalate", "priority": 0,
                              "reasons": ["rule error", "new payer"], "created_at": "2026-12-01T09:59:30Z"})  # fmt: skip
    now = dt.datetime(2026, 12, 1, 10, 0, 59, tzinfo=dt.UTC)
    assert worklist_rows([second, entry], now) == [
        WorklistRow("req-2", 0, "escalate", 1, "rule error; new payer", 3),
        WorklistRow("req-1", 1, "review", 120, "low confidence: E78.5", 3),
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        worklist_rows([entry], dt.datetime(2026, 12, 1))


def test_code_search_puts_an_exact_code_first() -> None:
    docs = [IndexedDoc("E78.2", "ICD-10-CM", "Mixed hyperlipidemia", "Mixed hyperlipidemia"),
            IndexedDoc("E78.5", "ICD-10-CM", "Hyperlipidemia, unspecified", "Hyperlipidemia, unspecified")]  # fmt: skip
    index = SearchIndex.build(docs)
    assert [h.code for h in code_search("mixed hyperlipidemia", 5, index=index)] == ["E78.2", "E78.5"]
    hits = code_search("z7984", 5, index=index)
    assert [(h.code, h.description) for h in hits] == [
        ("Z79.84", "Long term (current) use of oral hypoglycemic drugs")
    ]
    assert code_search("   ", 5, index=index) == []


def test_review_item_round_trips(session: ReviewSession) -> None:
    assert isinstance(session.item, ReviewItem) and session.text == TEXT


def test_default_search_index_finds_icd10cm_and_cpt() -> None:
    assert code_search("type 2 diabetes with hyperglycemia", 3)[0].code == "E11.65"
    assert {h.system for h in code_search("office outpatient visit established patient", 5)} == {"CPT"}
