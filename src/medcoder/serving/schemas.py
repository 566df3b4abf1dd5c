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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN
from medcoder.coding.result import CodingResult
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


class CodingResponse(CodingResult):
    """The service's answer: the coding result plus where the audit trail recorded it."""

    audit_seq: int | None = Field(default=None, description="Sequence number of the 'suggested' audit event.")


class BatchResponse(BaseModel):
    results: list[CodingResponse]


class ErrorDetail(BaseModel):
    """One field that failed schema validation: where (``loc``, as pydantic gives it), which check
    failed (``type``) and a fixed message (``msg``); the rejected value is never included."""

    loc: list[str | int]
    type: str
    msg: str


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx of the ``/v1`` API; ``pointer`` is a JSON pointer into the request.

    400: the body is not JSON or does not match the request schema (``detail`` lists each field);
    401/403: authentication or role; 413: body or note too large; 415: not JSON; 422: content
    checks (empty note, unknown payer, invalid FHIR, ...); 503: audit trail or auth store down.
    """

    error: str
    pointer: str | None = None
    request_id: str | None = None
    detail: list[ErrorDetail] | None = Field(
        default=None, description="Schema validation failures (400 only)."
    )


class Health(BaseModel):
    status: str
    model_name: str | None = None
    model_version: str | None = None
    shift: dict[str, Any] | None = Field(
        default=None,
        description="The chart router's traffic-window shift test: windows tested, shifted, the last result.",
    )
