"""Event validation and the exact canonical form the hash is computed over."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from pydantic import ValidationError

from medcoder.audit.events import (
    GENESIS_HASH,
    AuditEvent,
    CodeRef,
    EventPayload,
    EventType,
    Reason,
    canonical_json,
    seal,
    utc_timestamp,
)
from medcoder.audit.roles import Role


def _rejected(**overrides) -> AuditEvent:
    fields = dict(
        event_type=EventType.REJECTED,
        actor_id="coder-7",
        actor_role=Role.CODER,
        request_id="req-9",
        document_id="doc-42",
        model_version="m-1",
        code_set_versions={"ICD-10-CM": "FY2026"},
        payload=EventPayload(codes=(CodeRef(system="ICD-10-CM", code="I10"),), reason=Reason.PAYER_RULE),
        event_id="0123456789abcdef0123456789abcdef",
        occurred_at="2026-11-28T07:00:00+01:00",
    )
    fields.update(overrides)
    return AuditEvent(**fields)


def test_hash_is_sha256_of_the_documented_canonical_json() -> None:
    stored = seal(_rejected(), seq=1, prev_hash=GENESIS_HASH, occurred_at=_rejected().occurred_at)
    expected_text = (
        '{"actor_id":"coder-7","actor_role":"coder","code_set_versions":{"ICD-10-CM":"FY2026"},'
        '"document_id":"doc-42","event_id":"0123456789abcdef0123456789abcdef","event_type":"rejected",'
        '"model_version":"m-1","occurred_at":"2026-11-28T06:00:00.000000Z",'
        '"payload":{"codes":[{"code":"I10","system":"ICD-10-CM"}],"reason":"payer_rule"},'
        '"prev_hash":"' + "0" * 64 + '","request_id":"req-9","seq":1,"v":1}'
    )
    assert canonical_json(stored.hashed_fields()) == expected_text
    assert stored.hash == hashlib.sha256(expected_text.encode()).hexdigest()


def test_hash_changes_with_seq_and_prev_hash() -> None:
    event = _rejected()
    a = seal(event, 1, GENESIS_HASH, "2026-11-28T06:00:00.000000Z")
    b = seal(event, 2, GENESIS_HASH, "2026-11-28T06:00:00.000000Z")
    c = seal(event, 1, "f" * 64, "2026-11-28T06:00:00.000000Z")
    assert len({a.hash, b.hash, c.hash}) == 3


def test_canonical_json_sorts_keys_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_timestamps_are_utc_with_z() -> None:
    assert _rejected().occurred_at == "2026-11-28T06:00:00.000000Z"
    assert utc_timestamp(dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)) == "2026-01-02T03:04:05.000006Z"
    with pytest.raises(ValueError):
        utc_timestamp(dt.datetime(2026, 1, 2))


@pytest.mark.parametrize(
    "overrides",
    [
        {"document_id": "Patient is a 67 year old man with chest pain"},  # note text is not an id
        {
            "payload": EventPayload(codes=(CodeRef(system="ICD-10-CM", code="I10"),))
        },  # rejected without reason
        {"event_type": EventType.ACCEPTED, "payload": EventPayload()},  # accepted without codes
        {"event_type": EventType.MODIFIED},  # modified without previous_codes
        {"actor_role": "superuser"},
        {"event_type": "deleted"},
        {"occurred_at": "2026-11-28T06:00:00"},  # naive time
    ],
)
def test_invalid_events_are_refused(overrides: dict) -> None:
    with pytest.raises(ValidationError):
        _rejected(**overrides)


def test_payload_forbids_free_text_fields() -> None:
    with pytest.raises(ValidationError):
        EventPayload(codes=(CodeRef(system="ICD-10-CM", code="I10"),), note="patient says ...")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        CodeRef(system="ICD-10-CM", code="I10 hypertension")
    with pytest.raises(ValidationError):
        CodeRef(system="ICD-10-CM", code="I10", probability=1.2)


def test_reason_menu() -> None:
    assert {r.value for r in Reason} == {
        "documentation_does_not_support",
        "more_specific_code_available",
        "payer_rule",
        "coding_guideline",
        "clinical_judgement",
        "other",
    }
    assert {t.value for t in EventType} == {
        "suggested", "viewed", "accepted", "rejected", "modified", "added", "escalated", "exported", "shift_checked",
        "monitor_breach", "monitor_cleared", "finalized",
    }  # fmt: skip
