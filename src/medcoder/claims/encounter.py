"""From an approved chart to a claim: the billing context a coding result does not know.

A coding result says which codes apply; a claim also needs who bills (billing and rendering
provider with NPIs), who pays (payer, subscriber, patient), where and when (place of service,
date of service) and what each service costs (the provider's charge master). :class:`ClaimContext`
holds that, loaded from a YAML or JSON file (``medcoder claims export --context``) or an API body,
validated when built so a bad context names the field. :func:`build_claim` joins an
:class:`~medcoder.claims.approve.ApprovedCodes` with a context into a :class:`Claim`.

Lines come from the context when it lists them (charge capture done elsewhere), otherwise from
the approved CPT/HCPCS codes (plus the E/M level when one is given) priced from the charge master;
every line points at the first four diagnoses, principal first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from medcoder.claims.approve import ApprovedCodes, with_principal, x12_diagnosis
from medcoder.claims.npi import is_valid_npi
from medcoder.claims.records import Address, Claim, ClaimKind, Payer, Person, Provider, ServiceLine
from medcoder.errors import InputFormatError

CHARGE_MASTER = "charge_master.csv"
EXAMPLE_CONTEXT = "example_context.yaml"
MAX_POINTERS = 4


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AddressIn(_Model):
    line1: str = Field(min_length=1, max_length=55)
    city: str = Field(min_length=1, max_length=30)
    state: str = Field(pattern=r"^[A-Z]{2}$")
    postal_code: str = Field(pattern=r"^\d{5}(\d{4})?$")
    line2: str = ""

    def record(self) -> Address:
        return Address(self.line1, self.city, self.state, self.postal_code, self.line2)


class ProviderIn(_Model):
    name: str = Field(min_length=1, max_length=60)
    npi: str = Field(pattern=r"^\d{10}$")
    entity: str = Field(default="2", pattern=r"^[12]$")
    first_name: str = ""
    tax_id: str = Field(default="", pattern=r"^(\d{9})?$")
    taxonomy: str = ""
    address: AddressIn | None = None

    @field_validator("npi")
    @classmethod
    def _check_digit(cls, value: str) -> str:
        if not is_valid_npi(value):
            raise ValueError("NPI check digit is wrong (Luhn over 80840 + the first nine digits)")
        return value

    def record(self) -> Provider:
        return Provider(name=self.name, npi=self.npi, entity=self.entity, first_name=self.first_name,
                        tax_id=self.tax_id, taxonomy=self.taxonomy,
                        address=self.address.record() if self.address else None)  # fmt: skip


class PersonIn(_Model):
    last_name: str = Field(min_length=1, max_length=60)
    first_name: str = ""
    member_id: str = Field(default="", max_length=80)
    birth_date: dt.date | None = None
    sex: str = Field(default="U", pattern=r"^[MFU]$")
    address: AddressIn | None = None

    def record(self) -> Person:
        return Person(self.last_name, self.first_name, self.member_id, self.birth_date, self.sex,
                      self.address.record() if self.address else None)  # fmt: skip


class PayerIn(_Model):
    name: str = Field(min_length=1, max_length=60)
    payer_id: str = Field(min_length=1, max_length=80)


Money = Annotated[Decimal, Field(ge=0, max_digits=11, decimal_places=2),
                  WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,9}(\.[0-9]{1,2})?$"})]  # fmt: skip
"""An amount: a decimal string in JSON (``"150.00"``), never a float."""
Units = Annotated[Decimal, Field(gt=0, max_digits=7, decimal_places=3),
                  WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,4}(\.[0-9]{1,3})?$"})]  # fmt: skip


class LineIn(_Model):
    procedure: str = Field(pattern=r"^[A-Z0-9]{5}$")
    charge: Money | None = None
    units: Units = Decimal("1")
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    service_date: dt.date | None = None


class ClaimContext(_Model):
    """Everything a claim needs besides the approved codes (see the module docstring)."""

    kind: ClaimKind = ClaimKind.PROFESSIONAL
    claim_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9\-]{1,20}$")
    service_date: dt.date
    place_of_service: str = Field(default="11", pattern=r"^\d{2}$")
    frequency_code: str = Field(default="1", pattern=r"^[1-8]$")
    billing: ProviderIn
    rendering: ProviderIn | None = None
    payer: PayerIn
    subscriber: PersonIn
    patient: PersonIn | None = None
    relationship: str = Field(default="18", pattern=r"^\d{2}$")
    principal_diagnosis: str | None = None
    em_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    lines: list[LineIn] = Field(default_factory=list, max_length=50)


def load_context(path: str | Path | None = None) -> ClaimContext:
    """A context from a YAML/JSON file; the packaged example (synthetic people) when ``path`` is None."""
    if path is None:
        text = resources.files("medcoder.claims").joinpath("data", EXAMPLE_CONTEXT).read_text()
        where: str | Path = f"medcoder.claims/data/{EXAMPLE_CONTEXT}"
    else:
        where = Path(path)
        text = where.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputFormatError(f"not YAML/JSON: {exc}", path=where) from None
    if not isinstance(data, Mapping):
        raise InputFormatError("a claim context must be a mapping of fields", path=where)
    try:
        return ClaimContext.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputFormatError(f"claim context field {loc}: {first['msg']}", path=where) from None


def load_charge_master(path: str | Path | None = None) -> dict[str, Decimal]:
    """Code -> charge from a CSV with ``code,charge`` columns (the packaged example when None)."""
    if path is None:
        text = resources.files("medcoder.claims").joinpath("data", CHARGE_MASTER).read_text()
        where: str | Path = f"medcoder.claims/data/{CHARGE_MASTER}"
    else:
        where = Path(path)
        text = where.read_text(encoding="utf-8")
    fees: dict[str, Decimal] = {}
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            fees[row["code"].strip()] = Decimal(row["charge"]).quantize(Decimal("0.01"))
        except (KeyError, ArithmeticError, AttributeError):
            raise InputFormatError(
                "expected columns code,charge with a decimal charge", path=where, line=i
            ) from None
    return fees


def build_claim(codes: ApprovedCodes, context: ClaimContext, fees: Mapping[str, Decimal]) -> Claim:
    """The claim for an approved chart (raises ValueError naming a code without a charge)."""
    diagnoses = tuple(x12_diagnosis(c) for c in with_principal(codes, context.principal_diagnosis))
    pointers = tuple(range(1, min(len(diagnoses), MAX_POINTERS) + 1))
    wanted = list(context.lines)
    if not wanted:
        procedures = [code for _, code in codes.procedures]
        if context.em_code and context.em_code not in procedures:
            procedures.insert(0, context.em_code)
        wanted = [LineIn(procedure=code) for code in procedures]
    if not wanted:
        raise ValueError(
            f"document {codes.document_id}: no service line (no approved CPT/HCPCS, no E/M, no lines)"
        )
    lines = []
    for n, line in enumerate(wanted, start=1):
        charge = line.charge if line.charge is not None else fees.get(line.procedure)
        if charge is None:
            raise ValueError(
                f"no charge for {line.procedure}: add it to the charge master or give the line's charge"
            )
        lines.append(ServiceLine(
            line_number=n, procedure=line.procedure, charge=Decimal(charge).quantize(Decimal("0.01")) * line.units,
            units=line.units, service_date=line.service_date or context.service_date,
            modifiers=tuple(line.modifiers), diagnosis_pointers=pointers, line_control=f"{n}",
            place_of_service="",
        ))  # fmt: skip
    claim_id = context.claim_id or f"{codes.document_id[:12]}-{context.service_date:%y%m%d}"
    total = sum((line.charge for line in lines), Decimal("0.00"))
    return Claim(
        claim_id=claim_id, kind=context.kind, billing=context.billing.record(),
        subscriber=context.subscriber.record(), payer=Payer(context.payer.name, context.payer.payer_id),
        diagnoses=diagnoses, lines=tuple(lines), total_charge=total, facility_code=context.place_of_service,
        frequency_code=context.frequency_code,
        rendering=context.rendering.record() if context.rendering else None,
        patient=context.patient.record() if context.patient else None, relationship=context.relationship,
        statement_from=context.service_date, statement_to=context.service_date,
        encounter_id=codes.document_id, model_version=codes.model_version,
    )  # fmt: skip
