"""Build an X12 837 claim file: professional (005010X222A1) or institutional (005010X223A2).

:func:`build_837` writes one interchange (ISA/GS/ST) holding every claim of one call: header
(BHT, submitter 1000A, receiver 1000B), then per run of claims with the same billing provider
one 2000A/2010AA loop, and per claim a 2000B subscriber (2010BA, 2010BB payer), an optional
2000C patient (2010CA, when the patient is not the subscriber), the 2300 claim (CLM, DTP*434 and
CL1 for 837I, HI diagnoses, 2310 attending/rendering providers) and its 2400 lines (LX, SV1 or
SV2, DTP*472, REF*6R, 2410 LIN/CTP for an NDC).

Rules where a claim record does not carry what the 5010 guide requires (documented so the
reader of an exported file knows what was filled in):

- Billing provider ZIP (2010AA N4) must be nine digits: a five-digit ZIP is completed with
  ``0000``. The billing provider's tax id (REF*EI) is required: missing -> ValueError.
- Claim frequency / signature fields: CLM06 ``Y`` (837P only, not used in 837I), CLM07 ``A``
  (assigned), CLM08 ``Y`` (benefits assigned), CLM09 ``Y`` (release of information).
- SBR09 claim filing indicator is ``CI`` (commercial); SBR02 is ``18`` when the patient is the
  subscriber, else the relationship goes to PAT01 of the 2000C loop.
- 837I: DTP*434 statement dates come from ``statement_from/to``, else the earliest and latest
  line service dates (one of them is required); CL1 is ``CL1*3**01`` (elective, discharged home).
- An NDC (2410) gets ``CTP****<line units>*UN`` as its drug quantity.
- Diagnoses are written with ICD-10 qualifiers (ABK principal, ABF others) even when a record
  was read from an older file with ICD-9 (BK/BF) qualifiers.
- NPIs (billing, rendering, attending) must pass the CMS check digit, else ValueError naming the
  claim; ``strict_npi=False`` keeps a failing NPI as it is (for re-serialising example files whose
  NPIs are fictitious; pyx12 does not check the digit).

Free text (names, addresses) has any delimiter character replaced by a space. No PHI goes into
error messages: they name the claim id and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from medcoder.claims.npi import is_valid_npi
from medcoder.claims.records import Address, Claim, ClaimKind, Person, Provider, ServiceLine
from medcoder.claims.x12 import Delimiters, isa_elements, render

__all__ = [
    "ControlNumbers",
    "CounterControlNumbers",
    "Receiver",
    "Submitter",
    "build_837",
    "IMPLEMENTATION",
]

IMPLEMENTATION = {
    ClaimKind.PROFESSIONAL: "005010X222A1",
    ClaimKind.INSTITUTIONAL: "005010X223A2",
}
"""GS08/ST03 implementation guide per claim kind."""

_DELIMS = Delimiters()
_MAX_DIAGNOSES = {ClaimKind.PROFESSIONAL: 12, ClaimKind.INSTITUTIONAL: 25}
_CLEAN = str.maketrans({c: " " for c in "*:^~\r\n"})


@dataclass(frozen=True)
class Submitter:
    """Who sends the file (loop 1000A): name, ETIN, and the EDI contact's name and phone."""

    name: str
    id: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class Receiver:
    """Who receives the file (loop 1000B): clearinghouse or payer name and its id."""

    name: str
    id: str


class ControlNumbers(Protocol):
    """Source of ISA13 / GS06 / ST02 control numbers (never repeating for one sender)."""

    def next(self, kind: str) -> int:
        """The next control number for ``kind`` in {"ISA", "GS", "ST"}."""
        ...


@dataclass
class CounterControlNumbers:
    """In-memory control numbers: one counter per kind, starting at ``start``."""

    start: int = 1
    _next: dict[str, int] = field(default_factory=dict)

    def next(self, kind: str) -> int:
        """Return the counter for ``kind`` and advance it."""
        if kind not in ("ISA", "GS", "ST"):
            raise ValueError(f"control number kind must be ISA, GS or ST, got {kind!r}")
        value = self._next.get(kind, self.start)
        self._next[kind] = value + 1
        return value


def _t(value: str) -> str:
    """Free text with delimiter characters replaced by spaces."""
    return value.translate(_CLEAN).strip()


def _amount(value: Decimal) -> str:
    """A decimal amount in plain notation (no exponent)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def _address(addr: Address | None, *, zip9: bool = False) -> list[list[str]]:
    """N3/N4 for an address (none when absent)."""
    if addr is None:
        return []
    postal = addr.postal_code
    if zip9 and len(postal) == 5:
        postal += "0000"
    n3 = ["N3", _t(addr.line1)] + ([_t(addr.line2)] if addr.line2 else [])
    return [n3, ["N4", _t(addr.city), addr.state, postal]]


def _npi(provider: Provider, claim: Claim, role: str, strict: bool) -> str:
    """The provider's NPI, checked; only the billing provider must have one (NM109 is
    situational for attending and rendering providers without an NPI)."""
    if not provider.npi and role != "billing":
        return ""
    if not provider.npi:
        raise ValueError(f"claim {claim.claim_id!r}: the {role} provider has no NPI")
    if strict and not is_valid_npi(provider.npi):
        raise ValueError(f"claim {claim.claim_id!r}: the {role} provider NPI fails the check digit")
    return provider.npi


def _provider_nm1(code: str, provider: Provider, npi: str) -> list[str]:
    ident = ["XX", npi] if npi else []
    if provider.entity == "1":
        return ["NM1", code, "1", _t(provider.name), _t(provider.first_name), "", "", "", *ident]
    return ["NM1", code, "2", _t(provider.name), "", "", "", "", *ident]


def _person(code: str, person: Person, *, with_id: bool, demographics: bool) -> list[list[str]]:
    nm1 = ["NM1", code, "1", _t(person.last_name), _t(person.first_name)]
    if with_id and person.member_id:
        nm1 += ["", "", "", "MI", _t(person.member_id)]
    out = [nm1]
    if demographics:
        out += _address(person.address)
        if person.birth_date is not None:
            out.append(["DMG", "D8", _d8(person.birth_date), person.sex or "U"])
    return out


def _billing(claim: Claim, hl: int, strict: bool) -> list[list[str]]:
    billing = claim.billing
    npi = _npi(billing, claim, "billing", strict)
    if not billing.tax_id:
        raise ValueError(f"claim {claim.claim_id!r}: the billing provider has no tax id (REF*EI)")
    if billing.address is None:
        raise ValueError(f"claim {claim.claim_id!r}: the billing provider has no address")
    out = [["HL", str(hl), "", "20", "1"]]
    if billing.taxonomy:
        out.append(["PRV", "BI", "PXC", billing.taxonomy])
    out.append(_provider_nm1("85", billing, npi))
    out += _address(billing.address, zip9=True)
    out.append(["REF", "EI", billing.tax_id.replace("-", "")])
    return out


def _diagnoses(claim: Claim) -> list[list[str]]:
    codes = claim.diagnoses
    if not codes:
        raise ValueError(f"claim {claim.claim_id!r}: no diagnosis (HI ABK is required)")
    if len(codes) > _MAX_DIAGNOSES[claim.kind]:
        raise ValueError(
            f"claim {claim.claim_id!r}: {len(codes)} diagnoses, an {claim.kind.value} 837 "
            f"holds at most {_MAX_DIAGNOSES[claim.kind]}"
        )
    c = _DELIMS.component
    if claim.kind is ClaimKind.PROFESSIONAL:
        return [["HI", f"ABK{c}{codes[0]}"] + [f"ABF{c}{code}" for code in codes[1:]]]
    out = [["HI", f"ABK{c}{codes[0]}"]]
    rest = codes[1:]
    for start in range(0, len(rest), 12):
        out.append(["HI"] + [f"ABF{c}{code}" for code in rest[start : start + 12]])
    return out


def _statement_dates(claim: Claim) -> tuple[date, date]:
    dates = [line.service_date for line in claim.lines if line.service_date is not None]
    start = claim.statement_from or (min(dates) if dates else None)
    end = claim.statement_to or claim.statement_from or (max(dates) if dates else None)
    if start is None or end is None:
        raise ValueError(f"claim {claim.claim_id!r}: an 837I needs statement dates (DTP*434)")
    return start, end


def _procedure(line: ServiceLine) -> str:
    mods = list(line.modifiers[:4])
    return _DELIMS.component.join([line.qualifier or "HC", line.procedure, *mods])


def _line(claim: Claim, line: ServiceLine, index: int) -> list[list[str]]:
    out = [["LX", str(index)]]
    if claim.kind is ClaimKind.PROFESSIONAL:
        pointers = line.diagnosis_pointers[:4] or (1,)
        if any(not 1 <= p <= len(claim.diagnoses) for p in pointers):
            raise ValueError(
                f"claim {claim.claim_id!r} line {index}: a diagnosis pointer is outside 1..{len(claim.diagnoses)}"
            )
        pos = line.place_of_service if line.place_of_service != claim.facility_code else ""
        out.append(
            [
                "SV1", _procedure(line), _amount(line.charge), line.unit_basis or "UN",
                _amount(line.units), pos, "", _DELIMS.component.join(str(p) for p in pointers),
            ]
        )  # fmt: skip
    else:
        proc = _procedure(line) if line.procedure else ""
        out.append(
            [
                "SV2",
                line.revenue_code,
                proc,
                _amount(line.charge),
                line.unit_basis or "UN",
                _amount(line.units),
            ]
        )
    if line.service_date is not None:
        out.append(["DTP", "472", "D8", _d8(line.service_date)])
    elif claim.kind is ClaimKind.PROFESSIONAL:
        raise ValueError(f"claim {claim.claim_id!r} line {index}: no service date (DTP*472 is required)")
    if line.line_control:
        out.append(["REF", "6R", _t(line.line_control)])
    if line.ndc:
        out.append(["LIN", "", "N4", line.ndc])
        out.append(["CTP", "", "", "", _amount(line.units), "UN"])
    return out


def _claim(claim: Claim, hl: int, parent: int, strict: bool) -> tuple[list[list[str]], int]:
    """Loops 2000B..2400 of one claim; returns the segments and the next free HL number."""
    if claim.total_charge != claim.line_charge_total:
        raise ValueError(
            f"claim {claim.claim_id!r}: total charge {claim.total_charge} is not the sum of its "
            f"lines {claim.line_charge_total}"
        )
    if not claim.lines:
        raise ValueError(f"claim {claim.claim_id!r}: no service lines")
    if not claim.payer.payer_id:
        raise ValueError(f"claim {claim.claim_id!r}: the payer has no payer id (NM1*PR NM109)")
    patient = claim.patient
    out: list[list[str]] = [["HL", str(hl), str(parent), "22", "1" if patient else "0"]]
    out.append(["SBR", "P", "" if patient else "18", "", "", "", "", "", "", "CI"])
    out += _person("IL", claim.subscriber, with_id=True, demographics=patient is None)
    out.append(["NM1", "PR", "2", _t(claim.payer.name), "", "", "", "", "PI", _t(claim.payer.payer_id)])
    hl += 1
    if patient is not None:
        out.append(["HL", str(hl), str(hl - 1), "23", "0"])
        out.append(["PAT", claim.relationship if claim.relationship != "18" else "G8"])
        out += _person("QC", patient, with_id=False, demographics=True)
        hl += 1
    c = _DELIMS.component
    institutional = claim.kind is ClaimKind.INSTITUTIONAL
    where = f"{claim.facility_code}{c}{'A' if institutional else 'B'}{c}{claim.frequency_code}"
    total = _amount(claim.total_charge)
    if institutional:
        out.append(["CLM", _t(claim.claim_id), total, "", "", where, "", "A", "Y", "Y"])
        start, end = _statement_dates(claim)
        out.append(["DTP", "434", "RD8", f"{_d8(start)}-{_d8(end)}"])
        out.append(["CL1", "3", "", "01"])
    else:
        out.append(["CLM", _t(claim.claim_id), total, "", "", where, "Y", "A", "Y", "Y"])
    out += _diagnoses(claim)
    if institutional and claim.attending is not None:
        att = claim.attending
        out.append(_provider_nm1("71", att, _npi(att, claim, "attending", strict)))
        if att.taxonomy:
            out.append(["PRV", "AT", "PXC", att.taxonomy])
    if claim.rendering is not None:
        ren = claim.rendering
        out.append(_provider_nm1("82", ren, _npi(ren, claim, "rendering", strict)))
        if ren.taxonomy and not institutional:
            out.append(["PRV", "PE", "PXC", ren.taxonomy])
    for index, line in enumerate(claim.lines, start=1):
        out += _line(claim, line, index)
    return out, hl


def build_837(
    claims: Sequence[Claim],
    *,
    submitter: Submitter,
    receiver: Receiver,
    control: ControlNumbers,
    when: datetime,
    usage: str = "P",
    strict_npi: bool = True,
) -> str:
    """One 837 interchange (one ISA, GS and ST) holding ``claims``, all of one kind.

    Raises ValueError (naming the claim id and field) when a claim cannot be written as a valid
    5010 claim: mixed kinds, CLM02 not the sum of the lines, an NPI failing its check digit, ...
    """
    if not claims:
        raise ValueError("build_837 needs at least one claim")
    kinds = {claim.kind for claim in claims}
    if len(kinds) != 1:
        raise ValueError("all claims of one 837 must be of one kind (professional or institutional)")
    kind = kinds.pop()
    version = IMPLEMENTATION[kind]
    isa_n, gs_n, st_n = control.next("ISA"), control.next("GS"), control.next("ST")
    st_id = f"{st_n:04d}"
    ymd, hm = when.strftime("%Y%m%d"), when.strftime("%H%M")
    body: list[list[str]] = [
        ["ST", "837", st_id, version],
        ["BHT", "0019", "00", st_id, ymd, hm, "CH"],
        ["NM1", "41", "2", _t(submitter.name), "", "", "", "", "46", submitter.id],
        ["PER", "IC", _t(submitter.contact_name), "TE", submitter.contact_phone],
        ["NM1", "40", "2", _t(receiver.name), "", "", "", "", "46", receiver.id],
    ]
    hl = 1
    billing_hl = 0
    last_billing: Provider | None = None
    for claim in claims:
        if claim.billing != last_billing:
            body += _billing(claim, hl, strict_npi)
            billing_hl, last_billing = hl, claim.billing
            hl += 1
        segments, hl = _claim(claim, hl, billing_hl, strict_npi)
        body += segments
    body.append(["SE", str(len(body) + 1), st_id])
    isa = isa_elements(
        sender_id=submitter.id, receiver_id=receiver.id, control_number=isa_n, when=when, usage=usage
    )
    envelope_head = [["ISA", *isa], ["GS", "HC", submitter.id, receiver.id, ymd, hm, str(gs_n), "X", version]]
    envelope_tail = [["GE", "1", str(gs_n)], ["IEA", "1", f"{isa_n:09d}"]]
    return render(envelope_head + body + envelope_tail, _DELIMS)
