"""Find the evidence for each MDM element and the total time in a note (pattern lexicon).

The patterns live in ``data/em_2021.yaml``. A match is ignored when a negation cue ("no",
"denies", ...) appears earlier in the same sentence within 30 characters. Problems are only
counted where the note addresses them (:func:`medcoder.rules.em.text.problem_sentences`). Every
piece of evidence keeps its character span so a coder can see exactly what was counted.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.text import compile_ci, lexicon_body, negated, problem_sentences, sentences


class Evidence(BaseModel):
    """One span of the note counted towards an element (``kind`` says which part of it)."""

    model_config = ConfigDict(frozen=True)

    element: str  # problems | data | risk | time
    kind: str  # e.g. "moderate", "chronic_stable", "chronic:diabetes", "test", "historian"
    text: str
    start: int
    end: int


@functools.cache
def _lexicon() -> dict:
    body = lexicon_body()
    drug = body["drug_names"]
    t = body["time"]
    return {
        "time": {k: compile_ci(t[k]) for k in ("pattern", "hours_pattern", "more_than", "less_than")}
        | {"sentence": compile_ci(t["sentence_must_match"]), "cc": compile_ci(t["critical_care_sentence"])},
        "problems": {k: [compile_ci(p) for p in v] for k, v in body["problems"].items()},
        "chronic": {k: compile_ci(v) for k, v in body["chronic_illnesses"].items()},
        "risk": {k: [compile_ci(p.replace("{drug}", drug)) for p in v] for k, v in body["risk"].items()},
        "data": {k: compile_ci(v) for k, v in body["data"].items()},
        "result": compile_ci(f"({body['data']['tests']}){body['data']['result_after_test']}"),
    }


def _evidence(element: str, kind: str, off: int, m: re.Match[str], group: int = 0) -> Evidence:
    return Evidence(
        element=element, kind=kind, text=m.group(group), start=off + m.start(group), end=off + m.end(group)
    )


def _find(parts: list[tuple[int, str]], element: str, kind: str, pattern: re.Pattern[str]) -> list[Evidence]:
    return [
        _evidence(element, kind, off, m)
        for off, sent in parts
        for m in pattern.finditer(sent)
        if not negated(sent, m.start())
    ]


def _minutes(sentence: str) -> tuple[int, re.Match[str]] | None:
    """The first duration in a sentence in minutes ("45 minutes", "1 hour 10 minutes", "over 30 min").

    "More than N" counts as N + 1 and "less than N" as N - 1, so "more than 30 minutes" of
    discharge work clears the 31-minute threshold of 99239.
    """
    lex = _lexicon()["time"]
    found = [m for m in (lex["pattern"].search(sentence), lex["hours_pattern"].search(sentence)) if m]
    if not found:
        return None
    m = min(found, key=lambda x: x.start())
    if m.re is lex["hours_pattern"]:
        value = round(float(m.group(2)) * 60) + int(m.group(3) or 0)
    else:
        value = int(m.group(2))
    qual = (m.group(1) or "").strip()
    if qual and lex["more_than"].match(qual):
        value += 1
    elif qual and lex["less_than"].match(qual):
        value -= 1
    return value, m


def total_time(text: str, *, critical_care: bool = False) -> tuple[int | None, Evidence | None]:
    """The minutes of the first total-time statement ("Total time spent: 35 minutes"), with its span.

    ``critical_care=True`` reads the critical care time statement instead ("Critical care time:
    45 minutes, exclusive of procedures": the stated number is used as is); otherwise sentences
    about critical care time are skipped.
    """
    lex = _lexicon()["time"]
    for off, sent in sentences(text):
        is_cc = bool(lex["cc"].search(sent))
        if critical_care != is_cc or (not critical_care and not lex["sentence"].search(sent)):
            continue
        found = _minutes(sent)
        if found:
            start = off + len(sent) - len(sent.lstrip())
            kind = "critical_care_time" if critical_care else "total_time"
            return found[0], Evidence(
                element="time", kind=kind, text=sent.strip(), start=start, end=start + len(sent.strip())
            )
    return None, None


def problem_evidence(text: str) -> list[Evidence]:
    """Problem phrases by level (high, moderate, chronic_stable, low, minimal) and chronic
    illnesses by name (kind ``chronic:<name>``), in the sentences where problems are addressed."""
    parts = problem_sentences(text)
    lex = _lexicon()
    out = [
        e for kind, pats in lex["problems"].items() for p in pats for e in _find(parts, "problems", kind, p)
    ]
    for name, pat in lex["chronic"].items():
        out += _find(parts, "problems", f"chronic:{name}", pat)
    return out


def risk_evidence(text: str) -> list[Evidence]:
    """Management risk phrases by level (high, moderate, low, minimal)."""
    parts = sentences(text)
    return [
        e for kind, pats in _lexicon()["risk"].items() for p in pats for e in _find(parts, "risk", kind, p)
    ]


def _test_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower()).replace("hba1c", "a1c").replace("ekg", "ecg")


def data_evidence(text: str) -> list[Evidence]:
    """Unique tests reviewed/ordered (a review verb in the sentence, or a test name followed by
    its value: "A1c 8.1"), external notes, independent historian, interpretation, discussion."""
    lex = _lexicon()["data"]
    out: list[Evidence] = []
    seen_tests: set[str] = set()
    parts = sentences(text)
    for off, sent in parts:
        verb = lex["review_verbs"].search(sent)
        hits = list(lex["tests"].finditer(sent)) if verb and not negated(sent, verb.start()) else []
        hits += [m for m in _lexicon()["result"].finditer(sent) if not negated(sent, m.start())]
        for m in sorted(hits, key=lambda x: x.start()):
            key = _test_key(m.group(1) if m.re is _lexicon()["result"] else m.group())
            if key not in seen_tests:
                seen_tests.add(key)
                out.append(_evidence("data", "test", off, m, 1 if m.re is _lexicon()["result"] else 0))
    for kind in ("external_notes", "historian", "interpretation", "discussion"):
        out += _find(parts, "data", kind, lex[kind])
    return out
