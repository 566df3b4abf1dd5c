"""Export one approved chart as an 837 (and a FHIR R4 Claim), recorded in the claims store.

The one function the CLI (``medcoder claims export``) and the service (``/v1/claims/export``) call:
:func:`export_claim` replays the chart's audit events into approved codes
(:mod:`medcoder.claims.approve`), joins them with the billing context into a claim
(:mod:`medcoder.claims.encounter`), runs the pre-bill check when a denial model is given (a
claim whose denial risk is over the threshold is held with the reason, unless a person overrides),
writes the 837 with control numbers drawn from the store (so
they never repeat, across processes too), checks it with pyx12 before it leaves (a claim the
clearinghouse would reject is refused here instead, naming the segment and element but not the
value), and records the claim with the interchange control number it went out in.
:func:`exported_event` is the ``exported`` audit event the caller appends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, StoredEvent
from medcoder.audit.roles import Role
from medcoder.claims.approve import ApprovedCodes, approved_codes
from medcoder.claims.denial import PREBILL_THRESHOLD, DenialModel, claim_frame, prebill_reason
from medcoder.claims.encounter import ClaimContext, build_claim
from medcoder.claims.fhir_claim import to_fhir_claim
from medcoder.claims.records import Claim
from medcoder.claims.store import ClaimsStore
from medcoder.claims.validate import pyx12_errors
from medcoder.claims.x837 import Receiver, Submitter, build_837
from medcoder.errors import MedcoderError

_WHERE = re.compile(r"^(\[[^\]]*\] segment \w+ \(number \d+ in its transaction\)(?: element \w+)?)")


class ClaimRejected(MedcoderError):
    """The 837 failed validation; the message names segments and elements, never their values."""


class PrebillHold(MedcoderError):
    """The denial model puts the claim's risk over the threshold: a person checks it before billing."""


@dataclass
class StoreControlNumbers:
    """Control numbers from the claims store; remembers the ones it handed out."""

    store: ClaimsStore
    used: dict[str, int] | None = None

    def next(self, kind: str) -> int:
        value = self.store.next_control_number(kind.lower())
        self.used = {**(self.used or {}), kind: value}
        return value


@dataclass(frozen=True)
class ClaimExport:
    """An exported claim: the record, its 837 text, the FHIR Claim and the approval behind it."""

    claim: Claim
    x12: str
    fhir: dict[str, Any]
    interchange_control: int
    approval: ApprovedCodes
    denial_risk: float | None = None
    likely_carc: str = ""


def parties(context: ClaimContext) -> tuple[Submitter, Receiver]:
    """Loop 1000A/B: the billing provider submits directly to the payer (no clearinghouse named)."""
    billing = context.billing
    submitter = Submitter(name=billing.name, id=billing.tax_id or billing.npi, contact_name="BILLING OFFICE",
                          contact_phone="0000000000")  # fmt: skip
    return submitter, Receiver(name=context.payer.name, id=context.payer.payer_id)


def redacted(errors: Iterable[str]) -> list[str]:
    """pyx12 messages cut to where the problem is (they may quote the element's value)."""
    out = []
    for message in errors:
        match = _WHERE.match(message)
        out.append(match.group(1) if match else message.split(":", 1)[0][:120])
    return out


def export_claim(
    events: Iterable[StoredEvent],
    document_id: str,
    *,
    context: ClaimContext,
    fees: Mapping[str, Decimal],
    store: ClaimsStore,
    when: datetime,
    request_id: str | None = None,
    usage: str = "P",
    validate: bool = True,
    denial_model: DenialModel | None = None,
    prebill_threshold: float = PREBILL_THRESHOLD,
    override_prebill: bool = False,
) -> ClaimExport:
    """Approved codes -> claim -> pre-bill check -> 837 (pyx12-checked) -> stored.

    Raises NotApproved, ValueError, PrebillHold (risk over the threshold and no override),
    ClaimRejected or ClaimsStoreError (a claim id exported before); then nothing is stored.
    """
    approval = approved_codes(events, document_id, request_id=request_id)
    claim = build_claim(approval, context, fees)
    risk, carc = None, ""
    if denial_model is not None:
        frame = claim_frame(claim, service_date=context.service_date, min_confidence=approval.min_probability,
                            overridden=approval.overridden)  # fmt: skip
        row = denial_model.claim_risk(frame).iloc[0]
        risk, carc = float(row["p_denied"]), str(row["likely_carc"])
        reason = prebill_reason(risk, carc, prebill_threshold)
        if reason is not None and not override_prebill:
            raise PrebillHold(f"claim {claim.claim_id}: {reason}")
    control = StoreControlNumbers(store)
    submitter, receiver = parties(context)
    text = build_837([claim], submitter=submitter, receiver=receiver, control=control, when=when, usage=usage)
    if validate:
        problems = pyx12_errors(text)
        if problems:
            shown = "; ".join(redacted(problems[:5]))
            raise ClaimRejected(
                f"claim {claim.claim_id}: the 837 fails 5010 validation ({len(problems)}): {shown}"
            )
    isa = (control.used or {})["ISA"]
    store.save_claims([claim], interchange_control=isa)
    return ClaimExport(claim=claim, x12=text, fhir=to_fhir_claim(claim), interchange_control=isa,
                       approval=approval, denial_risk=risk, likely_carc=carc)  # fmt: skip


def exported_event(export: ClaimExport, *, actor_id: str, actor_role: Role) -> AuditEvent:
    """The ``exported`` audit event: which codes left on which claim (no amounts, no names)."""
    claim = export.claim
    codes = [CodeRef(system="ICD-10-CM", code=c) for c in export.approval.diagnoses]
    codes += [CodeRef(system="HCPCS" if line.procedure[:1].isalpha() else "CPT", code=line.procedure)
              for line in claim.lines]  # fmt: skip
    return AuditEvent(
        event_type=EventType.EXPORTED,
        actor_id=actor_id,
        actor_role=actor_role,
        request_id=export.approval.request_id,
        document_id=export.approval.document_id,
        model_version=export.approval.model_version,
        payload=EventPayload(codes=tuple(codes), route="claim_exported", count=len(claim.lines)),
    )
