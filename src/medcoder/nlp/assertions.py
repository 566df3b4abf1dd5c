"""Assertion status of clinical mentions with medspacy ConText: negated, historical, family,
hypothetical (and uncertain), plus the section each mention sits in.

The serving pipeline calls ``assertions(doc_text, spans)`` with the evidence spans of suggested
codes; a negated or family-history mention should not support a diagnosis code. ConText's scope
is the sentence (PyRuSH sentences, broken at every line start), and the sectionizer marks mentions
in e.g. Family History as family and in Past Medical History as historical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import Span
from medcoder.nlp.pipeline import TARGET_GROUP, clinical_pipeline
from medcoder.nlp.sections import mask_markdown


@dataclass(frozen=True, slots=True)
class Assertion:
    """ConText's verdict on one span. ``cues`` name each modifier as ``CATEGORY:text``."""

    span: Span
    negated: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False
    uncertain: bool = False
    section: str | None = None
    cues: tuple[str, ...] = ()

    @property
    def affirmed(self) -> bool:
        """True when the mention is a current, certain finding about the patient."""
        return not (self.negated or self.historical or self.family or self.hypothetical or self.uncertain)


def assertions(
    doc_text: str, spans: Sequence[Span | tuple[int, int]], nlp: object | None = None
) -> list[Assertion]:
    """One ``Assertion`` per input span, in input order (overlapping spans are allowed).

    Raises ``ValueError`` for a span outside ``doc_text``.
    """

    pipe = nlp or clinical_pipeline()
    norm = [s if isinstance(s, Span) else Span(s[0], s[1]) for s in spans]
    for s in norm:
        if s.end > len(doc_text):
            raise ValueError(f"span [{s.start},{s.end}) is outside a text of {len(doc_text)} characters")
    doc = pipe.make_doc(mask_markdown(doc_text))  # type: ignore[attr-defined]
    for name in ("medspacy_pyrush", "medcoder_line_sentences"):
        doc = pipe.get_pipe(name)(doc)  # type: ignore[attr-defined]
    targets = []
    for s in norm:
        sp = doc.char_span(s.start, max(s.end, s.start + 1), label="TARGET", alignment_mode="expand")
        targets.append(sp)
    doc.spans[TARGET_GROUP] = [t for t in targets if t is not None]
    for name in ("medspacy_sectionizer", "medspacy_context"):
        doc = pipe.get_pipe(name)(doc)  # type: ignore[attr-defined]
    by_key = {(t.start, t.end): t for t in doc.spans[TARGET_GROUP]}
    graph = getattr(doc._, "context_graph", None)
    all_cues = list(getattr(graph, "modifiers", None) or ())
    out: list[Assertion] = []
    for s, t in zip(norm, targets, strict=True):
        sp = by_key.get((t.start, t.end)) if t is not None else None
        if sp is None:
            out.append(Assertion(s))
            continue
        mods = list(sp._.modifiers or ())
        # A span that overlaps a cue itself ("father", "denies", "history of") is evidence of the
        # cue, not of a current finding: it takes the cue's category.
        inside = [m for m in all_cues if m.modifier_span[0] < t.end and t.start < m.modifier_span[1]]
        mods += [m for m in inside if m not in mods]
        cats = {m.category.upper() for m in inside}
        cues = tuple(f"{m.category}:{doc[m.modifier_span[0] : m.modifier_span[1]].text}" for m in mods)
        out.append(
            Assertion(
                s,
                negated=bool(sp._.is_negated) or "NEGATED_EXISTENCE" in cats,
                historical=bool(sp._.is_historical) or "HISTORICAL" in cats,
                family=bool(sp._.is_family) or "FAMILY" in cats,
                hypothetical=bool(sp._.is_hypothetical) or "HYPOTHETICAL" in cats,
                uncertain=bool(sp._.is_uncertain) or "POSSIBLE_EXISTENCE" in cats,
                section=getattr(sp._, "section_category", None),
                cues=cues,
            )
        )
    return out
