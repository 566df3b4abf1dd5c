"""The claims APIs of the service (billing role): export an approved chart, ingest an 835, status.

Kept beside :class:`medcoder.serving.app.CodingService` (which owns the audit store and routes the
calls here) so the coding path stays small. The claims store, charge master and denial model are
opened on first use: a service that never bills never creates the claims database.

An export returns its 837 only after the ``exported`` audit event is committed; if that write
fails the stored claim is removed again and the caller gets 503, so no claim leaves unaudited.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from medcoder.audit.store import AuditReadError, AuditStore, AuditWriteError
from medcoder.claims.approve import NotApproved
from medcoder.claims.denial import DenialModel
from medcoder.claims.encounter import load_charge_master
from medcoder.claims.export import ClaimRejected, PrebillHold, export_claim, exported_event
from medcoder.claims.store import ClaimsStore, ClaimsStoreError
from medcoder.claims.x12 import X12Error
from medcoder.serving.auth import Principal
from medcoder.serving.config import ServingConfig
from medcoder.serving.errors import ServingError
from medcoder.serving.schemas_claims import (
    ClaimExportRequest,
    ClaimExportResponse,
    ClaimStatusRequest,
    ClaimStatusResponse,
    Ingest835Request,
    Ingest835Response,
    RemittedLine,
)

DEFAULT_CLAIMS_URL = "sqlite:///medcoder_claims.db"


class ClaimsApi:
    """Claims endpoints over one audit store and one (lazily opened) claims store."""

    def __init__(self, audit: AuditStore, config: ServingConfig) -> None:
        self.audit, self.config = audit, config
        self._lock = threading.Lock()
        self._store: ClaimsStore | None = None
        self._fees: dict[str, Decimal] | None = None
        self._denial: DenialModel | None = None

    def _open(self) -> tuple[ClaimsStore, dict[str, Decimal], DenialModel | None]:
        with self._lock:
            if self._store is None:
                self._store = ClaimsStore(
                    self.config.claims_url or DEFAULT_CLAIMS_URL, audit_url=str(self.audit.url)
                )
                self._fees = load_charge_master(self.config.charge_master)
                if self.config.denial_model_dir:
                    self._denial = DenialModel.load(self.config.denial_model_dir)
            assert self._fees is not None
            return self._store, self._fees, self._denial

    def export(self, request: ClaimExportRequest, principal: Principal) -> ClaimExportResponse:
        store, fees, denial = self._open()
        try:
            events = self.audit.events(document_id=request.document_id)
        except AuditReadError:
            raise ServingError(503, "audit trail unavailable; nothing exported") from None
        try:
            export = export_claim(
                events, request.document_id, context=request.context, fees=fees, store=store,
                when=dt.datetime.now(), request_id=request.request_id, denial_model=denial,
                prebill_threshold=self.config.prebill_threshold, override_prebill=request.override_prebill,
            )  # fmt: skip
        except NotApproved as exc:
            raise ServingError(409, str(exc), "/document_id") from None
        except PrebillHold as exc:
            raise ServingError(409, str(exc), "/override_prebill") from None
        except ClaimsStoreError as exc:
            raise ServingError(409, str(exc), "/context/claim_id") from None
        except (ClaimRejected, ValueError) as exc:
            raise ServingError(422, str(exc), "/context") from None
        try:
            stored = self.audit.append(
                exported_event(export, actor_id=principal.subject, actor_role=principal.role)
            )
        except AuditWriteError:
            store.forget_claim(export.claim.claim_id)
            raise ServingError(503, "audit trail unavailable; the claim was not exported") from None
        claim = export.claim
        return ClaimExportResponse(
            claim_id=claim.claim_id, interchange_control=export.interchange_control,
            total_charge=str(claim.total_charge), diagnoses=list(claim.diagnoses),
            procedures=[line.procedure for line in claim.lines], x12=export.x12, fhir_claim=export.fhir,
            denial_risk=export.denial_risk, likely_carc=export.likely_carc, audit_seq=stored.seq,
        )  # fmt: skip

    def ingest_835(self, request: Ingest835Request, principal: Principal) -> Ingest835Response:
        store, _, _ = self._open()
        try:
            report = store.ingest_835(request.x12, source=request.source)
        except X12Error as exc:
            raise ServingError(422, exc.detail if not exc.segment else str(exc), "/x12") from None
        return Ingest835Response(
            source=report.source, sha256=report.sha256, duplicate=report.duplicate, remittances=report.remittances,
            claim_payments=report.claim_payments, lines=report.lines, linked_lines=report.linked_lines,
            unmatched_payments=report.unmatched_payments,
        )  # fmt: skip

    def status(self, request: ClaimStatusRequest, principal: Principal) -> ClaimStatusResponse:
        store, _, _ = self._open()
        try:
            status = store.claim_status(request.claim_id)
        except KeyError:
            raise ServingError(404, "no claim or remittance with this claim id", "/claim_id") from None
        lines = [
            RemittedLine(
                line_number=x.line_number,
                procedure=x.procedure,
                modifiers=list(x.modifiers),
                charge=str(x.charge),
                paid=str(x.paid),
                carcs=list(x.carcs),
                remarks=list(x.remarks),
                diagnoses=list(x.diagnoses),
                model_version=x.model_version,
                decisions=len(x.decisions),
            )  # fmt: skip
            for x in store.linked_lines(request.claim_id)
        ]
        return ClaimStatusResponse(claim_id=request.claim_id, status=status.value, lines=lines)
