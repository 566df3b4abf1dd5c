"""The shared medspacy pipeline: sentences (PyRuSH + line breaks), sections, ConText.

Built on ``spacy.blank("en")`` (no model download). Built once per process on first use
(``clinical_pipeline()`` is cached), never at import. Targets are not matched by the pipeline:
callers put the spans they care about into the ``medcoder_targets`` span group, so overlapping
spans are fine and any upstream detector (model evidence, code hints) can be asserted.
"""

from __future__ import annotations

import functools
from typing import Any

TARGET_GROUP = "medcoder_targets"


def _register_newline_sentencizer() -> None:
    from spacy.language import Language

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
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    import spacy
    from loguru import logger

    from medcoder.nlp.sections import section_rules

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
