"""Coder-feedback quality: a hand-built audit stream against hand-computed counts and rates."""

from __future__ import annotations

import json
import math
import time

import pytest

from medcoder.audit.events import (
    GENESIS_HASH,
    AuditEvent,
    CodeRef,
    EventPayload,
    EventType,
    Reason,
    StoredEvent,
    seal,
)
from medcoder.audit.roles import Role
from medcoder.monitoring.intervals import probability_bucket, wilson_interval
from medcoder.monitoring.quality import (
    CodePrecision,
    FeedbackAccumulator,
    decision_frame,
    feedback_summary,
)

Z2 = 1.959964**2
ICD = "ICD-10-CM"
A, B, C, D, E, G, H, X = "E11.9", "I10", "N18.3", "E78.5", "J45.909", "E78.2", "Z79.4", "Z00.00"
T = EventType


def _event(kind, doc, codes=(), *, previous=(), reason=None, route=None, version="m1"):
    def refs(items):
        pairs = ((item, None) if isinstance(item, str) else item for item in items)
        return tuple(CodeRef(system=ICD, code=code, probability=p) for code, p in pairs)

    return AuditEvent(
        event_type=kind,
        actor_id="coder-7" if kind != T.SUGGESTED else "svc-model",
        actor_role=Role.CODER if kind != T.SUGGESTED else Role.SERVICE,
        request_id=f"req-{doc}",
        document_id=doc,
        model_version=version,
        payload=EventPayload(codes=refs(codes), previous_codes=refs(previous), reason=reason, route=route),
    )


def _seal_all(events: list[AuditEvent]) -> list[StoredEvent]:
    stored, prev = [], GENESIS_HASH
    for seq, event in enumerate(events, start=1):
        sealed = seal(event, seq, prev, f"2026-11-28T06:{seq:02d}:00.000000Z")
        stored.append(sealed)
        prev = sealed.hash
    return stored


def _stream() -> list[StoredEvent]:
    """Five m1 charts (doc-4 re-coded), one orphan decision, an m2 chart and an m2 decision on doc-1."""
    R = Reason
    return _seal_all(
        [
            _event(T.SUGGESTED, "doc-1", [(A, 0.95), (B, 0.60)], route="review"),
            _event(T.VIEWED, "doc-1"),
            _event(T.ACCEPTED, "doc-1", [A]),
            _event(T.REJECTED, "doc-1", [B], reason=R.DOCUMENTATION_DOES_NOT_SUPPORT),
            _event(T.ADDED, "doc-1", [C, A], reason=R.CODING_GUIDELINE),  # C a miss, A was suggested
            _event(T.SUGGESTED, "doc-2", [(A, 0.92)], route="auto"),
            _event(T.SUGGESTED, "doc-3", [(D, 0.75), (E, 0.40)], route="review"),
            _event(T.MODIFIED, "doc-3", [G], previous=[D], reason=R.MORE_SPECIFIC_CODE_AVAILABLE),
            _event(T.ACCEPTED, "doc-3", [E, X]),  # X was never suggested: unmatched
            _event(T.ACCEPTED, "doc-3", [G]),  # G came from the coder's modification: not unmatched
            _event(T.ADDED, "doc-3", [H], reason=R.OTHER),
            _event(T.REJECTED, "doc-3", [H], reason=R.OTHER),  # withdraws the miss H
            _event(T.SUGGESTED, "doc-4", [(A, 0.55), (B, 0.85)], route="escalate"),
            _event(T.REJECTED, "doc-4", [A], reason=R.CLINICAL_JUDGEMENT),
            _event(T.ACCEPTED, "doc-4", [A]),  # decided twice: the acceptance counts
            _event(T.ESCALATED, "doc-4", reason=R.OTHER),
            _event(T.SUGGESTED, "doc-4", [(B, 0.88)], route="review"),  # re-coded: a new chart
            _event(T.REJECTED, "doc-4", [B], reason=R.PAYER_RULE),
            _event(T.ADDED, "doc-4", [A], reason=R.CLINICAL_JUDGEMENT),  # A not in the new suggestion
            _event(T.ACCEPTED, "doc-5", [A]),  # no suggestion for doc-5: orphan
            _event(T.SUGGESTED, "doc-6", [(A, 0.90)], route="review", version="m2"),
            _event(T.REJECTED, "doc-6", [A], reason=R.PAYER_RULE, version="m2"),
            _event(T.ACCEPTED, "doc-1", [B], version="m2"),
            _event(T.EXPORTED, "doc-1"),
        ]
    )


def test_wilson_interval_against_hand_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490162, abs=1e-5)
    assert high == pytest.approx(0.943318, abs=1e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(Z2 / (10 + Z2)))
    assert wilson_interval(10, 10) == (pytest.approx(10 / (10 + Z2)), 1.0)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(3, 2)


def test_probability_bucket_edges():
    assert [probability_bucket(p) for p in (0.0, 0.49, 0.5, 0.7, 0.9, 1.0)] == [
        "0.0-0.5",
        "0.0-0.5",
        "0.5-0.7",
        "0.7-0.9",
        "0.9-1.0",
        "0.9-1.0",
    ]
    assert probability_bucket(math.nan) == "none"


def test_summary_of_hand_built_stream():
    s = feedback_summary(_stream(), "m1")
    assert s.model_version == "m1"
    assert s.n_charts == 5  # doc-1, doc-2, doc-3, doc-4 twice
    assert s.charts_by_route == {"review": 3, "auto": 1, "escalate": 1}
    assert s.auto_share == 1 / 5
    assert s.n_suggested_codes == 2 + 1 + 2 + 2 + 1
    assert s.n_reviewed == 4  # all but doc-2
    assert s.n_escalated == 1
    assert s.escalation_rate == 1 / 4
    # doc-1 A accepted, B rejected; doc-3 D modified away, E accepted; doc-4 A accepted; doc-4' B rejected
    assert (s.n_decided_codes, s.n_accepted_codes, s.n_overridden_codes) == (6, 3, 3)
    assert s.acceptance_rate == 3 / 6
    assert s.override_rate == 3 / 6
    assert s.overrides_by_reason == {
        "documentation_does_not_support": 1,
        "more_specific_code_available": 1,
        "payer_rule": 1,
    }
    assert s.n_added == 2
    assert list(s.added_by_code.items()) == [(f"{ICD}:{A}", 1), (f"{ICD}:{C}", 1)]
    assert s.n_unmatched_decisions == 1
    assert s.n_orphan_decisions == 1
    assert s.per_code == (
        CodePrecision(f"{ICD}:{A}", 2, 2, 1.0, pytest.approx(2 / (2 + Z2)), 1.0),
        CodePrecision(f"{ICD}:{B}", 2, 0, 0.0, 0.0, pytest.approx(Z2 / (2 + Z2))),
        CodePrecision(f"{ICD}:{D}", 1, 0, 0.0, 0.0, pytest.approx(Z2 / (1 + Z2))),
        CodePrecision(f"{ICD}:{E}", 1, 1, 1.0, pytest.approx(1 / (1 + Z2)), 1.0),
    )


def test_all_versions_count_when_none_is_given():
    s = feedback_summary(_stream(), None)
    assert s.n_charts == 6
    # doc-1 B now accepted by the m2 decision; doc-6 A rejected for the payer rule
    assert (s.n_decided_codes, s.n_accepted_codes) == (7, 4)
    assert s.overrides_by_reason == {"more_specific_code_available": 1, "payer_rule": 2}


def test_accumulator_summary_midway_and_top_added():
    events = _stream()
    acc = FeedbackAccumulator("m1")
    for event in events[:5]:
        acc.add(event)
    s = acc.summary(top_added=1)
    assert (s.n_charts, s.n_reviewed, s.n_decided_codes, s.acceptance_rate) == (1, 1, 2, 1 / 2)
    assert s.added_by_code == {f"{ICD}:{C}": 1}


def test_empty_summary_is_nan_and_json_friendly():
    s = feedback_summary([], "m1")
    assert s.n_charts == 0
    assert math.isnan(s.acceptance_rate) and math.isnan(s.escalation_rate) and math.isnan(s.auto_share)
    d = s.to_dict()
    assert d["acceptance_rate"] is None and d["per_code"] == []
    json.dumps(d, allow_nan=False)


def test_to_dict_of_hand_stream_round_trips_through_json():
    d = json.loads(json.dumps(feedback_summary(_stream(), "m1").to_dict(), allow_nan=False))
    assert d["per_code"][0] == {
        "code": f"{ICD}:{A}",
        "n_decided": 2,
        "n_accepted": 2,
        "precision": 1.0,
        "low": pytest.approx(2 / (2 + Z2)),
        "high": 1.0,
    }
    assert d["n_added"] == 2


def test_events_out_of_order_are_refused():
    events = _stream()
    acc = FeedbackAccumulator()
    acc.add(events[1])
    with pytest.raises(ValueError, match="increasing seq"):
        acc.add(events[0])


def test_decision_frame_rows_and_bound():
    frame = decision_frame(_stream(), "m1")
    assert list(frame.columns) == [
        "code",
        "system",
        "decision",
        "reason",
        "probability",
        "probability_bucket",
    ]
    # doc-4's first chart closes when it is re-coded, the open charts follow in suggestion order
    assert frame.values.tolist() == [
        [A, ICD, "accepted", "none", 0.55, "0.5-0.7"],
        [A, ICD, "accepted", "none", 0.95, "0.9-1.0"],
        [B, ICD, "overridden", "documentation_does_not_support", 0.60, "0.5-0.7"],
        [D, ICD, "overridden", "more_specific_code_available", 0.75, "0.7-0.9"],
        [E, ICD, "accepted", "none", 0.40, "0.0-0.5"],
        [B, ICD, "overridden", "payer_rule", 0.88, "0.7-0.9"],
    ]
    assert decision_frame(_stream(), "m1", max_rows=2)["probability"].tolist() == [0.55, 0.95]
    assert decision_frame(_stream(), "m1", max_rows=0).shape == (0, 6)


def _bulk(n_docs: int) -> list[StoredEvent]:
    """Four events a document: two codes suggested, one accepted, one rejected, one code added."""
    common = dict(actor_id="x", actor_role="coder", request_id="r", model_version="m1", code_set_versions={})
    events, seq = [], 0
    for i in range(n_docs):
        doc = f"doc-{i}"
        first = {"system": ICD, "code": f"A{i % 50:02d}"}
        second = {"system": ICD, "code": f"B{i % 7}"}
        payloads = [
            ("suggested", {"codes": [{**first, "probability": 0.8}, second], "route": "review"}),
            ("accepted", {"codes": [first]}),
            ("rejected", {"codes": [second], "reason": "payer_rule"}),
            ("added", {"codes": [{"system": ICD, "code": f"C{i % 3}"}], "reason": "other"}),
        ]
        for kind, payload in payloads:
            seq += 1
            events.append(
                StoredEvent(
                    seq,
                    f"{seq:032x}",
                    kind,
                    "t",
                    document_id=doc,
                    payload=payload,
                    prev_hash="",
                    hash="",
                    **common,
                )
            )
    return events


def test_hundred_thousand_events_summarise_quickly():
    events = _bulk(25_000)
    assert len(events) == 100_000
    start = time.perf_counter()
    s = feedback_summary(iter(events), "m1")
    elapsed = time.perf_counter() - start
    print(f"feedback_summary of 100,000 events: {elapsed:.2f} s")
    assert elapsed < 30
    assert (s.n_charts, s.n_reviewed, s.n_decided_codes) == (25_000, 25_000, 50_000)
    assert s.acceptance_rate == 1 / 2
    assert s.overrides_by_reason == {"payer_rule": 25_000}
    assert s.n_added == 25_000
    assert s.added_by_code == {f"{ICD}:C0": 8334, f"{ICD}:C1": 8333, f"{ICD}:C2": 8333}
    assert len(s.per_code) == 50 + 7
    assert s.per_code[0].code == f"{ICD}:B0" and s.per_code[0].n_decided == 3572  # ceil(25000 / 7)
