"""Typed records passed between areas: Document, Span, CodeLabel and friends.

Offsets are character offsets into ``Document.text`` (Python string indices, end exclusive),
never byte offsets, so they stay valid for multi-byte characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from medcoder.terminology.systems import (
    CodeSystem,  # records name their code system; importable from here too
)


class Setting(StrEnum):
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    EMERGENCY = "emergency"
    UNKNOWN = "unknown"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in a document's text, with a score."""

    start: int
    end: int
    score: float = 1.0

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"Span needs 0 <= start <= end, got start={self.start} end={self.end}")

    def text(self, doc_text: str) -> str:
        return doc_text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Section:
    """A named section (e.g. ``assessment``) covering ``[start, end)`` of the text."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Patient:
    age: int | None = None
    sex: Sex = Sex.UNKNOWN

    def __post_init__(self) -> None:
        if self.age is not None and not 0 <= self.age <= 130:
            raise ValueError(f"Patient age must be between 0 and 130, got {self.age}")


@dataclass(frozen=True, slots=True)
class CodeLabel:
    """One code assigned to a document, with the spans that justify it (may be empty)."""

    system: CodeSystem
    code: str
    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if not self.code or self.code != self.code.strip():
            raise ValueError(f"CodeLabel code must be a non-empty trimmed string, got {self.code!r}")


@dataclass(frozen=True, slots=True)
class Document:
    """A clinical document and what is known about its encounter.

    ``labels`` holds gold codes when the document comes from an annotated dataset; the request
    path leaves it empty.
    """

    id: str
    text: str
    doc_type: str = "note"
    setting: Setting = Setting.UNKNOWN
    patient: Patient = field(default_factory=Patient)
    encounter_date: dt.date | None = None
    payer: str | None = None
    sections: tuple[Section, ...] = ()
    source: str = "text"
    source_id: str | None = None
    language: str = "en"
    labels: tuple[CodeLabel, ...] = ()
    # Codes found in the source's structured data (e.g. C-CDA problem/procedure entries): hints
    # for coders and models, never gold labels.
    hints: tuple[CodeLabel, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Document id must not be empty")
        n = len(self.text)
        for s in self.sections:
            if not 0 <= s.start <= s.end <= n:
                raise ValueError(
                    f"Document {self.id}: section {s.name!r} [{s.start},{s.end}) outside text of {n} chars"
                )
        for label in self.labels:
            for sp in label.spans:
                if sp.end > n:
                    raise ValueError(
                        f"Document {self.id}: span of {label.code} ends at {sp.end} beyond text of {n} chars"
                    )

    def codes(self, system: CodeSystem | None = None) -> list[str]:
        """Gold codes in file order without repeats, optionally for one system."""
        seen: dict[str, None] = {}
        for label in self.labels:
            if system is None or label.system == system:
                seen.setdefault(label.code, None)
        return list(seen)
