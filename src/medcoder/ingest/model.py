"""Records the intake area passes around: a parsed document with its intake metadata, a rejected
document with its reason, and the batch report that lists both.

``Document`` (medcoder.data.records) is what the rest of the system codes. The intake metadata
(signature status, which patient and encounter it was matched to, OCR confidence, what the parser
had to recover) only matters for chart readiness, so it lives beside the document, not in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from medcoder.data.records import Document


@dataclass(frozen=True, slots=True)
class IngestedDocument:
    """A parsed document plus what readiness needs to know about where it came from.

    ``status`` is normalised to ``final``, ``preliminary``, ``amended``, ``superseded``,
    ``entered-in-error`` or ``None`` (unknown). ``ocr_confidence`` holds one mean word confidence
    (0-100) per OCR'd page; it is empty for born-digital text. ``recovered`` lists repairs the parser
    made to malformed input (e.g. undeclared namespace prefixes).
    """

    document: Document
    status: str | None = None
    signed: bool | None = None
    patient_id: str | None = None
    encounter_id: str | None = None
    patient_matched: bool = False
    encounter_matched: bool = False
    ocr_confidence: tuple[float, ...] = ()
    recovered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A document (or file) that could not be turned into a ``Document``, and why."""

    source: str
    reason: str
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReadinessFinding:
    """One readiness check that failed. ``severity`` is ``error`` (held back) or ``warning``."""

    check: str
    severity: str
    reason: str


@dataclass(frozen=True, slots=True)
class FileLine:
    """What one input file gave: how many documents parsed and how many were rejected."""

    path: str
    documents: int
    rejected: int


@dataclass(slots=True)
class BatchReport:
    """Everything one intake run saw: ready documents, held-back documents and rejections.

    Nothing is dropped silently: every input ends up in exactly one of the three lists, and a
    file batch (``medcoder.ingest.batch.ingest_paths``) also has one ``files`` line per file read.
    """

    ready: list[IngestedDocument] = field(default_factory=list)
    held: list[tuple[IngestedDocument, tuple[ReadinessFinding, ...]]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    files: list[FileLine] = field(default_factory=list)

    @property
    def parsed(self) -> list[IngestedDocument]:
        """Every document that parsed, ready or held back."""
        return self.ready + [d for d, _ in self.held]

    def summary(self) -> dict[str, int]:
        """Counts only (safe to log: no text, no identifiers)."""
        return {"ready": len(self.ready), "held": len(self.held), "rejected": len(self.rejected)}
