"""ICD-10-CM code normalisation and code references (ranges) parsed from tabular notes.

Tabular notes cite codes in parentheses: ``type 1 diabetes mellitus (E10.-)``, ``gestational
diabetes (O24.4-)``, ``(A00-B99)``, ``(Y63.6, Y63.8-Y63.9)``. A trailing ``-`` or ``.-`` means
"and all its subdivisions", so a reference is a range of code *prefixes*: ``E08`` covers E08 and
every code below it; ``E08-E13`` covers the categories E08 to E13 and their children.
Only text inside parentheses is parsed, so words such as "vitamin B12" are not read as codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE_CHARS = re.compile(r"^[A-Z][0-9][0-9A-Z](?:[0-9A-Z]{1,4})?$")
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
# One item of a parenthesised list: a code, an optional "-"/".-" suffix, an optional "-END" part.
_ITEM = re.compile(rf"^({_CODE})(?:\.?-)?(?:\s*-\s*({_CODE})(?:\.?-)?)?$")
_PAREN = re.compile(r"\(([^()]*)\)")


def normalize_icd10cm(code: str) -> str:
    """Return the canonical dotted, upper-case form of an ICD-10-CM code (``" e1122 "`` -> ``"E11.22"``).

    Accepts dotted or undotted input in any case, with surrounding whitespace and an optional
    trailing dot (``"E11."``). Only the shape is checked here, not whether the code exists.

    Raises:
        ValueError: the text cannot be an ICD-10-CM code (wrong shape, a dot in the wrong place).
    """
    if not isinstance(code, str):
        raise ValueError(f"ICD-10-CM code must be a string, got {type(code).__name__}")
    text = code.strip().upper().rstrip(".")
    if "." in text:
        if text.count(".") != 1 or text.index(".") != 3:
            raise ValueError(f"not an ICD-10-CM code: {code!r} (a dot may only follow the 3rd character)")
        text = text.replace(".", "")
    if not _CODE_CHARS.match(text):
        raise ValueError(
            f"not an ICD-10-CM code: {code!r} (expected a letter, a digit, then 1 to 5 letters/digits, "
            "e.g. E11.22)"
        )
    return text if len(text) == 3 else f"{text[:3]}.{text[3:]}"


def undotted(code: str) -> str:
    """The normalised code without its dot (``"E11.22"`` -> ``"E1122"``)."""
    return normalize_icd10cm(code).replace(".", "")


@dataclass(frozen=True)
class CodeRange:
    """An inclusive range of ICD-10-CM code prefixes, e.g. ``E08`` (E08 and below) or ``E08-E13``.

    ``start`` and ``end`` are stored normalised (dotted, upper case); a single reference has
    ``start == end``. Comparison ignores dots, so dotted and undotted codes behave the same.
    """

    start: str
    end: str

    def __post_init__(self) -> None:
        start, end = normalize_icd10cm(self.start), normalize_icd10cm(self.end)
        if start.replace(".", "") > end.replace(".", "")[: len(start.replace(".", ""))]:
            raise ValueError(f"CodeRange start {start} is after end {end}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def single(cls, code: str) -> CodeRange:
        """The range holding one code and its subdivisions."""
        return cls(code, code)

    def contains(self, code: str) -> bool:
        """Whether ``code`` (dotted or undotted) lies in the range, subdivisions included.

        ``CodeRange("E08", "E13").contains("E11.22")`` is True; ``contains("E14")`` is False.
        A code shorter than the bounds (a parent such as ``E11`` for range ``E11.2``) is not contained.
        """
        try:
            c = undotted(code)
        except ValueError:
            return False
        s, e = self.start.replace(".", ""), self.end.replace(".", "")
        if len(c) < len(s):
            return False
        return c[: len(s)] >= s and c[: len(e)] <= e

    def __str__(self) -> str:
        return self.start if self.start == self.end else f"{self.start}-{self.end}"


def parse_code_ranges(text: str) -> list[CodeRange]:
    """Parse the code references in parentheses of one note (``"... (E08.-)"`` -> ``[E08]``).

    Items that are not code references (free text inside parentheses) are skipped.
    """
    ranges: list[CodeRange] = []
    for group in _PAREN.findall(text):
        for item in group.split(","):
            m = _ITEM.match(item.strip().upper())
            if not m:
                continue
            start, end = m.group(1), m.group(2) or m.group(1)
            try:
                ranges.append(CodeRange(start, end))
            except ValueError:
                continue
    return ranges


def ranges_from_notes(notes: list[str]) -> list[CodeRange]:
    """All code ranges cited in a list of notes, in order, without duplicates."""
    seen: dict[CodeRange, None] = {}
    for note in notes:
        for r in parse_code_ranges(note):
            seen.setdefault(r, None)
    return list(seen)
