"""Clauses, words and assertion cues of a note: what the index coder reads.

A *clause* is the unit a coder reads a diagnostic statement in: a sentence, a list item, or a
piece between semicolons; MTSamples' inline headers (``ASSESSMENT:,``) and ``1.  `` list markers
start new clauses. Each clause has its words (stems with character offsets; abbreviations from
the curated list expanded, every expanded word keeping the abbreviation's offsets), its section
(the nearest header before it) and its assertion cues (negated, family, historical, uncertain,
hypothetical) from a short cue list: cheap features for the reranker. The pipeline's medspacy
ConText step stays the authority on assertion before a code is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcoder.terminology.abbreviations import abbreviations
from medcoder.terminology.search import STOPWORDS, stem

_WORD = re.compile(r"[A-Za-z0-9]+(?:/[A-Za-z0-9]+)?(?:'s)?")
# Sentence ends, semicolons, MTSamples' ".," and ":," after headers, list markers "2.  ", line breaks.
_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])|;|\.,|:,|\n+|(?:^|\s)\d{1,2}\.\s+(?=[A-Za-z])")
_HEADER = re.compile(
    r"(?:^|(?<=[.,\n]))[ \t]*([A-Z][A-Z /&()-]{2,60}):|^[ \t]*([A-Z][A-Za-z /&()-]{2,60}):", re.MULTILINE
)
# A header on a line of its own without a colon ("FAMILY HISTORY", "MEDICATIONS (home)"): only
# when it names a known section, so a shouted statement ("NKDA", "HTN") stays a statement.
_LINE_HEADER = re.compile(r"^[ \t]*([A-Z][A-Z /&-]{2,60}(?:\([a-z /]+\))?)[ \t]*$", re.MULTILINE)
SCOPE_CHARS = 60  # a cue reaches about eight words forward, as ConText's default window
_SCOPE_END = re.compile(r"\b(but|however|although|except|which|that)\b|[:;]", re.IGNORECASE)
_SCOPE_CUES = re.compile(
    r"\b(no|denies|denied|deny|negative for|without|free of|absence of|ruled out|family history of|"
    r"mother|father|sister|brother)\b",
    re.IGNORECASE,
)
# A consent or risk discussion lists what might happen, anywhere later in its sentence ("We have
# discussed bleeding, infection, ... stroke, and death"); a post-posed negation closes the clause
# ("choledocholithiasis and pancreatitis were not suspected").
_RISK_CUES = re.compile(
    r"\b(risks?( and benefits)?( of| include| including| such as|,)|complications (include|including|such as)|"
    r"(we|i) (have )?discussed)\b",
    re.IGNORECASE,
)
_POST_NEGATION = re.compile(
    r"\b(was|were|is|are|has been|have been) (not (suspected|seen|found|present)|ruled out|excluded)\b",
    re.IGNORECASE,
)

# Checked in order: "FAMILY HISTORY" is family and "HISTORY OF PRESENT ILLNESS" hpi before "history".
SECTION_GROUPS: dict[str, tuple[str, ...]] = {
    "allergy": ("allerg",),
    "family": ("family",),
    "social": ("social",),
    "hpi": ("present illness", "hpi", "chief complaint", "reason", "subjective"),
    "ros": ("review of systems", "ros"),
    "assessment": ("assessment", "impression", "diagnos", "problem", "plan", "postoperative", "preoperative",
                   "discharge", "final", "indication", "findings"),
    "history": ("past", "history", "pmh", "surgical"),
    "exam": ("exam", "physical", "vital", "objective", "heent", "neck", "chest", "heart", "lungs", "abdomen",
             "extremities", "neuro", "skin", "general"),
    "meds": ("medication",),
    "procedure": ("procedure", "operation", "technique", "description"),
}  # fmt: skip
SECTIONS = (*SECTION_GROUPS, "other")

CUES: dict[str, frozenset[str]] = {
    "negated": frozenset(["no", "not", "denies", "denied", "deny", "negative", "without", "free", "absent", "ruled", "none"]),
    "family": frozenset(["family", "mother", "father", "sister", "brother", "son", "daughter", "aunt", "uncle", "grandmother", "grandfather"]),
    "historical": frozenset(["history", "h/o", "hx", "resolved", "prior", "previous", "past", "former", "remote", "s/p", "status"]),
    "uncertain": frozenset(["possible", "probable", "likely", "suspected", "suspect", "r/o", "rule", "questionable", "versus", "vs", "concern", "consider", "differential"]),
    "hypothetical": frozenset(["if", "return", "should", "develop", "worsen", "risk"]),
}  # fmt: skip
CUE_KINDS = tuple(CUES)


@dataclass(frozen=True, slots=True)
class Word:
    stem: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    words: tuple[Word, ...]
    section: str
    cues: tuple[str, ...]  # cue kinds present in the clause

    def stems(self) -> frozenset[str]:
        return frozenset(w.stem for w in self.words)


def section_group(header: str) -> str:
    h = header.lower()
    for group, keys in SECTION_GROUPS.items():
        if any(k in h for k in keys):
            return group
    return "other"


def words_of(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """Word stems of ``text[start:end]`` with offsets; abbreviations expanded, stop words dropped."""
    abbr = abbreviations()
    out: list[Word] = []
    for m in _WORD.finditer(text, start, len(text) if end is None else end):
        raw = m.group(0).lower().removesuffix("'s")
        parts = [raw] if raw in abbr else raw.split("/")
        for part in parts:
            for w in abbr.get(part, part).split():
                w = w.lower()
                if w in STOPWORDS or (len(w) == 1 and not w.isdigit()):
                    continue
                out.append(Word(stem(w), m.start(), m.end()))
    return out


def _cue_kinds(text: str, start: int, end: int) -> tuple[str, ...]:
    raw = {m.group(0).lower().removesuffix("'s") for m in _WORD.finditer(text, start, end)}
    return tuple(kind for kind, cues in CUES.items() if raw & cues)


def excluded_by_scope(text: str, clause: Clause, start: int) -> bool:
    """Whether a mention starting at ``start`` is not an affirmed finding of the patient: it sits in
    the family history or review of systems, or a negation / family cue precedes it in its clause
    ("denies chest pain", "mother had breast cancer"). A cheap ConText-style scope used before
    scoring; the pipeline's medspacy ConText step still checks every suggested code's evidence."""
    if clause.section in ("family", "ros"):
        return True
    if _RISK_CUES.search(text, clause.start, start) or _POST_NEGATION.search(text, start, clause.end):
        return True
    window = max(clause.start, start - SCOPE_CHARS)
    cues = list(_SCOPE_CUES.finditer(text, window, start))
    return bool(cues) and _SCOPE_END.search(text, cues[-1].end(), start) is None


def clauses(text: str) -> list[Clause]:
    """The note's clauses in text order (empty clauses dropped)."""
    found = [(m.start(g), m.end(g)) for m in _HEADER.finditer(text) for g in (1, 2) if m.group(g)]
    found += [
        (m.start(1), m.end(1))
        for m in _LINE_HEADER.finditer(text)
        if section_group(m.group(1)) != "other" and not any(a <= m.start(1) < b for a, b in found)
    ]
    found.sort()
    headers = [(a, section_group(text[a:b])) for a, b in found]
    header_spans = found
    breaks = [(m.start(), m.end()) for m in _BREAK.finditer(text)]
    cuts = sorted({0, len(text), *(a for a, _ in breaks), *(b for _, b in breaks), *(h for h, _ in headers)})
    out: list[Clause] = []
    h = 0
    section = "other"
    for a, b in zip(cuts, cuts[1:], strict=False):
        while h < len(headers) and headers[h][0] <= a:
            section = headers[h][1]
            h += 1
        piece = text[a:b]
        if not piece.strip():
            continue
        lead = len(piece) - len(piece.lstrip())
        s, e = a + lead, a + len(piece.rstrip())
        # header words ("HISTORY OF PRESENT ILLNESS:") name a section; they are not statements
        ws = [w for w in words_of(text, s, e) if not any(a0 <= w.start < b0 for a0, b0 in header_spans)]
        if ws:
            out.append(Clause(s, e, tuple(ws), section, _cue_kinds(text, s, e)))
    return out
