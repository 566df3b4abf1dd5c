"""Read an X12 837 (professional 005010X222A1/A2 or institutional 005010X223A2/A3) into Claims.

The envelope is checked by :func:`medcoder.claims.x12.parse_interchange`; the body is walked
segment by segment with the HL hierarchy (20 billing provider, 22 subscriber, 23 patient) and
the loop a segment opens (NM1 qualifier, CLM, LX). What is kept per claim: billing provider
(NM1*85, N3/N4, REF*EI, PRV*BI), subscriber (NM1*IL, N3/N4, DMG) and payer (NM1*PR) of loop
2000B, patient (2000C: PAT, NM1*QC, N3/N4, DMG), CLM (id, total, facility code, frequency),
DTP*434 statement dates, HI diagnoses (principal BK/ABK then BF/ABF, without qualifiers or
dots; admitting, reason-for-visit, external-cause and the other HI code lists are not
diagnoses of the claim record), claim-level attending (NM1*71) and rendering (NM1*82) providers,
and lines (LX, SV1/SV2, DTP*472, REF*6R, LIN*N4 NDC).

Ignored on purpose: other-payer loops 2320/2330 (their NM1*IL/NM1*PR are not the claim's
subscriber or payer), line-level providers (2420), pay-to and service-facility loops.
Some example files declare ``:`` in ISA16 but write ``>`` inside composites; CLM05 is always a
three-part composite, so when it lacks the declared separator and holds another punctuation
character, that character is used as the component separator from that CLM on (logged as a
warning). Diagnosis pointers that are not small integers (an example file carries ``1.00``) are read
as their integer value when whole, else dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from medcoder.claims.records import Address, Claim, ClaimKind, Payer, Person, Provider, ServiceLine
from medcoder.claims.x12 import Delimiters, Segment, X12Error, parse_interchange, undeclared_component

__all__ = ["read_837"]

logger = logging.getLogger(__name__)

_PRINCIPAL = {"BK", "ABK"}
_OTHER = {"BF", "ABF"}


@dataclass
class _Party:
    """A provider or person being read (NM1 then its N3/N4/REF/DMG/PRV)."""

    nm1: Segment
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal: str = ""
    tax_id: str = ""
    taxonomy: str = ""
    birth: date | None = None
    sex: str = "U"

    def address(self) -> Address | None:
        if not (self.line1 or self.city):
            return None
        return Address(self.line1, self.city, self.state, self.postal, self.line2)

    def provider(self) -> Provider:
        n = self.nm1
        return Provider(
            name=n[3], npi=n[9] if n[8] == "XX" else "", entity=n[2] or "2", first_name=n[4],
            tax_id=self.tax_id, taxonomy=self.taxonomy, address=self.address(),
        )  # fmt: skip

    def person(self) -> Person:
        n = self.nm1
        return Person(
            last_name=n[3], first_name=n[4], member_id=n[9], birth_date=self.birth,
            sex=self.sex or "U", address=self.address(),
        )  # fmt: skip


@dataclass
class _Line:
    number: int
    lx: Segment
    fields: dict[str, object] = field(default_factory=dict)


@dataclass
class _ClaimState:
    clm: Segment
    billing: Provider
    subscriber: Person
    payer: Payer
    patient: Person | None
    relationship: str
    diagnoses: list[str] = field(default_factory=list)
    principal: list[str] = field(default_factory=list)
    statement: tuple[date | None, date | None] = (None, None)
    rendering: Provider | None = None
    attending: Provider | None = None
    lines: list[_Line] = field(default_factory=list)


def _range(seg: Segment) -> tuple[date | None, date | None]:
    """DTP03 as (from, to) for D8 or RD8."""
    value = seg[3]
    parts = value.split("-")
    first = seg.date(3)
    if len(parts) == 2 and parts[1]:
        return first, Segment(seg.tag, (parts[1],), seg.position).date(1)
    return first, first


def _pointers(values: tuple[str, ...]) -> tuple[int, ...]:
    out = []
    for value in values:
        try:
            number = Decimal(value)
        except ArithmeticError:
            continue
        if number == number.to_integral_value() and number > 0:
            out.append(int(number))
    return tuple(out)


def _procedure(seg: Segment, index: int, d: Delimiters) -> dict[str, object]:
    parts = seg.components(index, d)
    if not parts:
        return {"procedure": "", "qualifier": ""}
    return {
        "qualifier": parts[0],
        "procedure": parts[1] if len(parts) > 1 else "",
        "modifiers": tuple(m for m in parts[2:6] if m),
    }


def _finish(state: _ClaimState, kind: ClaimKind, d: Delimiters) -> Claim:
    clm = state.clm
    where = clm.components(5, d)
    for line in state.lines:
        if "charge" not in line.fields:
            raise line.lx.error("service line has no SV1/SV2 (procedure and charge)")
    lines = tuple(
        ServiceLine(line_number=line.number, **line.fields)  # type: ignore[arg-type]
        for line in state.lines
    )
    start, end = state.statement
    return Claim(
        claim_id=clm[1],
        kind=kind,
        billing=state.billing,
        subscriber=state.subscriber,
        payer=state.payer,
        diagnoses=tuple(state.principal + state.diagnoses),
        lines=lines,
        total_charge=clm.decimal(2) or Decimal("0"),
        facility_code=where[0] if where else "",
        frequency_code=where[2] if len(where) > 2 else "1",
        rendering=state.rendering,
        attending=state.attending,
        patient=state.patient,
        relationship=state.relationship,
        statement_from=start,
        statement_to=end,
    )


class _Reader:
    """State machine over one transaction's body segments."""

    def __init__(self, kind: ClaimKind, d: Delimiters) -> None:
        self.kind, self.d = kind, d
        self.claims: list[Claim] = []
        self.level = ""
        self.party: _Party | None = None
        self.billing: _Party | None = None
        self.billing_taxonomy = ""
        self.subscriber: _Party | None = None
        self.payer: Payer | None = None
        self.patient: _Party | None = None
        self.relationship = "18"
        self.claim: _ClaimState | None = None
        self.line: _Line | None = None
        self.in_other_payer = False
        self.claim_party = ""

    def close_claim(self) -> None:
        if self.claim is not None:
            self.close_party()
            self.claims.append(_finish(self.claim, self.kind, self.d))
            self.claim, self.line = None, None

    def close_party(self) -> None:
        """Attach a claim-level provider whose N3/N4/PRV may have followed its NM1."""
        if self.claim is not None and self.party is not None and self.claim_party:
            provider = self.party.provider()
            if self.claim_party == "82":
                self.claim.rendering = provider
            elif self.claim_party == "71":
                self.claim.attending = provider
        self.claim_party = ""

    def start_claim(self, seg: Segment) -> None:
        self.close_claim()
        if self.billing is None or self.subscriber is None or self.payer is None:
            raise seg.error("CLM before the billing provider, subscriber and payer loops")
        billing = self.billing.provider()
        if not billing.taxonomy and self.billing_taxonomy:
            billing = replace(billing, taxonomy=self.billing_taxonomy)
        self.detect_component(seg)
        patient = self.patient.person() if self.level == "23" and self.patient else None
        self.claim = _ClaimState(
            clm=seg, billing=billing, subscriber=self.subscriber.person(), payer=self.payer,
            patient=patient, relationship=self.relationship if patient else "18",
        )  # fmt: skip
        self.party, self.in_other_payer = None, False

    def detect_component(self, clm: Segment) -> None:
        """Use the separator CLM05 really uses when it is not the one ISA16 declares."""
        mark = undeclared_component(clm[5], self.d)
        if mark is not None:
            logger.warning(
                "CLM at position %d uses %r as component separator, ISA16 declares %r; using %r",
                clm.position, mark, self.d.component, mark,
            )  # fmt: skip
            self.d = replace(self.d, component=mark)

    def hl(self, seg: Segment) -> None:
        self.close_claim()
        self.level, self.party = seg[3], None
        if self.level == "20":
            self.billing, self.billing_taxonomy = None, ""
        elif self.level == "22":
            self.subscriber, self.payer, self.patient, self.relationship = None, None, None, "18"
        elif self.level == "23":
            self.patient = None

    def nm1(self, seg: Segment) -> None:
        code = seg[1]
        self.close_party()
        self.party = _Party(seg)
        if self.claim is None:
            if code == "85":
                self.billing = self.party
            elif code == "IL" and self.level == "22":
                self.subscriber = self.party
            elif code == "PR" and self.level == "22":
                self.payer = Payer(name=seg[3], payer_id=seg[9])
            elif code == "QC":
                self.patient = self.party
            return
        if self.line is None and not self.in_other_payer and code in ("82", "71"):
            self.claim_party = code

    def segment(self, seg: Segment) -> None:
        tag = seg.tag
        if tag == "HL":
            self.hl(seg)
        elif tag == "NM1":
            self.nm1(seg)
        elif tag == "CLM":
            self.start_claim(seg)
        elif self.claim is None:
            self.header_detail(seg)
        else:
            self.claim_detail(seg)

    def header_detail(self, seg: Segment) -> None:
        tag, party = seg.tag, self.party
        if tag == "PRV" and seg[1] == "BI":
            self.billing_taxonomy = seg[3]
        elif tag == "PAT" and self.level == "23":
            self.relationship = seg[1]
        elif party is not None:
            self.party_detail(seg, party)

    def party_detail(self, seg: Segment, party: _Party) -> None:
        tag = seg.tag
        if tag == "N3":
            party.line1, party.line2 = seg[1], seg[2]
        elif tag == "N4":
            party.city, party.state, party.postal = seg[1], seg[2], seg[3]
        elif tag == "DMG" and seg[1] == "D8":
            party.birth, party.sex = seg.date(2), seg[3]
        elif tag == "REF" and seg[1] == "EI":
            party.tax_id = seg[2]
        elif tag == "PRV":
            party.taxonomy = seg[3]

    def claim_detail(self, seg: Segment) -> None:
        claim, tag = self.claim, seg.tag
        assert claim is not None
        if tag == "SBR":
            self.close_party()
            self.in_other_payer, self.party = True, None
        elif tag == "LX":
            self.close_party()
            self.line = _Line(int(seg[1]) if seg[1].isdigit() else len(claim.lines) + 1, seg)
            claim.lines.append(self.line)
        elif self.line is not None:
            self.line_detail(seg, self.line)
        elif tag == "HI":
            self.diagnoses(seg, claim)
        elif tag == "DTP" and seg[1] == "434":
            claim.statement = _range(seg)
        elif self.party is not None and self.claim_party:
            self.party_detail(seg, self.party)

    def diagnoses(self, seg: Segment, claim: _ClaimState) -> None:
        for i in range(1, len(seg.elements) + 1):
            parts = seg[i].split(self.d.component)
            if len(parts) < 2 or not parts[1]:
                continue
            code = parts[1].replace(".", "")
            if parts[0] in _PRINCIPAL:
                claim.principal.append(code)
            elif parts[0] in _OTHER:
                claim.diagnoses.append(code)

    def line_detail(self, seg: Segment, line: _Line) -> None:
        tag, f = seg.tag, line.fields
        if tag == "SV1":
            f.update(_procedure(seg, 1, self.d))
            f.update(
                charge=seg.decimal(2), unit_basis=seg[3], units=seg.decimal(4, required=False) or Decimal("1")
            )
            f.update(place_of_service=seg[5], diagnosis_pointers=_pointers(seg.components(7, self.d)))
        elif tag == "SV2":
            f.update(_procedure(seg, 2, self.d))
            f.update(revenue_code=seg[1], charge=seg.decimal(3), unit_basis=seg[4])
            f.update(units=seg.decimal(5, required=False) or Decimal("1"), diagnosis_pointers=())
        elif tag == "DTP" and seg[1] == "472":
            f["service_date"] = seg.date(3)
        elif tag == "REF" and seg[1] == "6R":
            f["line_control"] = seg[2]
        elif tag == "LIN" and seg[2] == "N4":
            f["ndc"] = seg[3]


def read_837(text: str, *, path: str | Path | None = None) -> list[Claim]:
    """Every claim of an 837 interchange, in file order; X12Error names a malformed segment."""
    interchange = parse_interchange(text, path=path)
    claims: list[Claim] = []
    for group in interchange.groups:
        for transaction in group.transactions:
            if transaction.code != "837":
                raise transaction.st.error(f"ST01 is {transaction.code!r}, expected 837")
            version = transaction.version or group.gs[8]
            if "X222" in version:
                kind = ClaimKind.PROFESSIONAL
            elif "X223" in version:
                kind = ClaimKind.INSTITUTIONAL
            else:
                raise transaction.st.error(f"implementation {version!r} is not 837P (X222) or 837I (X223)")
            reader = _Reader(kind, interchange.delimiters)
            try:
                for seg in transaction.body:
                    reader.segment(seg)
                reader.close_claim()
            except X12Error as exc:
                if path is not None and exc.path is None:
                    raise X12Error(
                        exc.detail, segment=exc.segment, position=exc.position, path=path
                    ) from None
                raise
            for claim in reader.claims:
                if not claim.lines:
                    raise transaction.st.error(f"claim at CLM {claim.claim_id!r} has no service lines")
            claims.extend(reader.claims)
    return claims
