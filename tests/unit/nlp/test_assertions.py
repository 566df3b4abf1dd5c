"""ConText assertions (negated, historical, family, hypothetical, uncertain) and sentences."""

from __future__ import annotations

import pytest

from medcoder.data.records import Span
from medcoder.nlp.assertions import assertions
from medcoder.nlp.pipeline import clinical_pipeline

pytestmark = pytest.mark.slow  # the first test pays for loading spaCy + medspacy (~5-10 s)

TEXT = (
    "HISTORY OF PRESENT ILLNESS: Patient denies chest pain. History of left knee fracture.\n"
    "FAMILY HISTORY: Mother had breast cancer\n"
    "ASSESSMENT AND PLAN: Rule out pneumonia. If fever returns, start antibiotics.\n"
    "Acute bronchitis."
)


def at(phrase: str) -> Span:
    i = TEXT.index(phrase)
    return Span(i, i + len(phrase))


def test_assertion_flags() -> None:
    phrases = ["chest pain", "knee fracture", "breast cancer", "pneumonia", "fever", "Acute bronchitis"]
    got = {TEXT[a.span.start : a.span.end]: a for a in assertions(TEXT, [at(p) for p in phrases])}
    assert got["chest pain"].negated and not got["chest pain"].family
    assert got["knee fracture"].historical and not got["knee fracture"].negated
    assert got["breast cancer"].family and got["breast cancer"].section == "family_history"
    assert got["pneumonia"].uncertain and not got["pneumonia"].family  # new section ends family history
    assert got["fever"].hypothetical
    assert got["Acute bronchitis"].affirmed and got["Acute bronchitis"].section == "assessment_and_plan"
    assert "NEGATED_EXISTENCE:denies" in got["chest pain"].cues


def test_overlapping_spans_and_order_kept() -> None:
    spans = [at("breast cancer"), at("chest pain"), Span(at("chest pain").start, at("chest pain").start + 5)]
    out = assertions(TEXT, spans)
    assert [a.span for a in out] == spans
    assert out[0].family and out[1].negated and out[2].negated


def test_span_outside_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        assertions("short", [Span(0, 99)])


def sentence_texts(text: str) -> list[str]:
    """The sentences the shared pipeline's sentencizers (PyRuSH + line breaks) give, stripped."""
    pipe = clinical_pipeline()
    doc = pipe.make_doc(text)
    for name in ("medspacy_pyrush", "medcoder_line_sentences"):
        doc = pipe.get_pipe(name)(doc)
    return [s.text.strip() for s in doc.sents if s.text.strip()]


def test_sentences_break_at_lines_and_periods() -> None:
    got = sentence_texts(TEXT)
    assert got == [
        "HISTORY OF PRESENT ILLNESS: Patient denies chest pain.",
        "History of left knee fracture.",
        "FAMILY HISTORY: Mother had breast cancer",
        "ASSESSMENT AND PLAN: Rule out pneumonia.",
        "If fever returns, start antibiotics.",
        "Acute bronchitis.",
    ]


def test_span_on_the_cue_word_itself_takes_the_cue_category() -> None:
    """Evidence that points at "father" or "denies" is the cue, never an affirmed finding."""
    from medcoder.nlp.assertions import assertions

    text = "Father had type 2 diabetes. Patient denies chest pain. Asthma is stable."
    father, denies, asthma = text.index("Father"), text.index("denies"), text.index("Asthma")
    a_father, a_denies, a_asthma = assertions(
        text, [(father, father + 6), (denies, denies + 6), (asthma, asthma + 6)]
    )
    assert a_father.family and not a_father.affirmed
    assert a_denies.negated and not a_denies.affirmed
    assert a_asthma.affirmed
