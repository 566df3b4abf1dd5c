"""Request and response models of the coding service (they are its OpenAPI schema).

A ``code`` request carries either a note's ``text`` or a FHIR R4 ``DocumentReference`` (``fhir``),
plus what the rules need about the encounter: patient age and sex, setting, payer, date of
service, the billed E/M code (optional) and prior-year HCCs. The response is a
:class:`CodingResponse`: suggestions with calibrated probabilities, evidence spans and
alternatives, rule findings, HCC/RAF, E/M level, CDI queries, the route with its reasons, and the
versions of everything that produced it.

Content checks that need more than a type (empty note, note too large, unknown payer, invalid
FHIR) happen in :mod:`medcoder.serving.errors` so they return 422/413 with a pointer to the field.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN
from medcoder.data.records import Setting, Sex

CODE_PATTERN = r"^[A-Za-z0-9.\-]{1,16}$"


class PatientIn(BaseModel):
    """Patient facts on the date of service (never a name or identifier)."""

    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(default=None, ge=0, le=130, description="Age in whole years (0-130).")
    sex: Sex = Field(default=Sex.UNKNOWN, description="Administrative sex: F, M or U.")


class CodeRequest(BaseModel):
    """One chart to code: exactly one of ``text`` or ``fhir``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "document_id": "enc-0001",
                "text": "ASSESSMENT: Type 2 diabetes mellitus with hyperglycemia.",
                "patient": {"age": 67, "sex": "F"},
                "setting": "outpatient",
                "payer": "MEDICARE",
                "date_of_service": "2026-03-02",
            }
        },
    )

    document_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Opaque document id (a new one is made if absent)."
    )
    text: str | None = Field(default=None, description="The note as plain text.")
    fhir: dict[str, Any] | None = Field(
        default=None, description="A FHIR R4 DocumentReference resource (inline attachment data)."
    )
    patient: PatientIn = Field(default_factory=PatientIn)
    setting: Setting = Setting.UNKNOWN
    payer: str | None = Field(default=None, max_length=64, description="Payer id, e.g. MEDICARE.")
    date_of_service: dt.date | None = Field(default=None, description="Defaults to today (UTC).")
    em_code: str | None = Field(
        default=None, pattern=CODE_PATTERN, description="Billed E/M code to level-check, e.g. 99214."
    )
    prior_hccs: list[str] = Field(
        default_factory=list, max_length=100, description="HCCs captured in prior years (for recapture)."
    )
    evidence: bool = Field(default=True, description="Return evidence spans for each suggestion.")


class BatchRequest(BaseModel):
    """Several charts coded in one call."""

    model_config = ConfigDict(extra="forbid")

    items: list[CodeRequest] = Field(min_length=1, max_length=64)


class EvidenceSpan(BaseModel):
    """A character range ``[start, end)`` of the note (as received) that supports a code."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    score: float
    section: str | None = None


class Alternative(BaseModel):
    system: str
    code: str
    description: str
    probability: float = Field(ge=0.0, le=1.0)


class Assertion(StrEnum):
    AFFIRMED = "affirmed"
    NEGATED = "negated"
    HISTORICAL = "historical"
    FAMILY = "family"
    HYPOTHETICAL = "hypothetical"
    UNCERTAIN = "uncertain"
    UNKNOWN = "unknown"


class Suggestion(BaseModel):
    system: str
    code: str
    description: str
    probability: float = Field(ge=0.0, le=1.0, description="Calibrated probability the code applies.")
    model_probability: float = Field(ge=0.0, le=1.0, description="The model's raw probability.")
    threshold: float = Field(description="The decision threshold the probability was compared with.")
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    assertion: Assertion = Assertion.UNKNOWN


class Suppressed(BaseModel):
    """A code the model scored above threshold whose only evidence is a non-affirmed mention."""

    system: str
    code: str
    description: str
    probability: float
    assertion: Assertion
    cues: list[str] = Field(default_factory=list)


class FindingOut(BaseModel):
    rule_id: str
    severity: str
    codes: list[str]
    message: str
    suggested_fix: str | None = None
    source: str
    version: str


class HccOut(BaseModel):
    raf: float
    hccs: list[str]
    dropped_by_hierarchy: list[str] = Field(default_factory=list)
    model: str


class EmOut(BaseModel):
    billed: str | None
    supported_code: str | None
    basis: str
    mdm: str
    minutes: int | None
    rationale: str


class CdiQueryOut(BaseModel):
    code: str
    axis: str
    text: str
    options: list[str]


class RouteDecision(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    ESCALATE = "escalate"


class RouteOut(BaseModel):
    decision: RouteDecision
    reasons: list[str]


class Versions(BaseModel):
    model_name: str
    model_version: str
    code_sets: dict[str, str]
    rule_packs: dict[str, str]
    evidence_method: str
    routing: str = Field(default="identity+threshold_route", description="Calibration and routing in use.")
    medcoder: str


class CodingResponse(BaseModel):
    """Everything a downstream system needs to turn a chart into claim lines, or to send it to a coder."""

    request_id: str
    document_id: str
    suggestions: list[Suggestion]
    suppressed: list[Suppressed] = Field(default_factory=list)
    findings: list[FindingOut] = Field(default_factory=list)
    hcc: HccOut | None = None
    em: EmOut | None = None
    cdi_queries: list[CdiQueryOut] = Field(default_factory=list)
    route: RouteOut
    versions: Versions
    audit_seq: int | None = Field(default=None, description="Sequence number of the 'suggested' audit event.")
    elapsed_ms: float = 0.0


class BatchResponse(BaseModel):
    results: list[CodingResponse]


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx the service itself returns; ``pointer`` is a JSON pointer into the request."""

    error: str
    pointer: str | None = None
    request_id: str | None = None


class Health(BaseModel):
    status: str
    model_name: str | None = None
    model_version: str | None = None
