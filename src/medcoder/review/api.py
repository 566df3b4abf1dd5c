"""What the review notebook needs from the service, and an in-process implementation of it.

:class:`ReviewApi` is the interface the review logic and widgets are written against: list the
worklist, open a chart, record a decision (the feedback API), finalize the chart. The notebook
passes ``medcoder.serving.client.CoderClient`` (HTTP, coder JWT); tests and offline work pass
:class:`StoreBackedApi`, which writes the same audit events as the service would, straight into a
review store and audit store (for instance a local SQLite file).

The service's rules kept here are only the ones that decide what is recorded: the action ->
event type map, the coder as actor (never a field of the request), evidence offsets inside the
note, and "audit event first, then close the chart in the store".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from medcoder.audit.events import (
    ID_PATTERN,
    AuditEvent,
    CodeRef,
    EventPayload,
    EventType,
    Reason,
    StoredEvent,
)
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.review.records import FinalizeResponse, ReviewItem, ReviewStatus, WorklistEntry
from medcoder.review.store import ChartFinalized, ReviewStore

ACTION_EVENT: dict[str, EventType] = {
    "accept": EventType.ACCEPTED,
    "reject": EventType.REJECTED,
    "modify": EventType.MODIFIED,
    "add": EventType.ADDED,
    "escalate": EventType.ESCALATED,
}
"""Feedback action -> audit event type (the same map as the service's feedback API)."""

FEEDBACK_FIELDS = frozenset({"document_id", "request_id", "action", "codes", "previous_codes", "reason"})


@runtime_checkable
class ReviewApi(Protocol):
    """The coder-facing review API (``CoderClient`` over HTTP, or :class:`StoreBackedApi`)."""

    def worklist(
        self, status: str = "open", limit: int = 50, route: str | None = None
    ) -> list[WorklistEntry]:
        """Queued charts, most urgent and oldest first (no note text)."""
        ...

    def item(self, request_id: str) -> ReviewItem:
        """One queued chart with its note, coding result and encounter facts."""
        ...

    def feedback(self, **fields: Any) -> dict:
        """Record one decision; ``fields`` is a ``FeedbackRequest`` as JSON. Returns seq, event_id, hash."""
        ...

    def finalize(self, request_id: str, codes: list[CodeRef]) -> FinalizeResponse:
        """Close the chart with its final codes (a ``finalized`` audit event)."""
        ...


class EvidencePastNote(ValueError):
    """A final code's evidence ends after the note; ``index`` is the code's place in the list."""

    def __init__(self, index: int, code: str, limit: int) -> None:
        self.index = index
        super().__init__(f"evidence of code {code} ends after the note ({limit} characters)")


def finalize_chart(
    store: ReviewStore, audit: AuditStore, request_id: str, codes: Sequence[CodeRef], actor_id: str,
    actor_role: Role, code_sets: Callable[[ReviewItem], dict[str, str]],
) -> StoredEvent:  # fmt: skip
    """Close an open chart: check it, append ``finalized`` to the audit trail, then mark it done.

    The one implementation behind the service's ``/v1/worklist/finalize`` and :class:`StoreBackedApi`.
    Raises :class:`ReviewNotFound`, :class:`ChartFinalized`, :class:`EvidencePastNote`, the audit
    store's ``AuditWriteError`` (nothing written) or :class:`ReviewStoreError` when the store fails
    after the audit event was appended. ``code_sets`` gives the code-set versions to record."""
    item = store.get(request_id)
    if item.entry.status != ReviewStatus.OPEN:
        raise ChartFinalized(f"chart {request_id!r} is already finalized")
    limit = len(item.text)
    for i, code in enumerate(codes):
        if any(span.end > limit for span in code.evidence):
            raise EvidencePastNote(i, code.code, limit)
    event = AuditEvent(
        event_type=EventType.FINALIZED, actor_id=actor_id, actor_role=actor_role,
        request_id=request_id, document_id=item.entry.document_id, model_version=item.entry.model_version,
        code_set_versions=code_sets(item), payload=EventPayload(codes=tuple(codes), route=item.entry.route),
    )  # fmt: skip
    stored = audit.append(event)
    store.finalize(request_id, codes, actor_id, stored.occurred_at)
    return stored


def _codes(value: object, field: str) -> tuple[CodeRef, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"feedback field {field!r} must be a list of codes")
    return tuple(c if isinstance(c, CodeRef) else CodeRef.model_validate(c) for c in value)


class StoreBackedApi:
    """:class:`ReviewApi` over a :class:`ReviewStore` and an :class:`AuditStore`, acting as ``coder``.

    ``code_set_versions`` is recorded on every event; by default each chart's own (the versions its
    coding result was produced with).
    """

    def __init__(
        self, store: ReviewStore, audit: AuditStore, coder: str,
        code_set_versions: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        if not re.fullmatch(ID_PATTERN, coder):
            raise ValueError("coder must be an opaque id (letters, digits, ._:@/+-; no spaces)")
        self.store, self.audit, self.coder = store, audit, coder
        self.code_set_versions = dict(code_set_versions) if code_set_versions is not None else None

    def worklist(
        self, status: str = "open", limit: int = 50, route: str | None = None
    ) -> list[WorklistEntry]:
        if route not in (None, "review", "escalate"):
            raise ValueError(f"route must be review, escalate or None, got {route!r}")
        if not 1 <= limit <= 500:
            raise ValueError(f"limit must be between 1 and 500, got {limit}")
        return self.store.worklist(ReviewStatus(status), limit, route)

    def item(self, request_id: str) -> ReviewItem:
        return self.store.get(request_id)

    def _event(self, event_type: EventType, item: ReviewItem, payload: EventPayload) -> AuditEvent:
        versions = self.code_set_versions
        return AuditEvent(
            event_type=event_type, actor_id=self.coder, actor_role=Role.CODER,
            request_id=item.entry.request_id, document_id=item.entry.document_id,
            model_version=item.entry.model_version,
            code_set_versions=versions if versions is not None else dict(item.result.versions.code_sets),
            payload=payload,
        )  # fmt: skip

    def feedback(self, **fields: Any) -> dict:
        """Append the decision's audit event; ValueError when a field is unknown or missing, the
        action is not on the menu, or the event lacks its reason / codes / replaced codes."""
        unknown = sorted(set(fields) - FEEDBACK_FIELDS)
        if unknown:
            raise ValueError(f"unknown feedback fields {unknown}; allowed: {sorted(FEEDBACK_FIELDS)}")
        for name in ("document_id", "request_id", "action"):
            if not fields.get(name):
                raise ValueError(f"feedback needs {name!r}")
        action = str(fields["action"])
        if action not in ACTION_EVENT:
            raise ValueError(f"action must be one of {sorted(ACTION_EVENT)}, got {action!r}")
        item = self.store.get(str(fields["request_id"]))
        if item.entry.document_id != fields["document_id"]:
            raise ValueError(f"document_id does not match the chart queued under {item.entry.request_id!r}")
        reason = fields.get("reason")
        payload = EventPayload(
            codes=_codes(fields.get("codes", []), "codes"),
            previous_codes=_codes(fields.get("previous_codes", []), "previous_codes"),
            reason=Reason(reason) if reason is not None else None,
        )
        stored = self.audit.append(self._event(ACTION_EVENT[action], item, payload))
        return {"seq": stored.seq, "event_id": stored.event_id, "hash": stored.hash}

    def finalize(self, request_id: str, codes: list[CodeRef]) -> FinalizeResponse:
        """Record ``finalized`` with the final codes, then close the chart in the store."""
        codes = [c if isinstance(c, CodeRef) else CodeRef.model_validate(c) for c in codes]
        versions = self.code_set_versions
        stored = finalize_chart(self.store, self.audit, request_id, codes, self.coder, Role.CODER,
                                lambda item: versions if versions is not None else dict(item.result.versions.code_sets))  # fmt: skip
        return FinalizeResponse(seq=stored.seq, event_id=stored.event_id, hash=stored.hash)
