"""Laterality of a mention (left, right, bilateral), needed by ICD-10-CM codes that encode side.

Looks for side words in the mention and around it, within its sentence: ``bilateral``,
``both``, ``b/l``; ``left``, ``lt``, ``(L)``; ``right``, ``rt``, ``(R)``. "Bilateral", or left and
right mentions at the same distance, give BILATERAL; otherwise the nearest side wins.
"""

from __future__ import annotations

import re
from enum import StrEnum

from medcoder.data.records import Span


class Laterality(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    UNSPECIFIED = "unspecified"


_PATTERNS: tuple[tuple[Laterality, re.Pattern[str]], ...] = (
    (Laterality.BILATERAL, re.compile(r"\b(?:bilateral(?:ly)?|both|b/l|bilat)\b", re.IGNORECASE)),
    (Laterality.LEFT, re.compile(r"\b(?:left|lt)\b|\(L\)", re.IGNORECASE)),
    (Laterality.RIGHT, re.compile(r"\b(?:right|rt)\b|\(R\)", re.IGNORECASE)),
)
_NOT_SIDE = re.compile(
    r"\b(?:all right|right away|right now|left (?:the|home|against|without|ama)\b)", re.IGNORECASE
)


def laterality_mentions(text: str) -> list[tuple[Span, Laterality]]:
    """Every side word in ``text`` with its span, in text order (idioms like "right away" skipped)."""
    skip = [m.span() for m in _NOT_SIDE.finditer(text)]
    out: list[tuple[Span, Laterality]] = []
    for side, pat in _PATTERNS:
        for m in pat.finditer(text):
            if not any(a <= m.start() < b for a, b in skip):
                out.append((Span(m.start(), m.end()), side))
    return sorted(out, key=lambda x: x[0].start)


# Sentence ends: '.' or ';' before whitespace (not the abbreviations Lt. / Rt.), or a line break.
_BOUNDARY = re.compile(r"(?<!\b[LlRr]t)[.;](?=\s|$)|\n")


def _sentence_bounds(text: str, span: Span) -> tuple[int, int]:
    lo, hi = 0, len(text)
    for m in _BOUNDARY.finditer(text):
        if m.end() <= span.start:
            lo = m.end()
        elif m.start() >= span.end:
            hi = m.start()
            break
    return lo, hi


def laterality(text: str, span: Span, window: int = 60) -> Laterality:
    """Side of the mention at ``span``: from side words inside it, else the nearest in its sentence."""
    lo, hi = _sentence_bounds(text, span)
    lo, hi = max(lo, span.start - window), min(hi, span.end + window)
    found = [(s, side) for s, side in laterality_mentions(text[lo:hi])]
    if not found:
        return Laterality.UNSPECIFIED
    if any(side is Laterality.BILATERAL for _, side in found):
        return Laterality.BILATERAL

    def dist(s: Span) -> int:
        a, b = s.start + lo, s.end + lo
        return 0 if a < span.end and span.start < b else (span.start - b if b <= span.start else a - span.end)

    ranked = sorted(found, key=lambda x: dist(x[0]))
    best = dist(ranked[0][0])
    sides = {side for s, side in ranked if dist(s) == best}
    return Laterality.BILATERAL if len(sides) > 1 else sides.pop()
