"""Feedback requests become audit events in the authenticated coder's name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from medcoder.audit.events import EventType, Reason
from medcoder.audit.store import AuditStore
from medcoder.serving.auth import Principal, Role
from medcoder.serving.schemas_feedback import FeedbackAction, FeedbackRequest, feedback_event

CODER = Principal(subject="coder-7", role=Role.CODER, method="jwt")


def test_modify_records_both_codes_and_reason(tmp_path) -> None:
    request = FeedbackRequest(
        document_id="doc-9",
        request_id="req-3",
        action=FeedbackAction.MODIFY,
        codes=[{"system": "ICD-10-CM", "code": "E11.65"}],
        previous_codes=[{"system": "ICD-10-CM", "code": "E11.9"}],
        reason=Reason.MORE_SPECIFIC_CODE_AVAILABLE,
    )
    event = feedback_event(request, CODER, "m-1", {"ICD-10-CM": "FY2026"})
    assert (event.event_type, event.actor_id, event.actor_role) == (EventType.MODIFIED, "coder-7", Role.CODER)
    stored = AuditStore(f"sqlite:///{tmp_path / 'a.db'}").append(event)
    assert stored.payload == {
        "codes": [{"system": "ICD-10-CM", "code": "E11.65"}],
        "previous_codes": [{"system": "ICD-10-CM", "code": "E11.9"}],
        "reason": "more_specific_code_available",
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "reject", "codes": [{"system": "CPT", "code": "99213"}]},  # no reason
        {
            "action": "modify",
            "codes": [{"system": "CPT", "code": "99214"}],
            "reason": "payer_rule",
        },  # no previous
        {"action": "accept"},  # no codes
    ],
)
def test_incomplete_feedback_is_refused(fields: dict) -> None:
    request = FeedbackRequest(document_id="doc-9", request_id="req-3", **fields)
    with pytest.raises(ValidationError):
        feedback_event(request, CODER, "m-1", {})


def test_client_cannot_name_the_coder_or_send_text() -> None:
    with pytest.raises(ValidationError):
        FeedbackRequest(document_id="doc-9", request_id="req-3", action="accept", coder_id="someone-else")
    with pytest.raises(ValidationError):
        FeedbackRequest(document_id="doc-9", request_id="req-3", action="accept", comment="pt reports pain")
    with pytest.raises(ValidationError):
        FeedbackRequest(document_id="doc-9", request_id="req-3", action="accept", reason="because I said so")
