"""What the claims store's queries return, and how a remitted line finds the claim line it pays.

Records: :class:`ClaimStatus`, :class:`IngestReport`, :class:`CoderDecision`, :class:`LinkedLine`,
:class:`UnmatchedPayment`, :class:`ClaimLineKey`; linkage rule: :func:`match_lines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from medcoder.claims.records import Adjustment, RemitLine


class ClaimStatus(StrEnum):
    """Where a claim stands after the remittances received so far."""

    SUBMITTED = "submitted"
    PAID = "paid"
    PARTIALLY_PAID = "partially paid"
    DENIED = "denied"
    UNMATCHED_REMITTANCE = "unmatched remittance"


@dataclass(frozen=True)
class IngestReport:
    """What one 835 file did to the store; ``error`` is set (and nothing written) when it failed."""

    source: str
    sha256: str = ""
    duplicate: bool = False
    remittances: int = 0
    claim_payments: int = 0
    lines: int = 0
    linked_lines: int = 0
    unmatched_payments: int = 0
    error: str = ""


@dataclass(frozen=True)
class CoderDecision:
    """One audit event about the claim's encounter: its type and the codes it carried."""

    seq: int
    event_type: str
    codes: tuple[str, ...]
    occurred_at: str
    actor_role: str


@dataclass(frozen=True)
class LinkedLine:
    """A remitted service line joined to the claim line it pays and the coding behind the claim."""

    claim_id: str
    line_number: int
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    adjustments: tuple[Adjustment, ...]
    carcs: tuple[str, ...]
    remarks: tuple[str, ...]
    match_method: str
    payment_status: str
    diagnoses: tuple[str, ...]
    diagnosis_pointers: tuple[int, ...]
    model_version: str
    encounter_id: str
    decisions: tuple[CoderDecision, ...] = ()


@dataclass(frozen=True)
class UnmatchedPayment:
    """A CLP whose CLP01 matches no submitted claim."""

    claim_id: str
    payer_claim_id: str
    status: str
    paid: Decimal
    trace_number: str
    source: str


@dataclass(frozen=True)
class ClaimLineKey:
    """What linkage compares on a submitted claim line (service date as ISO text or None)."""

    line_number: int
    procedure: str
    modifiers: tuple[str, ...]
    service_date: str | None
    line_control: str


def match_lines(lines: Sequence[RemitLine], keys: Sequence[ClaimLineKey]) -> list[tuple[int | None, str]]:
    """For each remitted line, the claim line number it pays and how it was matched.

    In order of trust: the line control number the 837 sent (REF*6R echoed back), then procedure +
    modifiers + service date (date ignored when either side lacks one), then order (the remitted
    lines still unmatched take the claim lines still free, in line-number order). Each claim line
    is used once; ``(None, "none")`` when nothing is left to match.
    """
    taken: set[int] = set()
    out: list[tuple[int | None, str]] = [(None, "none")] * len(lines)
    by_control = {k.line_control: k.line_number for k in keys if k.line_control}
    for i, line in enumerate(lines):
        number = by_control.get(line.line_control) if line.line_control else None
        if number is not None and number not in taken:
            out[i] = (number, "line_control")
            taken.add(number)
    for i, line in enumerate(lines):
        if out[i][0] is not None:
            continue
        day = line.service_date.isoformat() if line.service_date else None
        for key in keys:
            same_day = day is None or key.service_date is None or day == key.service_date
            if (
                key.line_number not in taken
                and key.procedure == line.procedure
                and (key.modifiers == line.modifiers and same_day)
            ):
                out[i] = (key.line_number, "procedure")
                taken.add(key.line_number)
                break
    left = iter([k.line_number for k in keys if k.line_number not in taken])
    for i in range(len(lines)):
        if out[i][0] is None:
            number = next(left, None)
            if number is not None:
                out[i] = (number, "order")
    return out
