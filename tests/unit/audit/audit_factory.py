"""A factory of valid audit events shared by the audit unit and PostgreSQL integration tests."""

from __future__ import annotations

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, Reason
from medcoder.audit.roles import Role


def make_event(i: int, document_id: str = "doc-1", event_type: EventType = EventType.SUGGESTED) -> AuditEvent:
    """A valid event; ``i`` varies the request id and the probability so events differ."""
    reason = Reason.DOCUMENTATION_DOES_NOT_SUPPORT if event_type == EventType.REJECTED else None
    return AuditEvent(
        event_type=event_type,
        actor_id="svc-ehr",
        actor_role=Role.SERVICE,
        request_id=f"req-{i}",
        document_id=document_id,
        model_version="laat-2026.11.1",
        code_set_versions={"ICD-10-CM": "FY2026"},
        payload=EventPayload(
            codes=(CodeRef(system="ICD-10-CM", code="E11.9", probability=round(0.5 + (i % 500) / 1000, 3)),),
            reason=reason,
            route="review",
        ),
    )
