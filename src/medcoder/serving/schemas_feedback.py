"""The ``feedback`` API's request and its translation into an audit event.

A coder accepts, rejects, modifies, adds or escalates codes on a document, with a reason from the
standard menu (:class:`medcoder.audit.events.Reason`). The coder's id is the authenticated
principal's subject, never a field the client fills in, so nobody can record a decision in
someone else's name.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN, AuditEvent, CodeRef, EventPayload, EventType, Reason
from medcoder.review.api import ACTION_EVENT as REVIEW_ACTION_EVENT
from medcoder.serving.auth import Principal


class FeedbackAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    MODIFY = "modify"
    ADD = "add"
    ESCALATE = "escalate"


# One map for the service and the in-process review API (medcoder.review.api).
ACTION_EVENT: dict[FeedbackAction, EventType] = {a: REVIEW_ACTION_EVENT[a.value] for a in FeedbackAction}


class FeedbackRequest(BaseModel):
    """A coder's decision on codes suggested for one document (by the request ``request_id``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: str = Field(pattern=ID_PATTERN, description="Opaque document id, never note text.")
    request_id: str = Field(pattern=ID_PATTERN, description="Request id of the coding response decided on.")
    action: FeedbackAction
    codes: list[CodeRef] = Field(default_factory=list, max_length=200)
    previous_codes: list[CodeRef] = Field(
        default_factory=list, max_length=200, description="For 'modify': the codes being replaced."
    )
    reason: Reason | None = Field(default=None, description="Required for reject, modify, add and escalate.")


class FeedbackResponse(BaseModel):
    """What the feedback API returns: where the decision sits in the audit chain."""

    seq: int
    event_id: str
    hash: str


def feedback_event(
    request: FeedbackRequest, principal: Principal, model_version: str, code_set_versions: dict[str, str]
) -> AuditEvent:
    """The audit event for a feedback request by ``principal``; raises ValueError (-> 422) when the
    action lacks what it needs (a reason, codes, or the codes a modification replaces)."""
    return AuditEvent(
        event_type=ACTION_EVENT[request.action],
        actor_id=principal.subject,
        actor_role=principal.role,
        request_id=request.request_id,
        document_id=request.document_id,
        model_version=model_version,
        code_set_versions=code_set_versions,
        payload=EventPayload(
            codes=tuple(request.codes), previous_codes=tuple(request.previous_codes), reason=request.reason
        ),
    )
