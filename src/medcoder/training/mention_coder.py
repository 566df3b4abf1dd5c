"""A label-wise attention coder trained on cited sentences instead of whole notes.

``NeuralCoder`` learns from ~500 CodiEsp notes which tokens justify each code, with nothing but
the note's code list to go on. ``MentionNeuralCoder`` gives it the evidence spans as well: every
training sentence (as ``cited_sentences`` cuts them) becomes a short training example labelled
with the codes whose spans overlap it, so the label attention is taught on the justifying text
itself, and the ~4,000 uncited sentences are negatives for every code.

Early stopping and the best epoch are chosen on dev notes (their spans are never read), each
scored by its best sentence as the model was trained on sentences. After training, dev MAP
decides how a note is scored:

- ``document``: the note as one input (label attention over all its chunks), or
- ``max`` / ``noisy_or``: each sentence scored on its own, aggregated as in ``MentionLRCoder``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.base import LabelSpace
from medcoder.models.baselines import dev_map
from medcoder.models.mentions import (
    AGGREGATIONS,
    NO_SPANS,
    aggregate_rows,
    cited_sentences,
    doc_sentences,
    line_sentences,
)
from medcoder.training.coder import NeuralCoder

log = logging.getLogger(__name__)

SCORING = ("document", *AGGREGATIONS)


def sentence_documents(
    docs: Sequence[Document], systems: Sequence[CodeSystem] | None = None
) -> list[Document]:
    """One training Document per non-blank sentence of ``docs``, labelled with its cited codes.

    The span offsets are dropped (the whole sentence is the evidence); ids are ``<doc id>#<n>``.
    """
    out: list[Document] = []
    for doc in docs:
        texts, cited = cited_sentences([doc], systems)
        for n, (text, labels) in enumerate(zip(texts, cited, strict=True)):
            if not text.strip():
                continue
            codes = tuple(
                CodeLabel(lab.system, lab.code)
                for lab in sorted(labels, key=lambda x: (x.system.value, x.code))
            )
            out.append(Document(id=f"{doc.id}#{n}", text=text, labels=codes))
    return out


class MentionNeuralCoder:
    """``NeuralCoder`` (LAAT or PLM-ICD) fitted on sentence examples; see the module docstring."""

    def __init__(
        self,
        coder: NeuralCoder,
        scoring: Sequence[str] = SCORING,
        map_depth: int = 50,
    ) -> None:
        bad = [s for s in scoring if s not in SCORING]
        if bad or not scoring:
            raise ValueError(f"scoring must be a non-empty subset of {SCORING}, got {tuple(scoring)}")
        self.coder = coder
        self.scoring_choices = tuple(scoring)
        self.scoring = self.scoring_choices[0]
        self.map_depth = map_depth
        self.fit_stats: dict[str, float] = {}

    @property
    def name(self) -> str:
        return f"mention_{self.coder.config.model}"

    @property
    def label_space(self) -> LabelSpace:
        return self.coder.label_space

    def fit(self, train: Sequence[Document], dev: Sequence[Document], callbacks: Sequence[Any] = ()) -> None:
        """Train on the sentences of ``train``; choose epoch and scoring on whole ``dev`` notes."""
        systems = self.coder.config.labels.systems
        examples = sentence_documents(train, systems)
        if not any(d.labels for d in examples):
            raise ValueError(f"MentionNeuralCoder.fit: {NO_SPANS}")
        self.coder.fit(examples, dev, callbacks, dev_split=line_sentences)
        self.fit_stats = dict(self.coder.fit_stats)
        self.fit_stats.update(
            {"sentences": float(len(examples)), "cited": float(sum(bool(d.labels) for d in examples))}
        )
        if not dev:
            return
        best = -1.0
        for how in self.scoring_choices:
            score = dev_map(dev, self._scores(dev, how), self.label_space, self.map_depth)
            self.fit_stats[f"dev_map_{how}"] = score
            if score > best:
                best, self.scoring = score, how
        self.fit_stats["dev_map"] = best
        log.info("%s: scoring %s, dev MAP %.4f", self.name, self.scoring, best)

    def _scores(self, docs: Sequence[Document], how: str) -> np.ndarray:
        if how == "document":
            return self.coder.predict_scores(docs)
        texts, rows = doc_sentences(docs, line_sentences)
        sent = self.coder.predict_scores(texts) if texts else np.zeros((0, len(self.label_space)), np.float32)
        return aggregate_rows(sent, rows, len(docs), how)

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        """Probabilities ``[len(docs), len(label_space)]`` by the scoring chosen on dev."""
        return self._scores(docs, self.scoring)
