"""Read X12 835 remittance advice (005010X221A1) into :class:`Remittance` records.

One :class:`Remittance` per ST..SE transaction. The reader walks the segments once, keeping the
claim (CLP, loop 2100) and service line (SVC, loop 2110) it is inside, so CAS, DTM, REF and
remark segments attach to the innermost open loop. It checks codes as it goes: CAS group codes,
CARCs against the shipped list (in effect on the payment date), RARC patterns; an unknown code
rejects the file with an :class:`X12Error` naming the segment and its position. It does not check
that the amounts balance: :func:`medcoder.claims.balance.check_balance` does.

Two quirks of real files are repaired, each with a warning that names only the segment position
(never patient data): an SVC01 written with ``>`` although ISA16 declares another component
separator (``HC>12345>26``), and an SVC01 holding only the qualifier with the procedure shifted
into SVC02 (``SVC*HC*24599.00*1766.50*187.50**1``); a repaired line must still balance later.
An unparsable BPR16 date is logged and the production date (DTM*405) used instead.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from medcoder.claims.codes import GROUP_CODES, RARC_PATTERN, carc_table
from medcoder.claims.records import ZERO, Adjustment, ClaimPayment, RemitLine, Remittance
from medcoder.claims.x12 import (
    Delimiters,
    Segment,
    Transaction,
    X12Error,
    parse_interchange,
    undeclared_component,
)

log = logging.getLogger(__name__)

PRODUCT_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
"""SVC01-1 product/service id qualifiers of 005010X221A1."""

_ANGLE_COMPOSITE = re.compile(r"[A-Z0-9]{2}>[A-Z0-9]{1,48}(?:>[A-Z0-9]{0,2}){0,4}")
_SHIFTED_CODE = re.compile(r"([A-Z0-9]{5})(?:\.0+)?")
ONE = Decimal("1")


def _el(seg: Segment, index: int) -> str:
    """Element ``index`` (X12 numbering) without the method-call overhead of ``seg[index]``."""
    elements = seg.elements
    return elements[index - 1] if index <= len(elements) else ""


def _dec(seg: Segment, index: int, *, required: bool = True) -> Decimal | None:
    """Element ``index`` as a Decimal: the fast path of :meth:`Segment.decimal` (same errors)."""
    value = _el(seg, index)
    if not value and not required:
        return None
    if value:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite():
            return amount
    return seg.decimal(index, required=required)


def _d8(seg: Segment, index: int) -> date | None:
    """Element ``index`` as a CCYYMMDD date: the fast path of :meth:`Segment.date` (same errors)."""
    value = _el(seg, index)
    if len(value) == 8 and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    return seg.date(index)


def read_835(text: str, *, path: str | Path | None = None, check_codes: bool = True) -> list[Remittance]:
    """Parse every 835 transaction of an interchange; raises :class:`X12Error` on the first problem.

    ``check_codes=False`` skips the CARC list check (for tools that inspect foreign files).
    """
    with _gc_paused():
        return _read(text, path, check_codes)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing (re-enabled after, if it was on).

    Parsing allocates hundreds of thousands of small acyclic objects (segments, records), which
    keeps triggering full collections that scan them all: about half the parse time on a 20,000-
    claim file. Nothing the parser builds forms a reference cycle, so reference counting frees it all.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(text: str, path: str | Path | None, check_codes: bool) -> list[Remittance]:
    interchange = parse_interchange(text, path=path)
    remittances = []
    try:
        for transaction in interchange.transactions:
            if transaction.code != "835":
                raise transaction.st.error(f"ST01 is {transaction.code!r}, expected 835")
            remittances.append(_transaction(transaction, interchange.delimiters, check_codes))
    except X12Error as exc:
        if path is not None and exc.path is None:
            raise X12Error(exc.detail, segment=exc.segment, position=exc.position, path=path) from None
        raise
    return remittances


@dataclass
class _Line:
    seg: Segment
    procedure: str
    qualifier: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal
    original: str
    service_date: date | None = None
    adjustments: list[tuple[Segment, Adjustment]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    line_control: str = ""


@dataclass
class _Claim:
    seg: Segment
    adjustments: list[tuple[Segment, Adjustment]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    patient_name: str = ""
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _State:
    delimiters: Delimiters
    bpr: Segment | None = None
    trace: str = ""
    payer_name: str = ""
    payee_name: str = ""
    payee_npi: str = ""
    payment_date: date | None = None
    production_date: date | None = None
    claims: list[_Claim] = field(default_factory=list)
    plb: list[Adjustment] = field(default_factory=list)
    plb_segments: list[Segment] = field(default_factory=list)


def _transaction(transaction: Transaction, delimiters: Delimiters, check_codes: bool) -> Remittance:
    state = _State(delimiters)
    for seg in transaction.body:
        handler = _HANDLERS.get(seg.tag)
        if handler is not None:
            handler(seg, state)
    if state.bpr is None:
        raise transaction.st.error("the 835 has no BPR (financial information) segment")
    on = state.payment_date or state.production_date
    claims = tuple(_finish_claim(claim, on, check_codes) for claim in state.claims)
    return Remittance(
        trace_number=state.trace,
        payment_amount=state.bpr.decimal(2),  # type: ignore[arg-type]
        payer_name=state.payer_name,
        payee_name=state.payee_name,
        claims=claims,
        payment_date=state.payment_date,
        payee_npi=state.payee_npi,
        provider_adjustments=tuple(state.plb),
        position=state.bpr.position,
    )


def _finish_claim(claim: _Claim, on: date | None, check_codes: bool) -> ClaimPayment:
    seg = claim.seg
    if check_codes:
        table = carc_table()
        for cas, adj in [*claim.adjustments, *(a for line in claim.lines for a in line.adjustments)]:
            carc = table.get(adj.reason)
            if carc is None or (on is not None and not carc.in_effect(on)):
                when = f" in effect on {on.isoformat()}" if on else ""
                raise cas.error(f"claim adjustment reason code {adj.reason!r} is not a known CARC{when}")
    lines = tuple(
        RemitLine(
            procedure=line.procedure,
            charge=line.charge,
            paid=line.paid,
            qualifier=line.qualifier,
            modifiers=line.modifiers,
            units=line.units,
            revenue_code=line.revenue_code,
            service_date=line.service_date,
            adjustments=tuple(a for _, a in line.adjustments),
            remarks=tuple(line.remarks),
            line_control=line.line_control,
            original_procedure=line.original,
            position=line.seg.position,
        )
        for line in claim.lines
    )
    return ClaimPayment(
        claim_id=seg[1],
        status=seg[2],
        charge=_dec(seg, 3),  # type: ignore[arg-type]
        paid=_dec(seg, 4),  # type: ignore[arg-type]
        patient_responsibility=_dec(seg, 5, required=False) or ZERO,
        filing_indicator=seg[6],
        payer_claim_id=seg[7],
        adjustments=tuple(a for _, a in claim.adjustments),
        lines=lines,
        remarks=tuple(claim.remarks),
        patient_name=claim.patient_name,
        position=seg.position,
    )


def _bpr(seg: Segment, state: _State) -> None:
    if state.bpr is not None:
        raise seg.error("a second BPR in one transaction")
    seg.decimal(2)
    state.bpr = seg
    if seg[16]:
        try:
            state.payment_date = seg.date(16)
        except X12Error:
            log.warning("BPR at position %d: BPR16 is not a valid date; using DTM*405 instead", seg.position)


def _trn(seg: Segment, state: _State) -> None:
    if not state.trace:
        state.trace = seg[2]


def _n1(seg: Segment, state: _State) -> None:
    if state.claims:
        return
    if seg[1] == "PR":
        state.payer_name = seg[2]
    elif seg[1] == "PE":
        state.payee_name = seg[2]
        if seg[3] == "XX":
            state.payee_npi = seg[4]


def _clp(seg: Segment, state: _State) -> None:
    if not seg[1]:
        raise seg.error("CLP01 (patient control number) is missing")
    state.claims.append(_Claim(seg))


def _cas(seg: Segment, state: _State) -> None:
    if not state.claims:
        raise seg.error("CAS outside a claim payment (CLP)")
    group = seg[1]
    if group not in GROUP_CODES:
        raise seg.error(f"CAS01 group code {group!r} is not one of {sorted(GROUP_CODES)}")
    claim = state.claims[-1]
    target = claim.lines[-1].adjustments if claim.lines else claim.adjustments
    found = False
    elements = seg.elements
    for start in range(2, min(len(elements) + 1, 20), 3):
        reason = elements[start - 1]
        if not reason:
            if _el(seg, start + 1):
                raise seg.error(f"CAS{start + 1:02d} has an amount without a reason code")
            continue
        found = True
        amount = _dec(seg, start + 1)
        quantity = _dec(seg, start + 2, required=False)
        target.append((seg, Adjustment(group, reason, amount, quantity)))  # type: ignore[arg-type]
    if not found:
        raise seg.error("CAS carries no reason code")


def _nm1(seg: Segment, state: _State) -> None:
    if seg[1] == "QC" and state.claims:
        claim = state.claims[-1]
        claim.patient_name = f"{seg[3]}, {seg[4]}" if seg[4] else seg[3]  # LAST, FIRST


def _remarks(seg: Segment, indices: range | tuple[int, ...]) -> list[str]:
    codes = [seg[i] for i in indices if seg[i]]
    for code in codes:
        if RARC_PATTERN.fullmatch(code) is None:
            raise seg.error(f"{code!r} is not a remittance advice remark code (RARC)")
    return codes


def _moa(seg: Segment, state: _State) -> None:
    if state.claims:
        state.claims[-1].remarks.extend(_remarks(seg, range(3, 8)))


def _mia(seg: Segment, state: _State) -> None:
    if state.claims:
        state.claims[-1].remarks.extend(_remarks(seg, (5, 20, 21, 22, 23)))


def _lq(seg: Segment, state: _State) -> None:
    if seg[1] == "HE" and state.claims and state.claims[-1].lines:
        state.claims[-1].lines[-1].remarks.extend(_remarks(seg, (2,)))


def _dtm(seg: Segment, state: _State) -> None:
    if not state.claims:
        if seg[1] == "405":
            state.production_date = seg.date(2)
        return
    claim = state.claims[-1]
    if claim.lines and seg[1] in ("472", "150"):
        line = claim.lines[-1]
        if line.service_date is None or seg[1] == "472":
            line.service_date = _d8(seg, 2)


def _ref(seg: Segment, state: _State) -> None:
    if seg[1] == "6R" and state.claims and state.claims[-1].lines:
        state.claims[-1].lines[-1].line_control = seg[2]


def _svc(seg: Segment, state: _State) -> None:
    if not state.claims:
        raise seg.error("SVC outside a claim payment (CLP)")
    parts = _svc_composite(seg, state.delimiters)
    offset = 0
    if len(parts) == 1 and parts[0] in PRODUCT_QUALIFIERS:
        shifted = _SHIFTED_CODE.fullmatch(seg[2])
        if shifted is None:
            raise seg.error("SVC01 has a qualifier but no procedure code")
        log.warning(
            "SVC at position %d: SVC01 holds only the qualifier; reading the procedure from SVC02 "
            "and the amounts one element later",
            seg.position,
        )
        parts = (parts[0], shifted.group(1))
        offset = 1
    if len(parts) < 2 or not parts[1]:
        raise seg.error("SVC01 must be qualifier:procedure[:modifiers]")
    original = ""
    if seg[6 + offset]:
        orig_parts = _svc_composite(seg, state.delimiters, 6 + offset)
        original = orig_parts[1] if len(orig_parts) > 1 else orig_parts[0]
    state.claims[-1].lines.append(
        _Line(
            seg=seg,
            qualifier=parts[0],
            procedure=parts[1],
            modifiers=tuple(m for m in parts[2:6] if m),
            charge=_dec(seg, 2 + offset),  # type: ignore[arg-type]
            paid=_dec(seg, 3 + offset),  # type: ignore[arg-type]
            revenue_code=seg[4 + offset],
            units=_dec(seg, 5 + offset, required=False) or ONE,
            original=original,
        )
    )


def _svc_composite(seg: Segment, delimiters: Delimiters, index: int = 1) -> tuple[str, ...]:
    """SVC01 (or SVC06) split into components, accepting ``>`` when the declared one is absent."""
    value = seg[index]
    if undeclared_component(value, delimiters) == ">" and _ANGLE_COMPOSITE.fullmatch(value):
        log.warning(
            "SVC at position %d: SVC%02d uses '>' although ISA16 declares %r; splitting on '>'",
            seg.position,
            index,
            delimiters.component,
        )
        return tuple(value.split(">"))
    return seg.components(index, delimiters)


def _plb(seg: Segment, state: _State) -> None:
    for start in range(3, 15, 2):
        if not seg[start]:
            continue
        parts = seg.components(start, state.delimiters)
        amount = seg.decimal(start + 1)
        reference = parts[1] if len(parts) > 1 else ""
        state.plb.append(Adjustment(parts[0], reference, amount))  # type: ignore[arg-type]


_HANDLERS = {
    "BPR": _bpr,
    "TRN": _trn,
    "N1": _n1,
    "CLP": _clp,
    "CAS": _cas,
    "NM1": _nm1,
    "MOA": _moa,
    "MIA": _mia,
    "LQ": _lq,
    "DTM": _dtm,
    "REF": _ref,
    "SVC": _svc,
    "PLB": _plb,
}
