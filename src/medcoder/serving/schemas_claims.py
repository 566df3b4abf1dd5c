"""The claims APIs' requests and responses (billing role): export, 835 ingest, claim status.

Amounts travel as decimal strings (``"260.00"``), never floats: a remittance balances to the cent.
Responses carry codes, amounts and ids; patient names stay inside the X12 text and FHIR Claim the
billing caller asked for.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN
from medcoder.claims.encounter import ClaimContext

MAX_X12_CHARS = 1_500_000


class ClaimExportRequest(BaseModel):
    """Export an approved chart: which one, and the billing context the coding result lacks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: str = Field(pattern=ID_PATTERN)
    request_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Default: the latest coding."
    )
    context: ClaimContext
    override_prebill: bool = Field(default=False, description="Export although the pre-bill check holds it.")


class ClaimExportResponse(BaseModel):
    claim_id: str
    interchange_control: int
    total_charge: str
    diagnoses: list[str]
    procedures: list[str]
    x12: str = Field(description="The 837 (005010X222A1 or X223A2), pyx12-validated.")
    fhir_claim: dict[str, Any] = Field(description="The same claim as a FHIR R4 Claim resource.")
    denial_risk: float | None = None
    likely_carc: str = ""
    audit_seq: int


class Ingest835Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    x12: str = Field(min_length=1, max_length=MAX_X12_CHARS, description="One 835 interchange.")
    source: str = Field(
        default="api", pattern=r"^[A-Za-z0-9._\-]{1,128}$", description="A file name or batch id."
    )


class Ingest835Response(BaseModel):
    source: str
    sha256: str
    duplicate: bool
    remittances: int
    claim_payments: int
    lines: int
    linked_lines: int
    unmatched_payments: int


class ClaimStatusRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: str = Field(pattern=r"^[A-Za-z0-9\-]{1,38}$")


class RemittedLine(BaseModel):
    line_number: int
    procedure: str
    modifiers: list[str]
    charge: str
    paid: str
    carcs: list[str]
    remarks: list[str]
    diagnoses: list[str]
    model_version: str
    decisions: int


class ClaimStatusResponse(BaseModel):
    claim_id: str
    status: str
    lines: list[RemittedLine]
