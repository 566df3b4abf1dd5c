"""Approved codes = suggestions replayed with coder decisions (hand-written event sequences)."""

from __future__ import annotations

import pytest

from medcoder.audit.events import StoredEvent
from medcoder.claims.approve import (
    NotApproved,
    approved_codes,
    dotted_diagnosis,
    with_principal,
    x12_diagnosis,
)


def _event(
    seq: int, kind: str, codes=(), previous=(), route=None, doc="doc-1", request="req-1"
) -> StoredEvent:
    payload: dict = {"codes": [{"system": s, "code": c} for s, c in codes]}
    if previous:
        payload["previous_codes"] = [{"system": s, "code": c} for s, c in previous]
    if route:
        payload["route"] = route
    return StoredEvent(seq=seq, event_id=f"{seq:032x}", event_type=kind, occurred_at="2026-12-07T00:00:00.000000Z",
                       actor_id="coder-1", actor_role="coder", request_id=request, document_id=doc,
                       model_version="m-1", code_set_versions={}, payload=payload, prev_hash="0", hash="1")  # fmt: skip


SUGGESTED = _event(
    1, "suggested", [("ICD-10-CM", "E11.22"), ("ICD-10-CM", "I10"), ("CPT", "93000")], route="review"
)


def test_auto_finalized_chart_is_approved_as_suggested() -> None:
    auto = _event(1, "suggested", [("ICD-10-CM", "J06.9")], route="auto")
    codes = approved_codes([auto], "doc-1")
    assert codes.diagnoses == ("J06.9",) and codes.procedures == () and codes.auto_finalized


def test_review_chart_needs_a_decision_on_every_suggested_code() -> None:
    accept = _event(2, "accepted", [("ICD-10-CM", "E11.22")])
    with pytest.raises(NotApproved, match="no coder decision on 93000, I10"):
        approved_codes([SUGGESTED, accept], "doc-1")


def test_decisions_are_replayed_in_sequence_order() -> None:
    events = [
        _event(5, "added", [("ICD-10-CM", "N18.31")]),
        _event(4, "rejected", [("CPT", "93000")]),
        _event(3, "modified", [("ICD-10-CM", "I12.9")], previous=[("ICD-10-CM", "I10")]),
        _event(2, "accepted", [("ICD-10-CM", "E11.22")]),
        SUGGESTED,
        _event(9, "added", [("ICD-10-CM", "Z99.2")], doc="other-doc"),
    ]
    codes = approved_codes(events, "doc-1")
    assert codes.diagnoses == ("E11.22", "I12.9", "N18.31")  # the modification keeps I10's place
    assert codes.procedures == ()
    assert codes.decision_seqs == (2, 3, 4, 5) and not codes.auto_finalized


def test_open_escalation_blocks_and_a_later_decision_clears_it() -> None:
    decided = [_event(2, "accepted", [("ICD-10-CM", "E11.22"), ("ICD-10-CM", "I10"), ("CPT", "93000")])]
    with pytest.raises(NotApproved, match="escalated"):
        approved_codes([SUGGESTED, *decided, _event(3, "escalated")], "doc-1")
    codes = approved_codes(
        [SUGGESTED, *decided, _event(3, "escalated"), _event(4, "accepted", [("CPT", "93000")])], "doc-1"
    )
    assert codes.procedures == (("CPT", "93000"),)


def test_latest_request_wins_unless_one_is_named() -> None:
    newer = _event(7, "suggested", [("ICD-10-CM", "R05.9")], route="auto", request="req-2")
    assert approved_codes([SUGGESTED, newer], "doc-1").diagnoses == ("R05.9",)
    with pytest.raises(NotApproved, match="no coder decision"):
        approved_codes([SUGGESTED, newer], "doc-1", request_id="req-1")
    with pytest.raises(NotApproved, match="no suggested codes"):
        approved_codes([SUGGESTED], "doc-2")


def test_a_chart_without_a_diagnosis_cannot_be_billed() -> None:
    only_cpt = _event(1, "suggested", [("CPT", "93000")], route="auto")
    with pytest.raises(NotApproved, match="no approved ICD-10-CM"):
        approved_codes([only_cpt], "doc-1")


def test_principal_and_dot_handling() -> None:
    auto = _event(1, "suggested", [("ICD-10-CM", "E11.22"), ("ICD-10-CM", "N18.31")], route="auto")
    codes = approved_codes([auto], "doc-1")
    assert with_principal(codes, "N18.31") == ("N18.31", "E11.22")
    with pytest.raises(NotApproved, match="not among the approved"):
        with_principal(codes, "I10")
    assert (
        x12_diagnosis("e11.22") == "E1122"
        and dotted_diagnosis("E1122") == "E11.22"
        and dotted_diagnosis("I10") == "I10"
    )


def test_confidence_and_override_are_kept_for_the_denial_model() -> None:
    auto = _event(1, "suggested", [("ICD-10-CM", "E11.22")], route="auto")
    auto.payload["codes"][0]["probability"] = 0.91
    assert approved_codes([auto], "doc-1").min_probability == 0.91
    assert approved_codes([auto], "doc-1").overridden is False
    codes = approved_codes([auto, _event(2, "added", [("ICD-10-CM", "I10")])], "doc-1")
    assert codes.overridden is True and codes.diagnoses == ("E11.22", "I10")
