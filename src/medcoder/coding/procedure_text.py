"""Where a procedure mention sits in a note, and whether it was done at this encounter.

A mention counts when (1) its sentence has no "not done here" cue near it (declined, deferred,
will schedule, last year, ...: the lexicon's ``policy.not_performed``), (2) ConText does not read
it as negated, hypothetical, historical or family (``medcoder.coding.assertions``), and (3) in a
plan section, or for lexicon entries marked ``needs_cue``, a "done today" cue is near it or the
section header says procedures were performed (``IN-OFFICE PROCEDURES``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from medcoder.coding.assertions import compact_text
from medcoder.coding.procedure_lexicon import Lexicon
from medcoder.data.records import Setting, Span
from medcoder.nlp.assertions import assertions

_BLOCKING = {"NEGATED_EXISTENCE", "HYPOTHETICAL", "HISTORICAL", "FAMILY"}
WINDOW = 80
"""Characters either side of a mention (inside its sentence) searched for cues."""

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n|,(?=[A-Z][A-Z /&]{2,40}:)")
_LEFT = re.compile(r"\bleft\b", re.I)
_RIGHT = re.compile(r"\bright\b", re.I)
_BOTH = re.compile(r"\b(?:bilateral(?:ly)?|both)\b", re.I)
_AGE = re.compile(r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]?old\b|\b(\d{1,3})\s?(?:yo|y/o|y\.o\.)(?=\W)", re.I)


@dataclass(frozen=True)
class NoteFacts:
    """What the step needs besides the text: setting, note type, age and payer (None: unknown)."""

    setting: Setting = Setting.UNKNOWN
    note_type: str = "note"
    age: int | None = None
    payer: str | None = None


@dataclass
class ProcedureLine:
    """One claim line: code, units, modifiers (with reasons) and evidence offsets in the note."""

    system: str
    code: str
    description: str
    units: float = 1.0
    modifiers: dict[str, str] = field(default_factory=dict)
    evidence: list[tuple[int, int]] = field(default_factory=list)
    bundles_admin: bool = False


def note_age(text: str, facts: NoteFacts) -> int | None:
    """The patient's age: from the facts, else the first "NN-year-old" in the note."""
    if facts.age is not None:
        return facts.age
    m = _AGE.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def laterality(text: str) -> tuple[str, str] | None:
    """(modifier, reason) from a procedure's sentence window: 50 for bilateral, else LT or RT."""
    if _BOTH.search(text):
        return "50", "bilateral procedure documented"
    left, right = bool(_LEFT.search(text)), bool(_RIGHT.search(text))
    if left != right:
        return ("LT", "left side documented") if left else ("RT", "right side documented")
    return None


_HEADER = re.compile(
    r"^[ \t]*([A-Z][A-Za-z0-9 /&(),-]{2,60}?)[ \t]*:?[ \t]*$|(?:^|,)\s*([A-Z][A-Z /&-]{2,40}):", re.M
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A lexicon match in the note: the span, its sentence and the search window for cues."""

    start: int
    end: int
    sentence: tuple[int, int]
    window: tuple[int, int]
    header: str
    groups: tuple[str | None, ...] = ()


class NoteIndex:
    """Sentence bounds and section headers of one note, computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        bounds = [0, len(text)]
        for m in _SENTENCE_END.finditer(text):
            bounds += [m.start(), m.end()]
        self.bounds = sorted(set(bounds))
        self.headers: list[tuple[int, str]] = []
        for m in _HEADER.finditer(text):
            name = (m.group(1) or m.group(2) or "").strip()
            if m.group(1) and (not name.isupper() and not name[:1].isupper() or len(name.split()) > 6):
                continue
            if m.group(1) and not re.search(r"[A-Z]{3}", name):
                continue
            self.headers.append((m.start(), name))
        self._header_starts = [s for s, _ in self.headers]

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        i = max(bisect.bisect_right(self.bounds, start) - 1, 0)
        j = min(bisect.bisect_left(self.bounds, max(end, start + 1)), len(self.bounds) - 1)
        return self.bounds[i], max(self.bounds[j], end)

    def header(self, pos: int) -> str:
        k = bisect.bisect_right(self._header_starts, pos) - 1
        return self.headers[k][1] if k >= 0 else ""

    def mention(self, m: re.Match[str]) -> Mention:
        s, e = self.sentence(m.start(), m.end())
        w = (max(s, m.start() - WINDOW), min(e, m.end() + WINDOW))
        return Mention(m.start(), m.end(), (s, e), w, self.header(m.start()), m.groups())

    def find(self, patterns: Sequence[re.Pattern[str]]) -> list[Mention]:
        """Every match of the patterns, overlapping matches of later patterns dropped."""
        out: list[Mention] = []
        for rx in patterns:
            for m in rx.finditer(self.text):
                if m.end() > m.start() and not any(m.start() < o.end and o.start < m.end() for o in out):
                    out.append(self.mention(m))
        return sorted(out, key=lambda x: x.start)

    def window_text(self, m: Mention) -> str:
        return self.text[m.window[0] : m.window[1]]

    def sentence_text(self, m: Mention) -> str:
        return self.text[m.sentence[0] : m.sentence[1]]


def cue_ok(
    index: NoteIndex, m: Mention, lex: Lexicon, *, needs_cue: bool, cue: re.Pattern[str] | None = None
) -> bool:
    """Steps (1) and (3) of the module doc: the mention's own text and window, no ConText."""
    window = index.window_text(m)
    if lex.not_performed.search(window) or in_history_section(m, lex):
        return False
    in_performed_section = bool(lex.performed_headers.search(m.header))
    if in_performed_section:
        return True
    in_plan = bool(lex.plan_headers.search(m.header))
    if needs_cue or in_plan:
        return bool((cue or lex.performed).search(window))
    return True


def context_blocked(text: str, mentions: Sequence[Mention], lex: Lexicon) -> list[bool]:
    """Step (2): whether a ConText cue reads each mention as negated, hypothetical, historical or
    family (one ConText pass per note). Only cues count: the section-derived flags (a procedure
    under an unknown header inherits "family history" from the section above) and the lexicon's
    ``context_ignore`` cue words ("preservative-free", "strep negative") do not."""
    if not mentions:
        return []
    short, moved = compact_text(text, [Span(m.start, m.end) for m in mentions])
    out = []
    for a in assertions(short, moved):
        cues = [c.split(":", 1) for c in a.cues]
        out.append(
            any(
                cat.upper() in _BLOCKING and word.strip().lower() not in lex.context_ignore
                for cat, word in cues
            )
        )
    return out


def in_history_section(m: Mention, lex: Lexicon) -> bool:
    """Whether the mention sits under a history, medication or allergy header (not this visit)."""
    return bool(lex.history_headers.search(m.header))
