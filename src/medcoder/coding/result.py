"""What coding a chart produces: the domain record of :func:`medcoder.coding.pipeline.CodingPipeline.code`.

A :class:`CodingResult` holds suggestions with calibrated probabilities, evidence spans and
alternatives, codes suppressed on assertion grounds, rule findings, HCC/RAF, the E/M level, CDI
query drafts, the route with its reasons, and the versions of everything that produced it. It is
plain data (pydantic, JSON-ready): the service returns it with an audit sequence number on top
(``medcoder.serving.schemas.CodingResponse``), the CLI prints it, batch jobs store it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


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
    units: float | None = Field(
        default=None, description="Billing units (CPT/HCPCS lines); None for diagnoses."
    )
    modifiers: list[str] = Field(default_factory=list, description="CPT/HCPCS modifiers, e.g. LT, QW, XS.")
    modifier_reasons: dict[str, str] = Field(default_factory=dict, description="Why each modifier applies.")


class Suppressed(BaseModel):
    """A code the model scored above threshold whose only evidence is a non-affirmed mention."""

    system: str
    code: str
    description: str
    probability: float
    assertion: Assertion
    cues: list[str] = Field(default_factory=list)


class RuleFinding(BaseModel):
    rule_id: str
    severity: str
    codes: list[str]
    message: str
    suggested_fix: str | None = None
    source: str
    version: str


class HccResult(BaseModel):
    raf: float
    hccs: list[str]
    dropped_by_hierarchy: list[str] = Field(default_factory=list)
    model: str


class EmElement(BaseModel):
    """One E/M element (problems, data, risk, time) with its level and the note's own words."""

    element: str
    level: str
    reason: str
    quotes: list[EvidenceSpan] = Field(default_factory=list)


class EmLine(BaseModel):
    """A claim line the E/M documentation supports: the primary code, an add-on with units
    (99417, G2212, 99418, G0316-G0318, 99292) or a separate problem visit with modifier 25."""

    code: str
    units: int = 1
    modifiers: list[str] = Field(default_factory=list)
    reason: str = ""


class EmResult(BaseModel):
    billed: str | None
    supported_code: str | None
    basis: str
    mdm: str
    minutes: int | None
    rationale: str
    modifiers: list[str] = Field(default_factory=list, description="Modifiers on the billed E/M line (25).")
    modifier_reasons: dict[str, str] = Field(default_factory=dict)
    family: str | None = Field(default=None, description="E/M family levelled, e.g. office_established.")
    family_source: str | None = Field(
        default=None,
        description="What decided the family: billed_code, metadata, document, note (joined by +).",
    )
    family_reasons: list[str] = Field(default_factory=list)
    elements: list[EmElement] = Field(default_factory=list)
    lines: list[EmLine] = Field(
        default_factory=list, description="Supported lines: primary, add-ons, 25 visit."
    )
    notes: list[str] = Field(default_factory=list)


class CdiQueryDraft(BaseModel):
    code: str
    axis: str
    text: str
    options: list[str]


class RouteDecision(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    ESCALATE = "escalate"


class RouteResult(BaseModel):
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


class CodingResult(BaseModel):
    """Everything a downstream system needs to turn a chart into claim lines, or to send it to a coder."""

    request_id: str
    document_id: str
    suggestions: list[Suggestion]
    suppressed: list[Suppressed] = Field(default_factory=list)
    findings: list[RuleFinding] = Field(default_factory=list)
    hcc: HccResult | None = None
    em: EmResult | None = None
    cdi_queries: list[CdiQueryDraft] = Field(default_factory=list)
    route: RouteResult
    versions: Versions
    elapsed_ms: float = 0.0
