"""Sentence boundaries for clinical text: PyRuSH rules plus a break at every line start."""

from __future__ import annotations

from medcoder.data.records import Span


def sentence_spans(text: str, nlp: object | None = None) -> list[Span]:
    """Character spans of the sentences in ``text`` (whitespace-only stretches are skipped)."""
    from medcoder.nlp.pipeline import clinical_pipeline

    pipe = nlp or clinical_pipeline()
    doc = pipe.make_doc(text)  # type: ignore[attr-defined]
    for name in ("medspacy_pyrush", "medcoder_line_sentences"):
        doc = pipe.get_pipe(name)(doc)  # type: ignore[attr-defined]
    out: list[Span] = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append(Span(start, end))
    return out
