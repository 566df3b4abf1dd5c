"""Typed records for claims (what an 837 carries) and remittances (what an 835 carries).

Amounts are :class:`decimal.Decimal` (never float: an 835 must balance to the cent); codes are
stored as the X12 files carry them: ICD-10-CM without the dot, CPT/HCPCS as five characters,
modifiers as two. Dates are :class:`datetime.date`. Records are frozen so a claim that was
validated stays valid; build a changed copy with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class ClaimKind(StrEnum):
    """Which 837: professional (005010X222A1, CMS-1500) or institutional (005010X223A2, UB-04)."""

    PROFESSIONAL = "professional"
    INSTITUTIONAL = "institutional"


@dataclass(frozen=True)
class Address:
    """A postal address (N3/N4)."""

    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Provider:
    """A billing, rendering, attending or service-facility provider (NM1 + N3/N4 + REF).

    ``entity`` is NM102: ``"1"`` a person (``name`` is the last name), ``"2"`` an organisation.
    ``npi`` is the 10-digit National Provider Identifier (NM109 with qualifier XX).
    """

    name: str
    npi: str = ""
    entity: str = "2"
    first_name: str = ""
    tax_id: str = ""
    taxonomy: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Person:
    """A subscriber or patient (NM1*IL / NM1*QC + N3/N4 + DMG)."""

    last_name: str
    first_name: str = ""
    member_id: str = ""
    birth_date: date | None = None
    sex: str = "U"
    address: Address | None = None


@dataclass(frozen=True)
class Payer:
    """The payer a claim goes to (NM1*PR), with its payer identifier (NM109, qualifier PI)."""

    name: str
    payer_id: str = ""


@dataclass(frozen=True)
class ServiceLine:
    """One service line: SV1 (professional) or SV2 (institutional) plus its DTP*472 date.

    ``procedure`` is a CPT/HCPCS code (qualifier HC) or, for other qualifiers, what the file
    carries. ``diagnosis_pointers`` are 1-based positions in the claim's diagnosis list (SV107).
    ``revenue_code`` is SV201 (institutional lines only).
    """

    line_number: int
    procedure: str
    charge: Decimal
    units: Decimal = Decimal("1")
    service_date: date | None = None
    modifiers: tuple[str, ...] = ()
    qualifier: str = "HC"
    unit_basis: str = "UN"
    diagnosis_pointers: tuple[int, ...] = (1,)
    revenue_code: str = ""
    place_of_service: str = ""
    ndc: str = ""
    line_control: str = ""


@dataclass(frozen=True)
class Claim:
    """One claim (CLM loop 2300) with its parties and lines.

    ``claim_id`` is CLM01, the provider's patient control number, echoed by the payer as CLP01.
    ``diagnoses`` are ICD-10-CM codes without dots, principal first (HI ABK then ABF).
    ``patient`` is None when the patient is the subscriber. ``facility_code`` is CLM05-1: the place
    of service for 837P, the facility type (first two digits of the bill type) for 837I.
    ``encounter_id`` and ``model_version`` link the claim back to the coded chart.
    """

    claim_id: str
    kind: ClaimKind
    billing: Provider
    subscriber: Person
    payer: Payer
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    total_charge: Decimal
    facility_code: str = "11"
    frequency_code: str = "1"
    rendering: Provider | None = None
    attending: Provider | None = None
    patient: Person | None = None
    relationship: str = "18"
    statement_from: date | None = None
    statement_to: date | None = None
    encounter_id: str = ""
    model_version: str = ""

    @property
    def line_charge_total(self) -> Decimal:
        """Sum of the lines' charges (CLM02 must equal it)."""
        return sum((line.charge for line in self.lines), ZERO)


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group (CO, PR, OA, PI, CR), CARC reason code, amount, optional quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class RemitLine:
    """One SVC service payment with its CAS adjustments and LQ remark codes (RARC)."""

    procedure: str
    charge: Decimal
    paid: Decimal
    qualifier: str = "HC"
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal("1")
    revenue_code: str = ""
    service_date: date | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()
    line_control: str = ""
    original_procedure: str = ""
    position: int = 0


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP claim payment: status, charge, paid, patient responsibility, adjustments, lines.

    ``claim_id`` is CLP01 (= the 837's CLM01). ``status`` is CLP02 (1 processed as primary,
    2 secondary, 3 tertiary, 4 denied, 22 reversal, ...).
    """

    claim_id: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal = ZERO
    filing_indicator: str = ""
    payer_claim_id: str = ""
    adjustments: tuple[Adjustment, ...] = ()
    lines: tuple[RemitLine, ...] = ()
    remarks: tuple[str, ...] = ()
    patient_name: str = ""
    position: int = 0


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction: the payment (BPR), its trace (TRN), payer, payee and claim payments.

    ``provider_adjustments`` are PLB amounts (positive reduces the payment).
    """

    trace_number: str
    payment_amount: Decimal
    payer_name: str
    payee_name: str
    claims: tuple[ClaimPayment, ...]
    payment_date: date | None = None
    payee_npi: str = ""
    provider_adjustments: tuple[Adjustment, ...] = field(default=())
    position: int = 0
