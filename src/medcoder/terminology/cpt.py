"""CPT: a loader for a user-supplied (AMA-licensed) CPT file, and a small built-in set of our own.

CPT is copyright the American Medical Association; its descriptors cannot be redistributed. The
built-in set (``terminology/data/cpt_builtin.csv``) lists code numbers for evaluation and
management (99202-99205, 99211-99215, 99221-99223, 99231-99239, 99281-99285) and a few dozen
common services, each with a descriptor WE wrote in plain English. It is enough for the demo,
the synthetic corpus and the E/M rules; for real use load your licensed file with
:func:`load_cpt_file` (CSV with a header naming a ``code`` column and a ``descriptor`` or
``description`` column; ``#`` lines are comments). Bad rows raise
:class:`~medcoder.errors.InputFormatError` naming the file and line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from medcoder.errors import InputFormatError

BUILTIN_VERSION = "medcoder-builtin-2026.1"
BUILTIN_RESOURCE = "cpt_builtin.csv"
# Category I: 5 digits; Category II: 4 digits + F; Category III: 4 digits + T; PLA: 4 digits + U.
_CPT = re.compile(r"^(?:\d{5}|\d{4}[FTU])$")


@dataclass(frozen=True, slots=True)
class CPTEntry:
    """One CPT code with its descriptor and an optional category (e.g. ``evaluation and management``)."""

    code: str
    descriptor: str
    category: str = ""


def normalize_cpt(code: str) -> str:
    """Strip and upper-case; raise ValueError unless it has the shape of a CPT code (``99213``, ``0001F``)."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not _CPT.match(text):
        raise ValueError(f"not a CPT code: {code!r} (5 digits, or 4 digits followed by F, T or U)")
    return text


@dataclass(frozen=True)
class CPTCodeSet:
    """A set of CPT codes with its version and source."""

    version: str
    source: str
    entries: tuple[CPTEntry, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {e.code: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def is_valid(self, code: str) -> bool:
        """Whether the code is in this set (shape-invalid input gives False)."""
        try:
            return normalize_cpt(code) in self._by_code  # type: ignore[attr-defined]
        except ValueError:
            return False

    def get(self, code: str) -> CPTEntry:
        """The entry of a code; KeyError naming the code and set if absent."""
        try:
            return self._by_code[normalize_cpt(code)]  # type: ignore[attr-defined]
        except (ValueError, KeyError):
            raise KeyError(f"CPT code {code!r} is not in {self.version}") from None

    def description(self, code: str) -> str:
        """The descriptor of a code."""
        return self.get(code).descriptor

    def codes(self, category: str | None = None) -> list[str]:
        """Codes in file order, optionally only one category."""
        return [e.code for e in self.entries if category is None or e.category == category]


def _read_entries(text: str, path: str) -> tuple[CPTEntry, ...]:
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    lines = [(i, line) for i, line in lines if not line.lstrip().startswith("#")]
    if not lines:
        raise InputFormatError("no header row (expected columns code,descriptor)", path=path, line=1)
    header_line, header_text = lines[0]
    header = [h.strip().lower() for h in next(csv.reader([header_text]))]
    if "code" not in header:
        raise InputFormatError(f"header {header} has no 'code' column", path=path, line=header_line)
    desc_col = next((c for c in ("descriptor", "description", "long_description") if c in header), None)
    if desc_col is None:
        raise InputFormatError(f"header {header} has no 'descriptor' column", path=path, line=header_line)
    ci, di = header.index("code"), header.index(desc_col)
    cat = header.index("category") if "category" in header else None
    entries: list[CPTEntry] = []
    seen: dict[str, int] = {}
    for line_no, line in lines[1:]:
        row = next(csv.reader(io.StringIO(line)))
        if len(row) != len(header):
            raise InputFormatError(f"expected {len(header)} columns, got {len(row)}", path=path, line=line_no)
        try:
            code = normalize_cpt(row[ci])
        except ValueError as exc:
            raise InputFormatError(str(exc), path=path, line=line_no) from None
        if code in seen:
            raise InputFormatError(f"code {code} repeats line {seen[code]}", path=path, line=line_no)
        descriptor = row[di].strip()
        if not descriptor:
            raise InputFormatError(f"code {code} has an empty descriptor", path=path, line=line_no)
        seen[code] = line_no
        entries.append(CPTEntry(code, descriptor, row[cat].strip() if cat is not None else ""))
    return tuple(entries)


def load_cpt_file(path: str | Path, version: str | None = None) -> CPTCodeSet:
    """Load a user-supplied CPT CSV (``code`` + ``descriptor``/``description`` columns, UTF-8).

    ``version`` defaults to the file name without extension (e.g. ``cpt_2026``).
    Line numbers in errors are physical lines of the file (comments and blank lines counted).
    Descriptors spanning several lines are not supported.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError("file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    entries = _read_entries(text, str(path))
    return CPTCodeSet(
        version=version or path.stem, source=f"user-supplied CPT file {path.name}", entries=entries
    )


@functools.cache
def builtin_cpt() -> CPTCodeSet:
    """The small built-in set with medcoder's own plain-English descriptors (not AMA text)."""
    res = resources.files("medcoder.terminology").joinpath("data", BUILTIN_RESOURCE)
    entries = _read_entries(res.read_text(encoding="utf-8"), f"medcoder/terminology/data/{BUILTIN_RESOURCE}")
    return CPTCodeSet(
        version=BUILTIN_VERSION,
        source="medcoder built-in CPT subset: code numbers with descriptors written by the project (not AMA text)",
        entries=entries,
    )


EM_CATEGORY = "evaluation and management"
