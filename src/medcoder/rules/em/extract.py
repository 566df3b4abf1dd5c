"""Find the evidence for each MDM element and the total time in a note (pattern lexicon).

The patterns live in ``data/em_2021.yaml``. A match is ignored when a negation cue ("no",
"denies", ...) appears earlier in the same sentence within 30 characters. Every piece of
evidence keeps its character span so a coder can see exactly what was counted.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, ConfigDict

from medcoder.rules.resources import load_data

# A sentence ends at a newline, ";" or a period followed by space/end, except after titles (Dr. Smith).
_BOUNDARY = re.compile(r"\n|;|(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)\.(?=\s|$)")


class Evidence(BaseModel):
    """One span of the note counted towards an element (``kind`` says which part of it)."""

    model_config = ConfigDict(frozen=True)

    element: str  # problems | data | risk | time
    kind: str  # e.g. "moderate", "chronic_stable", "test", "historian"
    text: str
    start: int
    end: int


@functools.cache
def _lexicon() -> dict:
    body = load_data("em_2021.yaml")[1]
    comp = lambda p: re.compile(p, re.IGNORECASE)  # noqa: E731
    return {
        "neg": [comp(p) for p in body["negation_cues"]],
        "time": (comp(body["time"]["pattern"]), comp(body["time"]["sentence_must_match"])),
        "problems": {k: [comp(p) for p in v] for k, v in body["problems"].items()},
        "risk": {k: [comp(p) for p in v] for k, v in body["risk"].items()},
        "data": {k: comp(v) for k, v in body["data"].items()},
    }


def _sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) pairs covering the text."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if text[start : m.end()].strip():
            out.append((start, text[start : m.end()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def _negated(sentence: str, pos: int) -> bool:
    window = sentence[max(0, pos - 30) : pos]
    return any(p.search(window) for p in _lexicon()["neg"])


def _find(text: str, element: str, kind: str, pattern: re.Pattern[str]) -> list[Evidence]:
    out = []
    for off, sent in _sentences(text):
        for m in pattern.finditer(sent):
            if not _negated(sent, m.start()):
                out.append(
                    Evidence(
                        element=element, kind=kind, text=m.group(), start=off + m.start(), end=off + m.end()
                    )
                )
    return out


def total_time(text: str) -> tuple[int | None, Evidence | None]:
    """The minutes of the first total-time statement ("Total time spent: 35 minutes"), with its span."""
    number, sentence_ok = _lexicon()["time"]
    for off, sent in _sentences(text):
        if not sentence_ok.search(sent):
            continue
        m = number.search(sent)
        if m:
            return int(m.group(1)), Evidence(
                element="time", kind="total_time", text=sent.strip(), start=off + m.start(), end=off + m.end()
            )
    return None, None


def problem_evidence(text: str) -> list[Evidence]:
    """Problem phrases by level (high, moderate, chronic_stable, low, minimal)."""
    return [
        e
        for kind, pats in _lexicon()["problems"].items()
        for p in pats
        for e in _find(text, "problems", kind, p)
    ]


def risk_evidence(text: str) -> list[Evidence]:
    """Management risk phrases by level (high, moderate, low, minimal)."""
    return [
        e for kind, pats in _lexicon()["risk"].items() for p in pats for e in _find(text, "risk", kind, p)
    ]


def data_evidence(text: str) -> list[Evidence]:
    """Unique tests reviewed/ordered, external notes, independent historian, interpretation, discussion."""
    lex = _lexicon()["data"]
    out: list[Evidence] = []
    seen_tests: set[str] = set()
    for off, sent in _sentences(text):
        if lex["review_verbs"].search(sent) and not _negated(sent, lex["review_verbs"].search(sent).start()):
            for m in lex["tests"].finditer(sent):
                name = re.sub(r"[^a-z]", "", m.group().lower()).replace("hba1c", "a1c").replace("ekg", "ecg")
                if name not in seen_tests:
                    seen_tests.add(name)
                    out.append(
                        Evidence(
                            element="data",
                            kind="test",
                            text=m.group(),
                            start=off + m.start(),
                            end=off + m.end(),
                        )
                    )
    for kind in ("external_notes", "historian", "interpretation", "discussion"):
        out += _find(text, "data", kind, lex[kind])
    return out
