"""ICD-10-CM coding conventions applied to a note's scored codes (after the reranker).

Each rule is a pure function of the predictions above the decision threshold and the note's
clauses, named after the guideline it follows:

- ``most_specific``: a code whose title says "unspecified" / "without complications" is dropped
  when a more specific code of the same category is kept (I.B.2, the most specific code the
  documentation supports): N18.9 beside N18.31, E11.9 beside E11.22.
- ``hypertension_combinations``: hypertension with CKD is I12.x, with heart failure I11.0, with
  both I13.x; the link is presumed (I.C.9.a): I10 + N18.31 -> I12.9 + N18.31.
- ``long_term_drugs``: Z79 status from a drug on the curated list (``long_term_drugs.tsv``) in a
  clause without a stop/negation cue (I.C.21.c.3).
- ``symptoms_outside_assessment``: when the note's assessment gives definitive (non-R)
  diagnoses, a sign or symptom (R00-R99) whose every mention lies outside the assessment is not
  coded: the assessment is where the provider states what was treated (outpatient IV.D/IV.J), and
  symptoms that a documented diagnosis explains are integral to it (I.B.4-5).

A rule's output code gets the lower probability of the codes it combines and their spans, and its
``index_path`` names the rule, so the evidence says why a code is there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import Span
from medcoder.nlp.mentions import Clause
from medcoder.terminology.abbreviations import history_code, long_term_drugs, status_phrases
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm

LONG_TERM_DRUG_PROBABILITY = 0.85
"""Fixed confidence of a Z79 code from the drug list (a rule, not a learned score; the router
treats it like any other code below its auto threshold)."""
# Not long-term therapy: stopped or not tolerated, or a short course / inpatient-only use
# ("prednisone 40 mg daily x 5 days", "DVT prophylaxis with enoxaparin", "sliding-scale insulin").
_STOP_CUES = re.compile(
    r"\b(stopped|discontinued|d/c|held|allerg\w*|intoleran\w*|no longer|off|prophyla\w*|sliding|"
    r"correctional|infusion|taper\w*|burst|begin|x\s*\d+\s*(days?|weeks?|doses?)|"
    r"for \d+ (days?|weeks?)|while (inpatient|npo|hospitali[sz]ed|admitted))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class CodePrediction:
    """One code of a note: probability, the supporting mention spans (best first), and why it is
    there (the index path, or the convention that produced it)."""

    code: str
    probability: float
    spans: tuple[Span, ...]
    index_path: str


def _merge(coded: Sequence[CodePrediction]) -> list[CodePrediction]:
    """One prediction per code (the most probable), spans of all kept."""
    best: dict[str, CodePrediction] = {}
    for p in coded:
        have = best.get(p.code)
        if have is None:
            best[p.code] = p
        else:
            top, low = (have, p) if have.probability >= p.probability else (p, have)
            spans = top.spans + tuple(s for s in low.spans if s not in top.spans)
            best[p.code] = CodePrediction(top.code, top.probability, spans, top.index_path)
    return list(best.values())


def _unspecific(cm: ICD10CM, code: str) -> bool:
    title = cm.description(code).lower()
    return "unspecified" in title or "without complication" in title


def most_specific(coded: Sequence[CodePrediction], cm: ICD10CM) -> list[CodePrediction]:
    by_cat: dict[str, list[CodePrediction]] = {}
    for c in coded:
        by_cat.setdefault(c.code[:3], []).append(c)
    out = []
    for c in coded:
        siblings = [o for o in by_cat[c.code[:3]] if o.code != c.code and not _unspecific(cm, o.code)]
        if siblings and _unspecific(cm, c.code):
            continue
        out.append(c)
    return out


def _ckd_stage_severe(code: str) -> bool:
    return code in ("N18.5", "N18.6")


def hypertension_combinations(coded: Sequence[CodePrediction]) -> list[CodePrediction]:
    codes = {c.code: c for c in coded}
    htn = codes.get("I10")
    if htn is None:
        return list(coded)
    ckd = [c for c in coded if c.code.startswith("N18")]
    hf = [c for c in coded if c.code.startswith("I50")]
    if not ckd and not hf:
        return list(coded)
    severe = any(_ckd_stage_severe(c.code) for c in ckd)
    if ckd and hf:
        target, why = ("I13.2" if severe else "I13.0"), "hypertension + heart failure + CKD (I.C.9.a.3)"
    elif ckd:
        target, why = ("I12.0" if severe else "I12.9"), "hypertension + CKD (I.C.9.a.2)"
    else:
        target, why = "I11.0", "hypertension + heart failure (I.C.9.a.1)"
    parts = [htn, *ckd, *hf]
    combined = CodePrediction(
        target,
        min(p.probability for p in parts),
        tuple(s for p in parts for s in p.spans),
        f"convention: {why}",
    )
    return [combined if c.code == "I10" else c for c in coded]


def long_term_drug_codes(text: str, parts: Sequence[Clause]) -> list[CodePrediction]:
    drugs = long_term_drugs()
    found: dict[str, list[Span]] = {}
    names: dict[str, str] = {}
    for c in parts:
        piece = text[c.start : c.end]
        if c.section == "allergy" or "negated" in c.cues or _STOP_CUES.search(piece):
            continue
        for m in _WORD.finditer(piece.lower()):
            code = drugs.get(m.group(0))
            if code:
                found.setdefault(code, []).append(Span(c.start + m.start(), c.start + m.end()))
                names.setdefault(code, m.group(0))
    return [
        CodePrediction(
            code,
            LONG_TERM_DRUG_PROBABILITY,
            tuple(spans),
            f"convention: long-term drug therapy ({names[code]})",
        )
        for code, spans in sorted(found.items())
    ]


@functools.cache
def _status_rules() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """``status_phrases.tsv`` compiled once per process (this runs for every clause of every note)."""
    return tuple((re.compile(rx, re.IGNORECASE), code, scope) for rx, code, scope in status_phrases())


_RELATIVE = re.compile(
    r"\b(family|mother|father|sister|brother|son|daughter|aunt|uncle|grand\w+)\b", re.IGNORECASE
)
_ALLERGY = re.compile(r"\ballerg\w*\b", re.IGNORECASE)
_NO = re.compile(r"\b(no known|nkda|denies|no)\b", re.IGNORECASE)


def status_codes(text: str, parts: Sequence[Clause]) -> list[CodePrediction]:
    """Status, history and family-history Z codes from the curated phrases (``status_phrases.tsv``)."""
    found: dict[str, list[Span]] = {}
    for c in parts:
        piece = text[c.start : c.end]
        family = c.section == "family" or bool(_RELATIVE.search(piece))
        allergy = c.section == "allergy" or bool(_ALLERGY.search(piece))
        negated = "negated" in c.cues or bool(_NO.search(piece))
        for rx, code, scope in _status_rules():
            ok = {"family": family, "allergy": allergy, "patient": not family}[scope] and not negated
            m = rx.search(piece) if ok else None
            if m:
                found.setdefault(code, []).append(Span(c.start + m.start(), c.start + m.end()))
    return [
        CodePrediction(
            code, LONG_TERM_DRUG_PROBABILITY, tuple(spans), "convention: status phrase (status_phrases.tsv)"
        )
        for code, spans in sorted(found.items())
    ]


HISTORY_PROBABILITY = LONG_TERM_DRUG_PROBABILITY
"""Fixed confidence of a family (Z80-Z84) or personal (Z85) history code made by a rule."""
_PAST_CANCER = re.compile(
    r"\b(history of|h/o|hx of|s/p|status post|no evidence of (recurrence|disease)|in remission|"
    r"treated|resected|excised)\b", re.IGNORECASE,
)  # fmt: skip


def family_history_codes(found: Sequence[tuple[str, Span]]) -> list[CodePrediction]:
    """Z80-Z84 codes (``history_codes.tsv``) for conditions documented in relatives: ``found`` are
    (condition code, mention span) pairs from Family History clauses (I.C.21.c.4)."""
    spans: dict[str, list[Span]] = {}
    for code, span in found:
        z = history_code("family", code)
        if z and span not in spans.get(z, []):
            spans.setdefault(z, []).append(span)
    return [
        CodePrediction(z, HISTORY_PROBABILITY, tuple(s), "convention: family history (history_codes.tsv)")
        for z, s in sorted(spans.items())
    ]


def past_malignancy_codes(
    text: str, parts: Sequence[Clause], coded: Sequence[CodePrediction]
) -> list[CodePrediction]:
    """A malignancy (C00-C96) whose every mention sits in a clause that calls it past ("history of
    prostate cancer, no evidence of recurrence") becomes its Z85 personal-history code (I.C.2.d);
    other codes pass through."""
    past = [(c.start, c.end) for c in parts if _PAST_CANCER.search(text, c.start, c.end)]
    out = []
    for p in coded:
        z = history_code("personal", p.code) if p.code[0] == "C" else None
        if z and p.spans and all(any(a <= s.start < b for a, b in past) for s in p.spans):
            out.append(
                CodePrediction(
                    z, p.probability, p.spans, f"convention: history of {p.code} (history_codes.tsv)"
                )
            )
        else:
            out.append(p)
    return out


def symptoms_outside_assessment(
    coded: Sequence[CodePrediction], parts: Sequence[Clause]
) -> list[CodePrediction]:
    ranges = [(c.start, c.end) for c in parts if c.section == "assessment"]
    if not ranges:
        return list(coded)

    def in_assessment(s: Span) -> bool:
        return any(a <= s.start < b for a, b in ranges)

    definitive = [c for c in coded if c.code[0] not in "RZ" and any(in_assessment(s) for s in c.spans)]
    if not definitive:
        return list(coded)
    return [c for c in coded if c.code[0] != "R" or any(in_assessment(s) for s in c.spans)]


def apply_conventions(
    text: str,
    parts: Sequence[Clause],
    coded: Sequence[CodePrediction],
    cm: ICD10CM | None = None,
    family: Sequence[tuple[str, Span]] = (),
) -> list[CodePrediction]:
    """All rules, in order; ``coded`` are the codes at or above the threshold, ``family`` the
    (condition code, span) pairs found in Family History clauses."""
    cm = cm or get_icd10cm()
    out = _merge(past_malignancy_codes(text, parts, coded))
    for extra in (long_term_drug_codes(text, parts), status_codes(text, parts), family_history_codes(family)):
        kept = {c.code for c in out}
        out += [d for d in extra if d.code not in kept]
    out = symptoms_outside_assessment(out, parts)
    out = most_specific(out, cm)
    out = hypertension_combinations(out)
    return out
