"""Typed records of coder review: worklist entries, the item a coder opens, final codes.

The service queues every chart it routes to review or escalation (:mod:`medcoder.review.store`);
a coder lists the queue (:class:`WorklistEntry`, no note text), opens one chart
(:class:`ReviewItem`: the note, the coding result, the encounter facts), decides on each code
through the feedback API, and closes the chart with its final codes (:class:`FinalizeRequest`).
Evidence is kept as character offsets into the note (:class:`medcoder.audit.events.OffsetRef`),
so the audit trail never holds note text; only the review store does, because coders need it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN, CodeRef
from medcoder.coding.result import CodingResult
from medcoder.data.records import Document


class ReviewStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


# Lower is more urgent: escalations (rule errors, senior coder) before ordinary review.
ROUTE_PRIORITY: dict[str, int] = {"escalate": 0, "review": 1}


class EncounterFacts(BaseModel):
    """What the coder sees about the encounter besides the note (no names or identifiers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    setting: str = "unknown"
    payer: str | None = None
    age: int | None = None
    sex: str = "U"
    date_of_service: str | None = None
    doc_type: str = "note"


def facts_of(doc: Document) -> EncounterFacts:
    """The encounter facts a coder sees, from the document the chart was coded from."""
    when = doc.encounter_date
    return EncounterFacts(
        setting=doc.setting.value, payer=doc.payer, age=doc.patient.age, sex=doc.patient.sex.value,
        date_of_service=when.isoformat() if when else None, doc_type=doc.doc_type,
    )  # fmt: skip


class WorklistEntry(BaseModel):
    """One queued chart as the worklist shows it: no note text, so listing is cheap and safe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(pattern=ID_PATTERN)
    document_id: str = Field(pattern=ID_PATTERN)
    model_version: str
    route: str = Field(description="review or escalate")
    priority: int = Field(ge=0, description="0 = escalate, 1 = review (lower first)")
    reasons: list[str] = Field(default_factory=list, description="The router's reasons, as it gave them.")
    n_suggestions: int = Field(ge=0)
    created_at: str = Field(description="UTC ISO-8601 time the chart was queued")
    status: ReviewStatus = ReviewStatus.OPEN
    finalized_by: str | None = None
    finalized_at: str | None = None


class ReviewItem(BaseModel):
    """A chart opened for review: its worklist entry, the note, the coding result and the facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry: WorklistEntry
    text: str
    result: CodingResult
    facts: EncounterFacts = Field(default_factory=EncounterFacts)
    final_codes: list[CodeRef] = Field(default_factory=list, description="Set when the chart is finalized.")


class WorklistRequest(BaseModel):
    """``/v1/worklist``: open (or done) charts, most urgent and oldest first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ReviewStatus = ReviewStatus.OPEN
    limit: int = Field(default=50, ge=1, le=500)
    route: str | None = Field(default=None, pattern=r"^(review|escalate)$")


class WorklistResponse(BaseModel):
    entries: list[WorklistEntry]


class ItemRequest(BaseModel):
    """``/v1/worklist/item``: one chart by the request id of its coding response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(pattern=ID_PATTERN)


class FinalizeRequest(BaseModel):
    """``/v1/worklist/finalize``: close a reviewed chart with the codes the coder settled on.

    ``codes`` is the whole final set (accepted suggestions, replacements, added codes), each with
    evidence offsets where the coder selected them; an empty list means "nothing codable"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(pattern=ID_PATTERN)
    codes: list[CodeRef] = Field(default_factory=list, max_length=200)


class FinalizeResponse(BaseModel):
    seq: int
    event_id: str
    hash: str
