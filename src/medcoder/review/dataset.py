"""The feedback dataset: reviewed charts exported from the review store, to teach the next model.

``export_feedback(store, out_dir)`` writes two files (DVC tracks the folder):

- ``reviewed.jsonl``: one finalized chart a line (:class:`ReviewedChart`): ids, model version,
  encounter facts, the note text, the suggested codes with probabilities, the final codes with
  evidence offsets, and each code's outcome (:func:`outcomes`);
- ``card.json`` (:class:`FeedbackCard`): the version (SHA-256 of ``reviewed.jsonl``), counts, when
  and from which store (URL without credentials) it was made. The note text is protected health
  information: the folder belongs in the organisation's own DVC remote, never a public one.

A chart's part is fixed by its document id's hash (:func:`feedback_part`): 80% teach the next
version, 20% are held out to compare versions on, the same charts every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import URL, make_url

from medcoder.audit.events import CodeRef, canonical_json, utc_timestamp
from medcoder.data.records import CodeLabel, CodeSystem, Document, Setting, Span
from medcoder.errors import InputFormatError
from medcoder.review.records import EncounterFacts, ReviewItem
from medcoder.review.store import ReviewStore

CHARTS_FILE = "reviewed.jsonl"
CARD_FILE = "card.json"
HELDOUT_SHARE = 0.2


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # suggested and kept
    REJECTED = "rejected"  # suggested, not kept, nothing put in its place
    MODIFIED = "modified"  # a suggestion replaced by another code of its category, or that replacement
    ADDED = "added"  # final, never suggested, replacing nothing


class CodeOutcome(BaseModel):
    """What the coder did with one code; ``pair`` is the other side of a modification."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str
    code: str
    outcome: Outcome
    suggested: bool
    final: bool
    pair: str | None = None


class ReviewedChart(BaseModel):
    """One finalized chart as the feedback dataset holds it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str
    document_id: str
    model_version: str
    finalized_at: str | None = None
    facts: EncounterFacts = Field(default_factory=EncounterFacts)
    text: str
    suggested: list[CodeRef] = Field(default_factory=list)
    final: list[CodeRef] = Field(default_factory=list)
    outcomes: list[CodeOutcome] = Field(default_factory=list)

    @model_validator(mode="after")
    def _evidence_inside(self) -> ReviewedChart:
        n = len(self.text)
        for c in self.final:
            if any(e.end > n for e in c.evidence):
                raise ValueError(
                    f"chart {self.request_id}: evidence of {c.code} ends past the note ({n} chars)"
                )
        return self


class FeedbackCard(BaseModel):
    """The data card of one export."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(description="SHA-256 of reviewed.jsonl")
    created_at: str
    source: str = Field(description="review store URL, credentials removed")
    since: str | None = None
    charts: int
    parts: dict[str, int] = Field(description="charts per part (train / heldout) at the default share")
    outcomes: dict[str, int]
    codes_with_evidence: int
    model_versions: dict[str, int]
    contents: str = (
        "Reviewed charts with note text (protected health information), suggested and final codes, "
        "evidence offsets. Keep in the organisation's own DVC remote; never push to a public remote."
    )


def feedback_part(document_id: str, heldout_share: float = HELDOUT_SHARE) -> str:
    """ "heldout" or "train" for a chart, fixed by SHA-256 of its document id."""
    h = int(hashlib.sha256(document_id.encode()).hexdigest()[:8], 16) / 16**8
    return "heldout" if h < heldout_share else "train"


def outcomes(suggested: Sequence[CodeRef], final: Sequence[CodeRef]) -> list[CodeOutcome]:
    """Each code's outcome: suggested codes first (in their order), then codes only in ``final``.

    A final code that was not suggested *modifies* a rejected suggestion of the same system and
    category (first three characters) when there is one not yet paired, else it was *added*."""
    final_keys = {(c.system, c.code) for c in final}
    sugg_keys = {(c.system, c.code) for c in suggested}
    dropped = [c for c in suggested if (c.system, c.code) not in final_keys]
    new = [c for c in final if (c.system, c.code) not in sugg_keys]
    pair: dict[tuple[str, str], str] = {}
    for c in new:
        old = next((d for d in dropped if d.system == c.system and d.code[:3] == c.code[:3]
                    and (d.system, d.code) not in pair), None)  # fmt: skip
        if old is not None:
            pair[(old.system, old.code)], pair[(c.system, c.code)] = c.code, old.code
    out = []
    for c in suggested:
        key = (c.system, c.code)
        kind = (
            Outcome.ACCEPTED if key in final_keys else Outcome.MODIFIED if key in pair else Outcome.REJECTED
        )
        out.append(CodeOutcome(system=c.system, code=c.code, outcome=kind, suggested=True,
                               final=key in final_keys, pair=pair.get(key)))  # fmt: skip
    for c in new:
        key = (c.system, c.code)
        kind = Outcome.MODIFIED if key in pair else Outcome.ADDED
        out.append(CodeOutcome(system=c.system, code=c.code, outcome=kind, suggested=False, final=True,
                               pair=pair.get(key)))  # fmt: skip
    return out


def chart_of(item: ReviewItem) -> ReviewedChart:
    """The dataset record of a finalized review item."""
    suggested = [
        CodeRef(system=s.system, code=s.code, probability=s.probability) for s in item.result.suggestions
    ]
    return ReviewedChart(
        request_id=item.entry.request_id, document_id=item.entry.document_id,
        model_version=item.entry.model_version, finalized_at=item.entry.finalized_at, facts=item.facts,
        text=item.text, suggested=suggested, final=list(item.final_codes),
        outcomes=outcomes(suggested, item.final_codes),
    )  # fmt: skip


def public_url(url: str) -> str:
    """``url`` without user name or password."""
    try:
        u = make_url(url)
        bare = URL.create(u.drivername, host=u.host, port=u.port, database=u.database, query=u.query)
        return bare.render_as_string(hide_password=False)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is not printed at all
        return "(unparsable URL)"


def export_feedback(store: ReviewStore, out_dir: str | Path, since: str | None = None) -> FeedbackCard:
    """Write ``reviewed.jsonl`` and ``card.json`` for every chart finalized after ``since``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = [chart_of(item) for item in store.reviewed(since)]
    body = "".join(canonical_json(c.model_dump(mode="json")) + "\n" for c in charts)
    (out / CHARTS_FILE).write_text(body, encoding="utf-8")
    counts = Counter(o.outcome.value for c in charts for o in c.outcomes)
    card = FeedbackCard(
        version=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        created_at=utc_timestamp(),
        source=public_url(store.url),
        since=since,
        charts=len(charts),
        parts=dict(sorted(Counter(feedback_part(c.document_id) for c in charts).items())),
        outcomes={k.value: counts.get(k.value, 0) for k in Outcome},
        codes_with_evidence=sum(1 for c in charts for f in c.final if f.evidence),
        model_versions=dict(sorted(Counter(c.model_version for c in charts).items())),
    )
    (out / CARD_FILE).write_text(json.dumps(card.model_dump(mode="json"), indent=1) + "\n", encoding="utf-8")
    return card


def load_feedback(path: str | Path) -> list[ReviewedChart]:
    """The charts of an export folder (or of its ``reviewed.jsonl``); a bad line names file and line."""
    path = Path(path)
    if path.is_dir():
        path = path / CHARTS_FILE
    out = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(ReviewedChart.model_validate_json(line))
            except ValidationError as exc:
                fields = sorted({".".join(str(x) for x in e["loc"]) for e in exc.errors()})
                raise InputFormatError(f"not a reviewed chart (fields: {', '.join(fields)})",
                                       path=path, line=lineno) from None  # fmt: skip
    return out


def _setting(value: str) -> Setting:
    try:
        return Setting(value)
    except ValueError:
        return Setting.UNKNOWN


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def as_documents(charts: Iterable[ReviewedChart]) -> list[Document]:
    """Training documents: the note with its final codes as labels and their evidence as spans.
    Codes of systems medcoder does not know are left out."""
    known = {s.value for s in CodeSystem}
    docs = []
    for c in charts:
        labels = tuple(
            CodeLabel(CodeSystem(f.system), f.code, tuple(Span(e.start, e.end) for e in f.evidence))
            for f in c.final
            if f.system in known
        )
        docs.append(Document(id=c.document_id, text=c.text, doc_type=c.facts.doc_type,
                             setting=_setting(c.facts.setting), encounter_date=_date(c.facts.date_of_service),
                             source="feedback", source_id=c.request_id, labels=labels))  # fmt: skip
    return docs


def taught_pairs(charts: Iterable[ReviewedChart]) -> list[tuple[str, str, str]]:
    """``(evidence text, system, code)`` for each added or modified-in code with evidence, once per
    chart and phrase: what coders taught (``medcoder.models.taught``)."""
    out = []
    for c in charts:
        taught = {
            (o.system, o.code)
            for o in c.outcomes
            if o.final and o.outcome in (Outcome.ADDED, Outcome.MODIFIED)
        }
        seen: set[tuple[str, str, str]] = set()
        for f in c.final:
            if (f.system, f.code) not in taught:
                continue
            for e in f.evidence:
                row = (c.text[e.start : e.end], f.system, f.code)
                if row not in seen:
                    seen.add(row)
                    out.append(row)
    return out
