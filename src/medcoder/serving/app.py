"""The coding service without any web framework: auth, intake, micro-batched pipeline, audit.

``serving/service.py`` (BentoML) only moves bytes in and out of :class:`CodingService`; tests
and the benchmark can drive this class in-process too. Every coding result is returned only
after its ``suggested`` audit event is committed (one transaction per micro-batch): if the audit
write fails the request fails with 503 and nothing unaudited leaves the service.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from medcoder.audit.events import AuditEvent, EventPayload, EventType, ShiftCheck
from medcoder.audit.store import AuditReadError, AuditStore, AuditWriteError
from medcoder.coding.context import EncounterContext
from medcoder.coding.pipeline import CodingPipeline
from medcoder.monitoring.profile import NoteEmbedder, note_profile
from medcoder.monitoring.reference import pipeline_version
from medcoder.monitoring.traffic import audit_code_sets, coding_event
from medcoder.review.records import (
    FinalizeRequest,
    FinalizeResponse,
    ItemRequest,
    ReviewItem,
    WorklistRequest,
    WorklistResponse,
)
from medcoder.serving.auth import AuthConfig, Permission, Principal, load_auth_config, require
from medcoder.serving.batcher import MicroBatcher
from medcoder.serving.claims_api import ClaimsApi
from medcoder.serving.config import ServingConfig, load_serving_config
from medcoder.serving.errors import ServingError
from medcoder.serving.intake import to_document
from medcoder.serving.review_api import ReviewApi
from medcoder.serving.schemas import BatchRequest, BatchResponse, CodeRequest, CodingResponse, Health
from medcoder.serving.schemas_claims import (
    ClaimExportRequest,
    ClaimExportResponse,
    ClaimStatusRequest,
    ClaimStatusResponse,
    Ingest835Request,
    Ingest835Response,
)
from medcoder.serving.schemas_feedback import FeedbackRequest, FeedbackResponse, feedback_event

log = logging.getLogger(__name__)

PRINCIPAL_SCOPE_KEY = "medcoder_principal"
ROUTE_PERMISSIONS: dict[str, Permission | None] = {
    "/v1/code": Permission.CODE,
    "/v1/code_batch": Permission.CODE_BATCH,
    "/v1/feedback": Permission.FEEDBACK,
    "/v1/worklist": Permission.REVIEW,
    "/v1/worklist/item": Permission.REVIEW,
    "/v1/worklist/finalize": Permission.REVIEW,
    "/v1/claims/export": Permission.CLAIMS,
    "/v1/claims/ingest_835": Permission.CLAIMS,
    "/v1/claims/status": Permission.CLAIMS,
    "/v1/health": None,  # any authenticated caller
}
# The request model each route's body must match (checked by asgi.AuthGuard before BentoML parses it).
ROUTE_INPUTS: dict[str, type[BaseModel]] = {
    "/v1/code": CodeRequest,
    "/v1/code_batch": BatchRequest,
    "/v1/feedback": FeedbackRequest,
    "/v1/worklist": WorklistRequest,
    "/v1/worklist/item": ItemRequest,
    "/v1/worklist/finalize": FinalizeRequest,
    "/v1/claims/export": ClaimExportRequest,
    "/v1/claims/ingest_835": Ingest835Request,
    "/v1/claims/status": ClaimStatusRequest,
}


@dataclass(frozen=True)
class CodeJob:
    document: object  # medcoder.data.records.Document
    context: EncounterContext
    principal: Principal
    request_id: str


MONITOR_EVENTS = (EventType.MONITOR_BREACH.value, EventType.MONITOR_CLEARED.value)


class CodingService:
    """One per worker process (see :meth:`shared`): pipeline, audit store, auth and the batcher."""

    _shared: CodingService | None = None
    _lock = threading.Lock()

    def __init__(
        self, pipeline: CodingPipeline, store: AuditStore, auth: AuthConfig, config: ServingConfig
    ) -> None:
        self.pipeline, self.store, self.auth, self.config = pipeline, store, auth, config
        v = pipeline.versions
        self.model_version = pipeline_version(pipeline)
        self.code_sets = audit_code_sets(v.code_sets)
        self.batcher: MicroBatcher[CodeJob, CodingResponse] = MicroBatcher(
            self._work, config.batching.max_batch_size, config.batching.max_latency_ms
        )
        self.claims = ClaimsApi(store, config)
        self.review = ReviewApi(store, self.model_version, self.code_sets) if config.review_queue else None
        self.embedder = NoteEmbedder() if config.monitoring.embeddings else None
        self._hold_checked = float("-inf")
        self.ready = False

    @classmethod
    def from_config(cls, config: ServingConfig | None = None) -> CodingService:
        """Load the model directory, open (create) the audit store, build auth from the config."""
        from medcoder.audit.api_keys import ApiKeyStore

        config = config or load_serving_config()
        if not config.model_dir:
            raise ValueError("no model directory: set model_dir in serving.yaml or MEDCODER_MODEL_DIR")
        pipeline = CodingPipeline.from_model_dir(config.model_dir, config.pipeline)
        store = AuditStore(config.audit_url)
        auth = load_auth_config(config.auth, api_keys=ApiKeyStore(store))
        return cls(pipeline, store, auth, config)

    @classmethod
    def shared(cls) -> CodingService:
        """The process-wide instance (the BentoML service object and the auth middleware share it)."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls.from_config()
            return cls._shared

    def warm_up(self) -> None:
        """Load lazily built parts (ConText pipeline, code tables) before declaring readiness."""
        text = "ASSESSMENT:\nType 2 diabetes mellitus. Denies chest pain.\nFAMILY HISTORY:\nMother had breast cancer."
        t0 = time.perf_counter()
        self.pipeline.code_many([(to_document(CodeRequest(text=text, setting="outpatient"), self.config.pipeline)[0],
                                  EncounterContext())])  # fmt: skip
        self.ready = True
        log.info("service warm in %.1f s (model %s)", time.perf_counter() - t0, self.model_version)

    def is_ready(self) -> bool:
        if not self.ready:
            return False
        try:
            self.store.head()
        except Exception as exc:  # noqa: BLE001 - any store failure means "not ready"
            log.error("audit store not reachable: %s", type(exc).__name__)
            return False
        return True

    # auth -----------------------------------------------------------------------------------
    def authorize(self, header: str | None, permission: Permission | None) -> Principal:
        """401/403 as :class:`AuthError`; ``permission=None`` accepts any authenticated role."""
        if permission is None:
            from medcoder.serving.auth import authenticate

            return authenticate(header, self.auth)
        return require(header, permission, self.auth)

    # batch work (runs in a worker thread) ------------------------------------------------------
    def _event(self, result: CodingResponse, job: CodeJob, embedding: np.ndarray | None) -> AuditEvent:
        return coding_event(
            result, note_profile(job.document, embedding),
            actor_id=job.principal.subject, actor_role=job.principal.role, request_id=job.request_id,
            model_version=self.model_version, code_set_versions=self.code_sets,
        )  # fmt: skip

    def _embeddings(self, jobs: Sequence[CodeJob]) -> np.ndarray | list[None]:
        """Projected note embeddings for the batch's profiles; Nones when disabled or when it fails."""
        if self.embedder is None:
            return [None] * len(jobs)
        try:
            return self.embedder.embed([j.document.text for j in jobs])
        except Exception as exc:  # noqa: BLE001 - monitoring must never block coding
            log.warning("note embeddings failed (%s); profiles recorded without them", type(exc).__name__)
            return [None] * len(jobs)

    def refresh_hold(self, now: float | None = None) -> None:
        """Hold or release auto-finalization from the newest monitoring event of this model version."""
        now = time.monotonic() if now is None else now
        if now - self._hold_checked < self.config.monitoring.poll_seconds:
            return
        self._hold_checked = now
        try:
            latest = self.store.latest(model_version=self.model_version, event_types=MONITOR_EVENTS)
        except AuditReadError:
            log.warning("cannot read monitoring events; hold unchanged")
            return
        if latest is not None and latest.event_type == EventType.MONITOR_BREACH.value:
            check = latest.payload.get("monitor", {})
            self.pipeline.hold.hold("monitoring", f"monitoring breach on window {check.get('window_start', '?')} - "
                                    f"{check.get('window_end', '?')}: {', '.join(check.get('breaches', []))}")  # fmt: skip
        else:
            self.pipeline.hold.release("monitoring")

    def _shift_checks(self, job: CodeJob) -> list[AuditEvent]:
        """Window shift tests finished while coding this batch, as ``shift_checked`` audit events."""
        monitor = self.pipeline.shift_monitor
        if monitor is None:
            return []
        return [
            AuditEvent(
                event_type=EventType.SHIFT_CHECKED,
                actor_id=job.principal.subject,
                actor_role=job.principal.role,
                request_id=uuid.uuid4().hex,
                document_id="traffic-window",
                model_version=self.model_version,
                code_set_versions=self.code_sets,
                payload=EventPayload(
                    count=r.n_window,
                    route="shifted" if r.shifted else "like_calibration",
                    shift=ShiftCheck(
                        n_window=r.n_window,
                        n_reference=r.n_reference,
                        accuracy=r.accuracy,
                        p_value=r.p_value,
                        shifted=r.shifted,
                    ),  # fmt: skip
                ),
            )
            for r in monitor.drain()
        ]

    def _work(self, jobs: Sequence[CodeJob]) -> list[CodingResponse | BaseException]:
        self.refresh_hold()
        items = [(j.document, j.context) for j in jobs]
        ids = [j.request_id for j in jobs]
        try:
            results: list[CodingResponse | BaseException] = [
                CodingResponse(**dict(r)) for r in self.pipeline.code_many(items, ids)
            ]
        except Exception:  # noqa: BLE001 - isolate the chart that fails, code the others
            log.warning("batch of %d failed; coding one by one", len(jobs))
            results = []
            for item, rid in zip(items, ids, strict=True):
                try:
                    results.append(CodingResponse(**dict(self.pipeline.code_many([item], [rid])[0])))
                except Exception as exc:  # noqa: BLE001
                    log.error("coding failed for request %s: %s", rid, type(exc).__name__)
                    results.append(ServingError(500, "internal error while coding this chart"))
        vectors = self._embeddings(jobs)
        ok = [
            (r, j, v) for r, j, v in zip(results, jobs, vectors, strict=True) if isinstance(r, CodingResponse)
        ]
        try:
            with self.store.transaction() as tx:
                for r, j, v in ok:
                    tx.add(self._event(r, j, v))
                for check in self._shift_checks(jobs[0]):
                    tx.add(check)
        except AuditWriteError:
            failure = ServingError(503, "audit trail unavailable; the result was not returned")
            return [failure for _ in jobs]
        for (r, _, _), stored in zip(ok, tx.stored[: len(ok)], strict=True):  # shift checks come after
            r.audit_seq = stored.seq
        if self.review is not None:
            try:
                self.review.queue([(r, j.document) for r, j, _ in ok])
            except ServingError as failure:  # audited but not queued: the caller must retry
                queued = {id(r) for r, _, _ in ok if r.route.decision.value != "auto"}
                return [failure if id(r) in queued else r for r in results]
        return results

    # APIs ----------------------------------------------------------------------------------
    async def code(self, request: CodeRequest, principal: Principal) -> CodingResponse:
        doc, ctx = to_document(request, self.config.pipeline)
        return await self.batcher.submit(CodeJob(doc, ctx, principal, uuid.uuid4().hex))

    async def code_batch(self, request: BatchRequest, principal: Principal) -> BatchResponse:
        jobs = []
        for i, item in enumerate(request.items):
            doc, ctx = to_document(item, self.config.pipeline, pointer=f"/items/{i}")
            jobs.append(CodeJob(doc, ctx, principal, uuid.uuid4().hex))
        return BatchResponse(results=await self.batcher.submit_many(jobs))

    async def feedback(self, request: FeedbackRequest, principal: Principal) -> FeedbackResponse:
        try:
            event = feedback_event(request, principal, self.model_version, self.code_sets)
        except ValueError as exc:
            msg = str(exc).splitlines()
            detail = next(
                (m.strip() for m in msg if m.strip().startswith(("a ", "Value error"))), "invalid feedback"
            )
            raise ServingError(422, detail.removeprefix("Value error, "), "/") from None
        try:
            stored = await asyncio.to_thread(self.store.append, event)
        except AuditWriteError:
            raise ServingError(503, "audit trail unavailable; feedback not recorded") from None
        return FeedbackResponse(seq=stored.seq, event_id=stored.event_id, hash=stored.hash)

    def _review(self) -> ReviewApi:
        if self.review is None:
            raise ServingError(404, "the review worklist is switched off (review_queue: false)")
        return self.review

    async def worklist(self, request: WorklistRequest, principal: Principal) -> WorklistResponse:
        return await asyncio.to_thread(self._review().worklist, request, principal)

    async def worklist_item(self, request: ItemRequest, principal: Principal) -> ReviewItem:
        return await asyncio.to_thread(self._review().item, request.request_id, principal)

    async def worklist_finalize(self, request: FinalizeRequest, principal: Principal) -> FinalizeResponse:
        return await asyncio.to_thread(self._review().finalize, request, principal)

    async def claims_export(self, request: ClaimExportRequest, principal: Principal) -> ClaimExportResponse:
        return await asyncio.to_thread(self.claims.export, request, principal)

    async def claims_ingest_835(self, request: Ingest835Request, principal: Principal) -> Ingest835Response:
        return await asyncio.to_thread(self.claims.ingest_835, request, principal)

    async def claims_status(self, request: ClaimStatusRequest, principal: Principal) -> ClaimStatusResponse:
        return await asyncio.to_thread(self.claims.status, request, principal)

    def health(self) -> Health:
        v = self.pipeline.versions
        m = self.pipeline.shift_monitor
        shift = None if m is None else {
            "window": m.window, "windows_tested": m.windows_tested, "windows_shifted": m.windows_shifted,
            "last": m.last.to_dict() if m.last else None,
        }  # fmt: skip
        return Health(status="ready" if self.ready else "starting", model_name=v.model_name,
                      model_version=v.model_version, shift=shift)  # fmt: skip
