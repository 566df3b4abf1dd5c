"""Sentence splitting, negation and the problem scope of a note, shared by the E/M extractors.

Offsets are character offsets into the note as given, so every span a caller gets back indexes
the original text. A sentence ends at a newline, ";" or a period followed by space or the end
(except after titles such as "Dr.").
"""

from __future__ import annotations

import functools
import re

from medcoder.rules.resources import load_data

_BOUNDARY = re.compile(r"\n|;|(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)\.(?=\s|$)")
NEGATION_WINDOW = 30  # characters before a match in which a negation cue cancels it


def compile_ci(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern (every lexicon pattern is matched this way)."""
    return re.compile(pattern, re.IGNORECASE)


@functools.cache
def lexicon_body() -> dict:
    """The parsed ``em_2021.yaml`` mapping (MDM and time lexicon)."""
    return load_data("em_2021.yaml")[1]


@functools.cache
def _negation() -> tuple[re.Pattern[str], ...]:
    return tuple(compile_ci(p) for p in lexicon_body()["negation_cues"])


@functools.cache
def _scope_patterns() -> dict[str, re.Pattern[str]]:
    s = lexicon_body()["problem_scope"]
    return {
        "assessment": re.compile(s["assessment_header"]),
        "header": re.compile(s["header"]),
        "excluded": re.compile(s["excluded_header"]),
        "skip": compile_ci(s["skip_sentence"]),
    }


def sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) pairs covering the text; blank pieces are dropped."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if text[start : m.end()].strip():
            out.append((start, text[start : m.end()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def negated(sentence: str, pos: int) -> bool:
    """Whether a negation cue ("no", "denies", ...) appears in the 30 characters before ``pos``."""
    window = sentence[max(0, pos - NEGATION_WINDOW) : pos]
    return any(p.search(window) for p in _negation())


def _excluded_ranges(text: str) -> list[tuple[int, int]]:
    """[start, end) of each section under an excluded header, up to the next header."""
    pats = _scope_patterns()
    heads = list(pats["header"].finditer(text))
    out = []
    for i, h in enumerate(heads):
        if pats["excluded"].match(h.group()):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            out.append((h.start(), end))
    return out


def problem_sentences(text: str) -> list[tuple[int, str]]:
    """The sentences where problems count as addressed (see ``problem_scope`` in the YAML).

    With an assessment/plan header: from the first such header to the end. Without one: the whole
    note less excluded sections. Either way sentences about relatives or past history are skipped,
    so "Father had coronary artery disease" or "History of stroke" is not a problem addressed.
    """
    pats = _scope_patterns()
    ap = pats["assessment"].search(text)
    begin = ap.start() if ap else 0
    excluded = [] if ap else _excluded_ranges(text)
    out = []
    for off, sent in sentences(text):
        if off + len(sent) <= begin or any(a <= off < b for a, b in excluded):
            continue
        if pats["skip"].search(sent):
            continue
        out.append((off, sent))
    return out
