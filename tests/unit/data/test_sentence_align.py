"""Sentence alignment and span projection between a text and its translation."""

from __future__ import annotations

import pytest

from conftest import require_shared
from medcoder.data.records import CodeLabel, CodeSystem, Document, Span
from medcoder.data.sentence_align import (
    SpanProjector,
    align_lengths,
    bead_cost,
    project_document_spans,
    sentence_ranges,
)

ES = "Varón de 37 años con fiebre. Presenta dolor testicular derecho y edemas. Se pauta doxiciclina."
EN = "37-year-old man with fever.\nHe has right testicular pain and edema.\nDoxycycline was prescribed.\n"


def test_sentence_ranges_split_and_trim() -> None:
    assert [ES[s:e] for s, e in sentence_ranges(ES)] == [
        "Varón de 37 años con fiebre.",
        "Presenta dolor testicular derecho y edemas.",
        "Se pauta doxiciclina.",
    ]
    assert [EN[s:e] for s, e in sentence_ranges(EN, one_per_line=True)] == [
        "37-year-old man with fever.",
        "He has right testicular pain and edema.",
        "Doxycycline was prescribed.",
    ]
    # an abbreviation followed by a lower-case word does not end a sentence
    assert len(sentence_ranges("Tratado con 5 mg. de prednisona. Mejora.")) == 2
    assert sentence_ranges("   \n ") == []


def test_bead_cost_is_lowest_at_the_expected_ratio() -> None:
    assert bead_cost(100, 90, 0.9) < bead_cost(100, 60, 0.9) < bead_cost(100, 20, 0.9)
    assert bead_cost(0, 0, 1.0) == 0.0


def test_align_lengths_one_to_one_and_a_split() -> None:
    assert align_lengths([30, 50, 20], [27, 45, 18]) == [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]
    # the translation split the long middle sentence in two
    beads = align_lengths([30, 100, 20], [27, 46, 44, 18])
    assert beads == [((0,), (0,)), ((1,), (1, 2)), ((2,), (3,))]
    covered_src = sorted(i for s, _ in beads for i in s)
    covered_tgt = sorted(j for _, t in beads for j in t)
    assert covered_src == [0, 1, 2] and covered_tgt == [0, 1, 2, 3]


def test_project_spans_onto_the_translated_line() -> None:
    start = ES.index("edemas")
    projector = SpanProjector(ES, EN)
    got = projector.project([Span(start, start + len("edemas")), Span(0, 5)])
    assert [EN[s.start : s.end] for s in got] == [
        "37-year-old man with fever.",
        "He has right testicular pain and edema.",
    ]
    # a span across two sentences covers both lines
    both = projector.project([Span(ES.index("fiebre"), ES.index("dolor") + 5)])
    assert (
        EN[both[0].start : both[0].end]
        == "37-year-old man with fever.\nHe has right testicular pain and edema."
    )


def test_project_document_spans_matches_labels_by_code() -> None:
    cm = CodeSystem.ICD10CM
    i = ES.index("edemas")
    es = Document(id="d", text=ES, labels=(CodeLabel(cm, "R60.9", (Span(i, i + 6),)),))
    en = Document(id="d", text=EN, labels=(CodeLabel(cm, "R60.9"), CodeLabel(cm, "R50.9")))
    out = project_document_spans(es, en)
    assert out.text == EN and [cl.code for cl in out.labels] == ["R60.9", "R50.9"]
    assert [EN[s.start : s.end] for s in out.labels[0].spans] == ["He has right testicular pain and edema."]
    assert out.labels[1].spans == ()
    with pytest.raises(ValueError, match="differ"):
        project_document_spans(es, Document(id="other", text=EN))


def test_codiesp_projection_keeps_mention_words() -> None:
    """On real CodiEsp train documents, projected lines usually contain a translation of the mention:
    checked with one-word mentions spelled the same in both languages (organism, tumour names)."""
    from medcoder.data.codiesp import load_codiesp

    root = require_shared("codiesp")
    es = {d.id: d for d in load_codiesp(root, "train", language="es", tasks=("D",))[:80]}
    en = [d for d in load_codiesp(root, "train", language="en", tasks=("D",)) if d.id in es]
    hits = total = 0
    for doc in en:
        projected = project_document_spans(es[doc.id], doc)
        for src, cl in zip(es[doc.id].labels, projected.labels, strict=True):
            for span in src.spans:
                word = span.text(es[doc.id].text)
                same = word.isalpha() and len(word) > 5 and word.lower() in doc.text.lower()
                if same:  # e.g. Brucella, Chlamydia: the translation kept the word
                    total += 1
                    hits += any(word.lower() in s.text(doc.text).lower() for s in cl.spans)
    assert total >= 20
    assert hits / total >= 0.9, f"{hits}/{total}"
