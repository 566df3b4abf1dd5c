"""Write :class:`Remittance` records as an X12 835 (005010X221A1): the inverse of ``read_835``.

Used by the payer simulator and the benchmark. One interchange, one HP functional group, one ST..SE
per remittance. ``read_835(render_835(x))`` gives ``x`` back except for the ``position`` fields
(segment positions in the new file) and a missing ``payment_date`` (BPR16 is required, so ``when``
is written). What the records do not carry is not written: payer/payee addresses, PER contacts,
claim dates; a file for a real clearinghouse needs those too.

PLB provider adjustments are :class:`Adjustment` records with ``group`` = the PLB adjustment reason
code (``WO``, ``L6``, ...) and ``reason`` = its reference identifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from medcoder.claims.records import ZERO, Address, Adjustment, ClaimPayment, RemitLine, Remittance
from medcoder.claims.x12 import Delimiters, composite, isa_elements, render

IMPLEMENTATION = "005010X221A1"
MAX_CAS_TRIPLETS = 6
MAX_MOA_REMARKS = 5
MAX_PLB_PAIRS = 6


def render_835(
    remittances: Sequence[Remittance],
    *,
    payer_id: str,
    payee_id: str,
    control_isa: int,
    control_gs: int,
    when: datetime,
    delimiters: Delimiters = Delimiters(),
    payer: PayerDetails | None = None,
) -> str:
    """Render ``remittances`` as one 835 interchange (ISA13 = ``control_isa``, GS06 = ``control_gs``).

    ``payer`` adds what the implementation guide requires but the records do not carry (the payer's
    tax id in TRN03, its address N3/N4 and technical contact PER*BL); without it the file reads
    back fine but pyx12 reports those segments missing.
    """
    if not remittances:
        raise ValueError("an 835 interchange needs at least one remittance")
    segments: list[tuple[str, ...]] = [
        ("ISA", *isa_elements(sender_id=payer_id, receiver_id=payee_id, control_number=control_isa,
                              when=when, delimiters=delimiters)),
        ("GS", "HP", payer_id, payee_id, when.strftime("%Y%m%d"), when.strftime("%H%M"), str(control_gs),
         "X", IMPLEMENTATION),
    ]  # fmt: skip
    for number, remittance in enumerate(remittances, start=1):
        control = f"{number:04d}"
        body = list(_transaction(remittance, payer_id, payee_id, when, delimiters, payer))
        segments.append(("ST", "835", control))  # ST03 is "not used" in 005010X221A1
        segments.extend(body)
        segments.append(("SE", str(len(body) + 2), control))
    segments.append(("GE", str(len(remittances)), str(control_gs)))
    segments.append(("IEA", "1", f"{control_isa:09d}"))
    return render(segments, delimiters)


@dataclass(frozen=True)
class PayerDetails:
    """Payer data the 835 header needs: ``tax_id`` (9-digit EIN for TRN03), address, contact name."""

    tax_id: str
    address: Address
    contact_name: str = "EDI SUPPORT"


def _amount(value: Decimal) -> str:
    return str(value)


def _transaction(
    remittance: Remittance,
    payer_id: str,
    payee_id: str,
    when: datetime,
    d: Delimiters,
    payer: PayerDetails | None,
) -> Iterator[tuple[str, ...]]:
    paid_date = remittance.payment_date or when.date()
    handling, method = ("I", "CHK") if remittance.payment_amount != ZERO else ("H", "NON")
    yield ("BPR", handling, _amount(remittance.payment_amount), "C", method, *([""] * 11), _d8(paid_date))
    yield ("TRN", "1", remittance.trace_number, f"1{payer.tax_id if payer else payer_id}"[:10])
    yield ("DTM", "405", when.strftime("%Y%m%d"))
    yield ("N1", "PR", remittance.payer_name)
    if payer is not None:
        address = payer.address
        yield ("N3", address.line1, address.line2)
        yield ("N4", address.city, address.state, address.postal_code)
        yield ("PER", "BL", payer.contact_name)
    if remittance.payee_npi:
        yield ("N1", "PE", remittance.payee_name, "XX", remittance.payee_npi)
    else:
        yield ("N1", "PE", remittance.payee_name, "FI", payee_id)
    if remittance.claims:
        yield ("LX", "1")
    for claim in remittance.claims:
        yield from _claim(claim, d)
    yield from _plb(remittance.provider_adjustments, remittance.payee_npi or payee_id, paid_date, d)


def _claim(claim: ClaimPayment, d: Delimiters) -> Iterator[tuple[str, ...]]:
    responsibility = "" if claim.patient_responsibility == ZERO else _amount(claim.patient_responsibility)
    yield ("CLP", claim.claim_id, claim.status, _amount(claim.charge), _amount(claim.paid), responsibility,
           claim.filing_indicator, claim.payer_claim_id)  # fmt: skip
    yield from _cas(claim.adjustments)
    if claim.patient_name:
        last, _, first = claim.patient_name.partition(", ")
        yield ("NM1", "QC", "1", last, first)
    if claim.remarks:
        if len(claim.remarks) > MAX_MOA_REMARKS:
            raise ValueError(f"claim {claim.claim_id}: MOA carries at most {MAX_MOA_REMARKS} remark codes")
        yield ("MOA", "", "", *claim.remarks)
    for line in claim.lines:
        yield from _line(line, d)


def _line(line: RemitLine, d: Delimiters) -> Iterator[tuple[str, ...]]:
    procedure = composite(line.qualifier, line.procedure, *line.modifiers, delimiters=d)
    original = (
        composite(line.qualifier, line.original_procedure, delimiters=d) if line.original_procedure else ""
    )
    yield ("SVC", procedure, _amount(line.charge), _amount(line.paid), line.revenue_code, _amount(line.units),
           original)  # fmt: skip
    if line.service_date is not None:
        yield ("DTM", "472", _d8(line.service_date))
    yield from _cas(line.adjustments)
    if line.line_control:
        yield ("REF", "6R", line.line_control)
    for remark in line.remarks:
        yield ("LQ", "HE", remark)


def _cas(adjustments: Sequence[Adjustment]) -> Iterator[tuple[str, ...]]:
    """CAS segments: consecutive adjustments of one group share a CAS, six triplets at most."""
    i = 0
    while i < len(adjustments):
        group = adjustments[i].group
        triplets: list[str] = []
        while i < len(adjustments) and adjustments[i].group == group and len(triplets) < 3 * MAX_CAS_TRIPLETS:
            adj = adjustments[i]
            quantity = "" if adj.quantity is None else _amount(adj.quantity)
            triplets += [adj.reason, _amount(adj.amount), quantity]
            i += 1
        yield ("CAS", group, *triplets)


def _plb(
    adjustments: Sequence[Adjustment], provider: str, paid_date: date, d: Delimiters
) -> Iterator[tuple[str, ...]]:
    fiscal_end = f"{paid_date.year}1231"
    for start in range(0, len(adjustments), MAX_PLB_PAIRS):
        pairs: list[str] = []
        for adj in adjustments[start : start + MAX_PLB_PAIRS]:
            pairs += [composite(adj.group, adj.reason, delimiters=d), _amount(adj.amount)]
        yield ("PLB", provider, fiscal_end, *pairs)


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")
