"""Claim histories: a claim paired with how it was paid, and the per-line table a denial model learns from.

A :class:`HistoryRecord` is one adjudicated claim: the :class:`~medcoder.claims.records.Claim` that went
out and the :class:`~medcoder.claims.records.ClaimPayment` that came back, with the date of service, the
payer and a hashed patient key (never a name or member id). Records come from Synthea explanations of
benefit (:mod:`medcoder.claims.synthea`) or from the payer simulator (:mod:`medcoder.claims.simulator`);
``simulated_denial`` marks denials the simulator invented so a model's report can tell them apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from medcoder.claims.records import Claim, ClaimPayment, RemitLine

DENIAL_GROUPS = frozenset({"CO", "PI"})
DENIED_STATUS = "4"
FRAME_COLUMNS = (
    "service_date",
    "claim_id",
    "payer_id",
    "line_number",
    "procedure",
    "modifiers",
    "n_modifiers",
    "units",
    "charge",
    "principal_diagnosis",
    "n_diagnoses",
    "paid",
    "denied",
    "denial_carc",
    "simulated",
    "source",
)


@dataclass(frozen=True)
class HistoryRecord:
    """One adjudicated claim.

    ``patient_key`` is a one-way hash (see :func:`patient_key`). ``source`` says where the payment came
    from (``"synthea"`` or ``"simulator"``); ``dropped_items`` counts source items that had no mapping
    and were left off the claim (Synthea only).
    """

    claim: Claim
    payment: ClaimPayment
    service_date: date
    payer_name: str
    payer_id: str
    patient_key: str
    simulated_denial: bool = False
    source: str = "synthea"
    dropped_items: int = 0


def patient_key(*parts: str) -> str:
    """A stable 16-hex-digit key for a patient: SHA-256 of the parts, so no name or id is stored."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _line_denial(line: RemitLine) -> str:
    """The first CO/PI reason on the line when the line paid nothing, else ''."""
    if line.paid != 0:
        return ""
    return next((a.reason for a in line.adjustments if a.group in DENIAL_GROUPS and a.reason != "45"), "")


def denied(record: HistoryRecord) -> bool:
    """Whether the claim was denied: CLP02 status 4, or every line paid 0 with a CO/PI denial reason.

    A CO-45 contractual reduction is not a denial (it is the allowed-amount discount).
    """
    pay = record.payment
    if pay.status == DENIED_STATUS:
        return True
    return bool(pay.lines) and all(_line_denial(line) for line in pay.lines)


def denial_carcs(record: HistoryRecord) -> tuple[str, ...]:
    """The distinct CO/PI reason codes other than CO-45 on the claim and its lines, in order of first use."""
    adjs = list(record.payment.adjustments) + [a for line in record.payment.lines for a in line.adjustments]
    return tuple(dict.fromkeys(a.reason for a in adjs if a.group in DENIAL_GROUPS and a.reason != "45"))


def _first_denial(line: RemitLine | None, claim_level: str) -> str:
    if line is not None:
        for a in line.adjustments:
            if a.group in DENIAL_GROUPS and a.reason != "45":
                return a.reason
    return claim_level


def history_frame(records: Iterable[HistoryRecord]) -> pd.DataFrame:
    """One row per claim line (columns :data:`FRAME_COLUMNS`): what a denial-prediction model trains on.

    Lines are matched to remit lines by position. ``denied`` is True when the line paid nothing and
    carries a CO/PI denial reason (or the whole claim was denied); ``denial_carc`` is the first CO/PI
    reason other than CO-45 on the line, else on the claim, else ''. Amounts are floats here (the
    frame is model input, not a ledger).
    """
    rows: list[dict[str, object]] = []
    for rec in records:
        claim, pay = rec.claim, rec.payment
        claim_carc = next(
            (a.reason for a in pay.adjustments if a.group in DENIAL_GROUPS and a.reason != "45"), ""
        )
        claim_denied = pay.status == DENIED_STATUS
        for i, line in enumerate(claim.lines):
            remit = pay.lines[i] if i < len(pay.lines) else None
            carc = _first_denial(remit, claim_carc)
            paid = remit.paid if remit is not None else 0
            line_denied = claim_denied or (remit is not None and bool(_line_denial(remit)))
            rows.append(
                {
                    "service_date": line.service_date or rec.service_date,
                    "claim_id": claim.claim_id,
                    "payer_id": rec.payer_id,
                    "line_number": line.line_number,
                    "procedure": line.procedure,
                    "modifiers": ",".join(line.modifiers),
                    "n_modifiers": len(line.modifiers),
                    "units": float(line.units),
                    "charge": float(line.charge),
                    "principal_diagnosis": claim.diagnoses[0] if claim.diagnoses else "",
                    "n_diagnoses": len(claim.diagnoses),
                    "paid": float(paid),
                    "denied": line_denied,
                    "denial_carc": carc if (line_denied or carc) else "",
                    "simulated": rec.simulated_denial,
                    "source": rec.source,
                }
            )
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    frame["service_date"] = pd.to_datetime(frame["service_date"])
    return frame.astype({"denied": bool, "simulated": bool, "n_modifiers": int, "n_diagnoses": int})
