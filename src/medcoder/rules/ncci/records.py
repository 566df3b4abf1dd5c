"""Typed NCCI edit rows and the in-memory indexes the checks use."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

MAI_MEANING = {
    1: "Line Edit",
    2: "Date of Service Edit: Policy",
    3: "Date of Service Edit: Clinical",
}
AOC_TYPE_MEANING = {
    1: "only paid with a listed primary code",
    2: "no specific primary code list; the contractor decides acceptable primaries",
    3: "some primary codes listed; the contractor may accept others",
}
CONTRACTOR_DEFINED = "CCCCC"
_FAR = dt.date.max.toordinal()


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One row of a PTP table: column 2 is not separately payable with column 1 (unless bypassed)."""

    column1: str
    column2: str
    pre_1996: bool
    effective: dt.date
    deletion: dt.date | None
    modifier_indicator: int
    rationale: str

    def active_on(self, day: dt.date) -> bool:
        """In force on ``day``: effective date <= day < deletion date (CMS: deleted as of that date)."""
        return self.effective <= day and (self.deletion is None or day < self.deletion)


@dataclass(frozen=True, slots=True)
class MueEdit:
    """Maximum units of a code per line or per date of service, with the adjudication indicator."""

    code: str
    value: int
    mai: int | None
    rationale: str


@dataclass(frozen=True, slots=True)
class AocEdit:
    """An add-on code and one acceptable primary code (``CCCCC`` = contractor-defined)."""

    addon: str
    primary: str
    edit_type: int
    effective: dt.date | None
    deletion: dt.date | None
    notes: str = ""

    def active_on(self, day: dt.date) -> bool:
        return (self.effective is None or self.effective <= day) and (
            self.deletion is None or day < self.deletion
        )


class PtpIndex:
    """Hash index ``(column1, column2) -> edits`` for constant-time pair checks."""

    __slots__ = ("_index", "size")

    def __init__(self, edits: Iterable[PtpEdit]) -> None:
        index: dict[tuple[str, str], list[tuple[int, int, PtpEdit]]] = defaultdict(list)
        n = 0
        for e in edits:
            end = e.deletion.toordinal() if e.deletion else _FAR
            index[(e.column1, e.column2)].append((e.effective.toordinal(), end, e))
            n += 1
        self._index = {k: tuple(v) for k, v in index.items()}
        self.size = n

    def active(self, column1: str, column2: str, day_ordinal: int) -> PtpEdit | None:
        """The edit for this ordered pair in force on the day (``date.toordinal()``), else None."""
        rows = self._index.get((column1, column2))
        if rows is None:
            return None
        for start, end, edit in rows:
            if start <= day_ordinal < end:
                return edit
        return None


@dataclass
class NcciTables:
    """The NCCI tables of one quarter, indexed for checks. Empty tables simply produce no findings."""

    version: str
    ptp: dict[str, PtpIndex] = field(default_factory=dict)  # "practitioner" / "hospital_outpatient"
    mue: dict[str, dict[str, MueEdit]] = field(default_factory=dict)
    aoc: dict[str, tuple[AocEdit, ...]] = field(default_factory=dict)

    @staticmethod
    def index_aoc(edits: Iterable[AocEdit]) -> dict[str, tuple[AocEdit, ...]]:
        out: dict[str, list[AocEdit]] = defaultdict(list)
        for e in edits:
            out[e.addon].append(e)
        return {k: tuple(v) for k, v in out.items()}
