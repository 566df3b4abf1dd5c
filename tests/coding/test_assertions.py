"""ConText verdicts on evidence spans, and the line compaction that makes them cheaper."""

from __future__ import annotations

import pytest

from medcoder.coding.assertions import assert_evidence, compact_text
from medcoder.coding.result import Assertion
from medcoder.data.records import Setting, Span

NOTE = (
    "CHIEF COMPLAINT:\nFollow-up.\n\n"
    "HISTORY OF PRESENT ILLNESS:\nShe has type 2 diabetes mellitus. She denies chest pain.\n\n"
    "FAMILY HISTORY:\nMother had breast cancer.\n\n"
    "ASSESSMENT:\nRule out diabetic retinopathy.\n"
)


def span(phrase: str) -> Span:
    start = NOTE.index(phrase)
    return Span(start, start + len(phrase))


def test_compact_text_moves_spans_onto_the_same_words() -> None:
    spans = [span("breast cancer"), span("chest pain")]
    short, moved = compact_text(NOTE, spans)
    assert len(short) < len(NOTE)
    assert [short[s.start : s.end] for s in moved] == ["breast cancer", "chest pain"]


@pytest.mark.slow
def test_verdicts_per_code() -> None:
    by_code = {
        0: [span("type 2 diabetes mellitus")],
        1: [span("chest pain")],
        2: [span("breast cancer")],
        3: [span("diabetic retinopathy")],
        4: [span("type 2 diabetes mellitus"), span("chest pain")],
    }
    out = assert_evidence(NOTE, by_code, Setting.OUTPATIENT)
    assert (out[0].assertion, out[0].blocked) == (Assertion.AFFIRMED, False)
    assert (out[1].assertion, out[1].blocked) == (Assertion.NEGATED, True)
    assert (out[2].assertion, out[2].blocked) == (Assertion.FAMILY, True)
    assert out[2].sections == ("family_history",)
    assert (out[3].assertion, out[3].blocked) == (Assertion.UNCERTAIN, True)
    assert out[4].blocked is False  # one affirmed mention is enough support
    inpatient = assert_evidence(NOTE, {3: [span("diabetic retinopathy")]}, Setting.INPATIENT)
    assert inpatient[3].blocked is False  # inpatient coding may report uncertain diagnoses


@pytest.mark.slow
def test_compacted_verdicts_equal_full_text_verdicts() -> None:
    from medcoder.nlp.assertions import assertions

    spans = [
        span(p) for p in ("type 2 diabetes mellitus", "chest pain", "breast cancer", "diabetic retinopathy")
    ]
    full = assertions(NOTE, spans)
    short, moved = compact_text(NOTE, spans)
    part = assertions(short, moved)
    key = lambda a: (a.negated, a.historical, a.family, a.hypothetical, a.uncertain, a.section)  # noqa: E731
    assert [key(a) for a in full] == [key(a) for a in part]


@pytest.mark.slow
@pytest.mark.shared_data
def test_compacted_verdicts_match_full_notes_on_codiesp() -> None:
    """Random words of real case reports: ConText on the compacted text agrees with the full note."""
    import random
    import re

    from conftest import require_shared
    from medcoder.data.codiesp import load_codiesp
    from medcoder.nlp.assertions import assertions

    docs = load_codiesp(require_shared("codiesp"), "test", language="en", tasks=["D"])[:25]
    rng = random.Random(0)
    key = lambda a: (a.negated, a.historical, a.family, a.hypothetical, a.uncertain, a.section)  # noqa: E731
    total = same = 0
    for d in docs:
        words = [Span(*m.span()) for m in re.finditer(r"[A-Za-z]{5,}", d.text)]
        picks = rng.sample(words, min(8, len(words)))
        short, moved = compact_text(d.text, picks)
        assert [short[m.start : m.end] for m in moved] == [d.text[p.start : p.end] for p in picks]
        pairs = zip(assertions(d.text, picks), assertions(short, moved), strict=True)
        total, same = total + len(picks), same + sum(key(a) == key(b) for a, b in pairs)
    assert same / total >= 0.99, f"{same}/{total} verdicts equal"
