"""The review APIs of the service (coder role): the worklist, one queued chart, finalize.

Every chart the router sends to review or escalation is queued in the review store
(:mod:`medcoder.review.store`) right after its ``suggested`` event is committed, with the note
text: a coder has to read the note, and the audit trail must never hold it. Finalizing a chart
records a ``finalized`` audit event with the final codes (evidence as offsets only) before the
store marks the chart done, so the store never shows a chart closed that the audit trail lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from medcoder.audit.store import AuditStore, AuditWriteError
from medcoder.coding.result import CodingResult, RouteDecision
from medcoder.review.api import EvidencePastNote, finalize_chart
from medcoder.review.records import (
    FinalizeRequest,
    FinalizeResponse,
    ReviewItem,
    ReviewStatus,
    WorklistRequest,
    WorklistResponse,
    facts_of,
)
from medcoder.review.store import ChartFinalized, ReviewNotFound, ReviewStore, ReviewStoreError, queue_row
from medcoder.serving.auth import Principal
from medcoder.serving.errors import ServingError

log = logging.getLogger(__name__)

QUEUED_ROUTES = frozenset({RouteDecision.REVIEW.value, RouteDecision.ESCALATE.value})


class ReviewApi:
    """Worklist endpoints over the service's audit store and a review store on the same database."""

    def __init__(self, audit: AuditStore, model_version: str, code_sets: dict[str, str]) -> None:
        self.audit, self.model_version, self.code_sets = audit, model_version, code_sets
        self.store = ReviewStore(audit.url)

    def queue(self, coded: Sequence[tuple[CodingResult, object]]) -> None:
        """Queue the (result, document) pairs routed to review or escalation; raises
        :class:`ServingError` 503 when the store cannot be written (the caller must not return them)."""
        rows = [
            queue_row(r, doc.text, facts_of(doc), self.model_version)  # type: ignore[arg-type]
            for r, doc in coded
            if r.route.decision.value in QUEUED_ROUTES
        ]
        if not rows:
            return
        try:
            self.store.queue(rows)
        except ReviewStoreError:
            raise ServingError(503, "review worklist unavailable; the chart was not queued") from None

    def worklist(self, request: WorklistRequest, principal: Principal) -> WorklistResponse:
        try:
            entries = self.store.worklist(ReviewStatus(request.status), request.limit, request.route)
        except Exception as exc:  # noqa: BLE001 - any store failure is a 503, never a traceback
            log.error("worklist read failed: %s", type(exc).__name__)
            raise ServingError(503, "review worklist unavailable") from None
        return WorklistResponse(entries=entries)

    def item(self, request_id: str, principal: Principal) -> ReviewItem:
        try:
            return self.store.get(request_id)
        except ReviewNotFound as exc:
            raise ServingError(404, str(exc), "/request_id") from None

    def finalize(self, request: FinalizeRequest, principal: Principal) -> FinalizeResponse:
        """Record ``finalized`` in the audit trail, then close the chart (``review.api.finalize_chart``)."""
        try:
            stored = finalize_chart(self.store, self.audit, request.request_id, request.codes,
                                    principal.subject, principal.role, lambda _: self.code_sets)  # fmt: skip
        except ReviewNotFound as exc:
            raise ServingError(404, str(exc), "/request_id") from None
        except ChartFinalized as exc:
            raise ServingError(409, str(exc), "/request_id") from None
        except EvidencePastNote as exc:
            raise ServingError(422, str(exc), f"/codes/{exc.index}/evidence") from None
        except AuditWriteError:
            raise ServingError(503, "audit trail unavailable; the chart was not finalized") from None
        except ReviewStoreError as exc:  # the audit event stands; the worklist did not catch up
            log.error("review store finalize failed after the audit event: %s", type(exc).__name__)
            raise ServingError(503, "finalized in the audit trail but the worklist was not updated") from None
        return FinalizeResponse(seq=stored.seq, event_id=stored.event_id, hash=stored.hash)
