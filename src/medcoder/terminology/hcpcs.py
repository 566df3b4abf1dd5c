"""HCPCS Level II: a loader for CMS's quarterly alpha-numeric release (``HCPC<YYYY>_<MON>_ANWEB``).

Reads the official layout as ``.xlsx`` (one sheet) or ``.csv`` / ``.csv.gz`` (the same columns, header
row first). Each row is one code (``RECID`` 3) or modifier (``RECID`` 7); continuation rows
(``RECID`` 4/8, used by the fixed-width release to split long descriptions) are appended to the
previous record. Dates are ``YYYYMMDD``. Terminated codes stay in the file with a ``TERM DT``;
:meth:`HCPCSRelease.is_active` filters them. The release version comes from the file name
(``HCPC2025_OCT_ANWEB.xlsx`` -> ``2025-10``). Malformed rows raise
:class:`~medcoder.errors.InputFormatError` naming the file and row.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medcoder.errors import InputFormatError

REQUIRED_COLUMNS = (
    "HCPC",
    "RECID",
    "LONG DESCRIPTION",
    "SHORT DESCRIPTION",
    "ADD DT",
    "TERM DT",
    "ACTION CD",
)
_MONTHS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}
_CODE = re.compile(r"^(?:[A-V][0-9]{4}|[0-9A-Z]{2})$")  # code (A0425) or 2-character modifier (LT)


@dataclass(frozen=True, slots=True)
class HCPCSRecord:
    """One HCPCS Level II code or modifier of a quarterly release."""

    code: str
    long_description: str
    short_description: str
    is_modifier: bool
    add_date: dt.date | None
    action_effective_date: dt.date | None
    termination_date: dt.date | None
    action_code: str
    coverage: str
    betos: str
    type_of_service: str


@dataclass(frozen=True)
class HCPCSRelease:
    """All records of one quarterly file, with its version (``2025-10``) and source path."""

    version: str
    source: str
    records: tuple[HCPCSRecord, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {r.code: r for r in self.records})

    def __len__(self) -> int:
        return len(self.records)

    def get(self, code: str) -> HCPCSRecord:
        """The record of a code or modifier; KeyError naming the code if absent."""
        try:
            return self._by_code[code.strip().upper()]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"HCPCS code {code!r} is not in release {self.version}") from None

    def is_valid(self, code: str) -> bool:
        """Whether the code (not a modifier) is listed, terminated or not."""
        rec = self._by_code.get(code.strip().upper())  # type: ignore[attr-defined]
        return rec is not None and not rec.is_modifier

    def is_active(self, code: str, on: dt.date) -> bool:
        """Whether the code is listed, was added on or before ``on`` and its termination date
        (CMS: the last day it may be used) is empty or not before ``on``."""
        rec = self._by_code.get(code.strip().upper())  # type: ignore[attr-defined]
        if rec is None:
            return False
        if rec.add_date is not None and rec.add_date > on:
            return False
        return rec.termination_date is None or on <= rec.termination_date

    def codes(self) -> list[str]:
        """Codes (modifiers excluded) in file order."""
        return [r.code for r in self.records if not r.is_modifier]

    def modifiers(self) -> list[str]:
        """Modifiers in file order."""
        return [r.code for r in self.records if r.is_modifier]


def version_from_filename(path: str | Path) -> str:
    """``HCPC2025_OCT_ANWEB.xlsx`` -> ``2025-10``; raises InputFormatError if the name has no quarter."""
    m = re.search(r"HCPC(\d{4})_?(JAN|APR|JUL|OCT)", Path(path).name, re.IGNORECASE)
    if not m:
        raise InputFormatError(
            "cannot read the release from the file name (expected e.g. HCPC2025_OCT_ANWEB.xlsx)", path=path
        )
    return f"{m.group(1)}-{_MONTHS[m.group(2).upper()]:02d}"


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as strings) for every row, header included; row numbers start at 1."""
    name = path.name.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for i, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
                yield i, ["" if v is None else str(v) for v in row]
        finally:
            wb.close()
    elif name.endswith((".csv", ".csv.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh), start=1):
                yield i, row
    else:
        raise InputFormatError("unsupported HCPCS file type (use .xlsx, .csv or .csv.gz)", path=path)


def _date(text: str, column: str, path: Path, line: int) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        raise InputFormatError(
            f"column {column!r}: {text!r} is not a YYYYMMDD date", path=path, line=line
        ) from None


def load_hcpcs(path: str | Path, version: str | None = None) -> HCPCSRelease:
    """Load a CMS HCPCS Level II ANWEB file (xlsx, csv or csv.gz) into an :class:`HCPCSRelease`.

    ``version`` defaults to the quarter in the file name. Row numbers in errors count the header as 1.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError("file not found", path=path)
    version = version or version_from_filename(path)
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputFormatError("empty file (expected a header row)", path=path, line=1) from None
    header = [h.strip().upper() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputFormatError(f"missing columns {missing} in the header", path=path, line=1)
    col = {name: i for i, name in enumerate(header)}
    records: list[HCPCSRecord] = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise InputFormatError(f"expected {len(header)} columns, got {len(cells)}", path=path, line=line)

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[col[name]].strip() if name in col else ""

        recid = cell("RECID")
        code = cell("HCPC").upper()
        if recid in ("4", "8"):  # continuation of the previous record's long description
            if not records or records[-1].code != code:
                raise InputFormatError(
                    f"continuation row for {code!r} without its first row", path=path, line=line
                )
            prev = records[-1]
            records[-1] = _replace_long(prev, prev.long_description + " " + cell("LONG DESCRIPTION"))
            continue
        if recid not in ("3", "7"):
            raise InputFormatError(f"RECID {recid!r} is not 3 (code) or 7 (modifier)", path=path, line=line)
        if not _CODE.match(code):
            raise InputFormatError(f"HCPC {code!r} is not a HCPCS code or modifier", path=path, line=line)
        records.append(
            HCPCSRecord(
                code=code,
                long_description=cell("LONG DESCRIPTION"),
                short_description=cell("SHORT DESCRIPTION"),
                is_modifier=recid == "7",
                add_date=_date(cell("ADD DT"), "ADD DT", path, line),
                action_effective_date=_date(cell("ACT EFF DT"), "ACT EFF DT", path, line),
                termination_date=_date(cell("TERM DT"), "TERM DT", path, line),
                action_code=cell("ACTION CD"),
                coverage=cell("COV"),
                betos=cell("BETOS"),
                type_of_service=cell("TOS1"),
            )
        )
    return HCPCSRelease(
        version=version, source=f"CMS HCPCS Level II {version} ({path.name})", records=tuple(records)
    )


def _replace_long(rec: HCPCSRecord, long_description: str) -> HCPCSRecord:
    from dataclasses import replace

    return replace(rec, long_description=long_description)


def default_hcpcs_path() -> Path:
    """The October 2025 file in the shared data folder (``hcpcs/HCPC2025_OCT_ANWEB.csv.gz``)."""
    from medcoder.paths import shared_data_dir

    return shared_data_dir() / "hcpcs" / "HCPC2025_OCT_ANWEB.csv.gz"
