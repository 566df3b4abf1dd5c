"""Assertion status of each suggested code's evidence (medspacy ConText via ``medcoder.nlp``).

A code whose *every* evidence span is negated, family history, historical or hypothetical (and,
outside inpatient care, uncertain: outpatient guidelines code uncertain diagnoses as symptoms) has
no affirmed support, so the pipeline suppresses or down-weights it.

ConText's cost grows with the text it reads, and its scope never crosses a line (the nlp
pipeline starts a sentence at every line break), so only the lines holding evidence plus
header-like lines (short, or with a colon near the start: section titles) are analysed; offsets
are mapped back. The verdicts equal those on the full note (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import Setting, Span
from medcoder.serving.schemas import Assertion

HEADER_MAX_CHARS = 40


@dataclass(frozen=True, slots=True)
class Verdict:
    """The evidence of one code: its assertion, ConText cues, whether nothing affirms it, sections."""

    assertion: Assertion
    cues: tuple[str, ...]
    blocked: bool
    sections: tuple[str | None, ...]


def _state(a) -> Assertion:  # type: ignore[no-untyped-def]
    for flag, value in (
        ("negated", Assertion.NEGATED),
        ("family", Assertion.FAMILY),
        ("historical", Assertion.HISTORICAL),
        ("hypothetical", Assertion.HYPOTHETICAL),
        ("uncertain", Assertion.UNCERTAIN),
    ):
        if getattr(a, flag):
            return value
    return Assertion.AFFIRMED


def compact_lines(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    """Keep lines that hold a span or look like a header; return that text and the spans moved into it."""
    kept: list[str] = []
    shifts: list[tuple[int, int, int]] = []  # (start, end, new start) of each kept line
    pos = new = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        body = line.strip()
        header = bool(body) and (len(body) <= HEADER_MAX_CHARS or ":" in body[:HEADER_MAX_CHARS])
        if header or any(s.start < end and start < max(s.end, s.start + 1) for s in spans):
            kept.append(line)
            shifts.append((start, end, new))
            new += len(line)

    def move(x: int) -> int:
        for start, end, n in shifts:
            if start <= x < end:
                return n + x - start
        raise ValueError(f"offset {x} not in a kept line")

    return "".join(kept), [Span(move(s.start), move(s.start) + s.end - s.start, s.score) for s in spans]


def assert_evidence(text: str, spans_by_code: dict[int, list[Span]], setting: Setting) -> dict[int, Verdict]:
    """A :class:`Verdict` per label column that has evidence spans (others are left out)."""
    from medcoder.nlp.assertions import assertions

    flat = [(j, sp) for j, spans in spans_by_code.items() for sp in spans if sp.end > sp.start]
    if not flat:
        return {}
    short, moved = compact_lines(text, [sp for _, sp in flat])
    verdicts = assertions(short, moved)
    blocking = {Assertion.NEGATED, Assertion.FAMILY, Assertion.HISTORICAL, Assertion.HYPOTHETICAL}
    if setting is not Setting.INPATIENT:
        blocking.add(Assertion.UNCERTAIN)
    by_code: dict[int, list] = {}
    for (j, _), a in zip(flat, verdicts, strict=True):
        by_code.setdefault(j, []).append(a)
    out: dict[int, Verdict] = {}
    for j, items in by_code.items():
        states = [_state(a) for a in items]
        blocked = all(s in blocking for s in states)
        out[j] = Verdict(
            assertion=states[0] if blocked else Assertion.AFFIRMED,
            cues=tuple(sorted({c for a in items for c in a.cues})),
            blocked=blocked,
            sections=tuple(a.section for a in items),
        )
    return out
