"""The shared medspacy pipeline: sentences (PyRuSH + line breaks), sections, ConText.

``medspacy_sections`` runs its sectionizer alone (the rule-based engine is ``nlp.sections``).

Built on ``spacy.blank("en")`` (no model download). Built once per process on first use
(``clinical_pipeline()`` is cached), never at import. Targets are not matched by the pipeline:
callers put the spans they care about into the ``medcoder_targets`` span group, so overlapping
spans are fine and any upstream detector (model evidence, code hints) can be asserted.
"""

from __future__ import annotations

import functools
from typing import Any

from medcoder.data.records import Section
from medcoder.nlp.sections import mask_markdown, section_rules

TARGET_GROUP = "medcoder_targets"


def _register_newline_sentencizer() -> None:
    from spacy.language import Language  # lazy, like all of spaCy here (see the module docstring)

    if "medcoder_line_sentences" in Language.factories:
        return

    @Language.component("medcoder_line_sentences")
    def line_sentences(doc: Any) -> Any:
        """Start a sentence after every line break: clinical notes put headers and list items on
        their own lines without punctuation, and PyRuSH alone would join them."""
        for i in range(1, len(doc)):
            prev = doc[i - 1]
            if ("\n" in prev.text or "\n" in prev.whitespace_) and not doc[i].is_space:
                doc[i].is_sent_start = True
        return doc


@functools.lru_cache(maxsize=1)
def clinical_pipeline() -> Any:
    """A spaCy ``Language``: PyRuSH sentences, line-break sentences, sectionizer, ConText."""
    # lazy: spaCy/medspacy are the optional nlp extra and take seconds to load
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    import spacy
    from loguru import logger

    logger.disable("PyRuSH")  # PyRuSH logs every sentence at DEBUG through loguru
    _register_newline_sentencizer()
    nlp = spacy.blank("en")
    nlp.add_pipe("medspacy_pyrush")
    nlp.add_pipe("medcoder_line_sentences")
    sectionizer = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"input_span_type": "group", "span_group_name": TARGET_GROUP, "require_start_line": True},
    )
    sectionizer.add(section_rules())
    nlp.add_pipe("medspacy_context", config={"input_span_type": "group", "span_group_name": TARGET_GROUP})
    return nlp


def medspacy_sections(text: str, nlp: object | None = None) -> tuple[Section, ...]:
    """Sections found by medspacy's sectionizer (defaults + ``HEADERS``) as ``Section`` records."""
    pipe = nlp or clinical_pipeline()
    doc = pipe.make_doc(mask_markdown(text))  # type: ignore[attr-defined]
    doc.spans[TARGET_GROUP] = []
    for name in ("medspacy_pyrush", "medcoder_line_sentences", "medspacy_sectionizer"):
        doc = pipe.get_pipe(name)(doc)  # type: ignore[attr-defined]
    out: list[Section] = []
    for sec in doc._.sections:
        start = sec.title_start if sec.title_start is not None else sec.body_start
        s_char = doc[start].idx if start < len(doc) else len(text)
        e_char = doc[sec.body_end - 1].idx + len(doc[sec.body_end - 1]) if sec.body_end > start else s_char
        while e_char > s_char and (text[e_char - 1].isspace() or text[e_char - 1] == "#"):
            e_char -= 1
        if sec.category is not None:
            out.append(Section(sec.category, s_char, e_char))
    return tuple(out)
