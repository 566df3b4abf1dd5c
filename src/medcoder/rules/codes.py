"""Code ranges as written in rule files: ``"E11"``, ``"E08.-"``, ``"N18.3-N18.6"``, ``"99202-99215"``.

ICD-10-CM ranges reuse :class:`medcoder.terminology.coderefs.CodeRange` (prefix semantics:
``E11`` covers E11 and every code below it). CPT/HCPCS ranges are five-character codes compared
as strings, both ends inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcoder.terminology.coderefs import CodeRange

_PROC = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")


def parse_icd_range(text: str) -> CodeRange:
    """``"E08.-"`` -> E08; ``"N18.3-N18.6"`` -> N18.3..N18.6; ``"Z68"`` -> Z68. Raises ValueError."""
    t = text.strip().upper()
    if t.endswith(".-"):
        t = t[:-2]
    elif t.endswith("-") and "-" not in t[:-1]:
        t = t[:-1]
    start, _, end = t.partition("-")
    return CodeRange(start.strip(), (end or start).strip())


@dataclass(frozen=True)
class ProcRange:
    """An inclusive range of five-character CPT/HCPCS codes (``"82306"`` or ``"99202-99215"``)."""

    start: str
    end: str

    def __post_init__(self) -> None:
        for c in (self.start, self.end):
            if not _PROC.match(c):
                raise ValueError(f"not a CPT/HCPCS code: {c!r} (expected 5 letters/digits)")
        if self.start > self.end:
            raise ValueError(f"range start {self.start} is after end {self.end}")

    def contains(self, code: str) -> bool:
        c = code.strip().upper()
        return len(c) == 5 and self.start <= c <= self.end

    def __str__(self) -> str:
        return self.start if self.start == self.end else f"{self.start}-{self.end}"


def parse_proc_range(text: str) -> ProcRange:
    """``"82306"`` or ``"99202-99215"`` -> ProcRange. Raises ValueError."""
    start, _, end = text.strip().upper().partition("-")
    return ProcRange(start.strip(), (end or start).strip())
