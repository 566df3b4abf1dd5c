"""Dictionary / retrieval baseline: score codes by matching note sentences against code descriptions.

Each line (sentence) of a note is a query to the code-set BM25 index
(``medcoder.terminology.search``: ICD-10-CM descriptions + inclusion terms, or ICD-10-PCS
descriptions). A code's score for a sentence is its BM25 score divided by the code's own
self-match score (the sum of its description's term weights), so 1.0 means every word of the
description appears in the sentence; a document's score for a code is the best sentence's score,
capped at 1. No training: ``fit`` only records the label space, so codes never seen in training
get scores. ``WeightedSumCoder`` adds such scores to a trained coder's (EVALUATION.md: "LR + 0.01 x
dictionary").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

from medcoder.data.records import CodeSystem, Document
from medcoder.models.base import Coder, Label, LabelSpace

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def split_sentences(text: str, max_chars: int = 400) -> list[str]:
    """Lines / sentences of ``text`` (CodiEsp English files are one sentence per line), long ones cut."""
    out: list[str] = []
    for part in _SENTENCE.split(text):
        part = part.strip()
        while len(part) > max_chars:
            cut = part.rfind(" ", 0, max_chars + 1)
            cut = cut if cut > 0 else max_chars
            out.append(part[:cut])
            part = part[cut:].strip()
        if part:
            out.append(part)
    return out


class DictionaryCoder:
    """Scores every code of a search index by its best-matching sentence (no training).

    Args:
        index: a ``medcoder.terminology.search.SearchIndex``; built for ``system`` when None.
        system: the code system to score (the index may hold several).
        min_coverage: sentence-code matches below this share of the description are ignored.
    """

    name = "dict"

    def __init__(
        self, index: object | None = None, system: CodeSystem = CodeSystem.ICD10CM, min_coverage: float = 0.0
    ) -> None:
        self.system = system
        self.min_coverage = min_coverage
        self._index = index
        self.label_space = LabelSpace([])
        self._cols = np.zeros(0, dtype=np.int64)
        self._self_score = np.zeros(0)
        self.fit_stats: dict[str, float] = {}

    def _build(self) -> None:
        if self._index is None:
            from medcoder.terminology.search import build_index

            self._index = build_index((self.system.value,))
        idx = self._index
        cols = [i for i, s in enumerate(idx.systems) if s == self.system.value]  # type: ignore[attr-defined]
        if not cols:
            raise ValueError(f"the search index holds no {self.system.value} codes")
        self._cols = np.asarray(cols, dtype=np.int64)
        self._self_score = idx.self_scores()[self._cols]
        self._self_score[self._self_score <= 0] = np.inf
        self.label_space = LabelSpace(Label(self.system, idx.codes[i]) for i in cols)  # type: ignore[attr-defined]

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        """Build (or adopt) the index and the label space; nothing is learned from the documents."""
        self._build()
        self.fit_stats["n_labels"] = float(len(self.label_space))

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        if self._index is None or len(self.label_space) == 0:
            self._build()
        out = np.zeros((len(docs), len(self.label_space)), dtype=np.float32)
        for row, doc in enumerate(docs):
            best = np.zeros(len(self.label_space))
            for sentence in split_sentences(doc.text):
                s = self._index.scores(sentence)  # type: ignore[union-attr]
                np.maximum(best, s[self._cols] / self._self_score, out=best)
            best[best < self.min_coverage] = 0.0
            out[row] = np.minimum(best, 1.0)
        return out


class WeightedSumCoder:
    """``base + weight x extra`` over the union of both label spaces, rescaled into [0, 1].

    Both coders are fitted on the same data; with several ``weights`` the one with the best dev
    CodiEsp MAP is kept (``fit_stats`` lists each). The default is EVALUATION.md's 0.01.
    """

    def __init__(
        self, base: Coder, extra: Coder, weights: Sequence[float] = (0.01,), map_depth: int = 50
    ) -> None:
        if not weights or any(w < 0 for w in weights):
            raise ValueError(f"weights must be non-negative, got {weights}")
        self.base, self.extra = base, extra
        self.weights = tuple(weights)
        self.weight = self.weights[0]
        self.map_depth = map_depth
        self.label_space = LabelSpace([])
        self.fit_stats: dict[str, float] = {}
        self.name = f"{getattr(base, 'name', 'base')}+{getattr(extra, 'name', 'extra')}"

    def _combine(self, base_scores: np.ndarray, extra_scores: np.ndarray, weight: float) -> np.ndarray:
        from medcoder.models.alignment import align_scores

        out = align_scores(base_scores, self.base.label_space, self.label_space)
        out += weight * align_scores(extra_scores, self.extra.label_space, self.label_space)
        return out / (1.0 + weight)

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        from medcoder.models.baselines import dev_map

        self.base.fit(train, dev)
        self.extra.fit(train, dev)
        known = set(self.base.label_space.labels)
        rest = [lab for lab in self.extra.label_space.labels if lab not in known]
        self.label_space = LabelSpace([*self.base.label_space.labels, *rest])
        for key, value in getattr(self.base, "fit_stats", {}).items():
            self.fit_stats[f"base_{key}"] = value
        if len(self.weights) > 1 and dev:
            b, e = self.base.predict_scores(dev), self.extra.predict_scores(dev)
            best = -1.0
            for w in self.weights:
                score = dev_map(dev, self._combine(b, e, w), self.label_space, self.map_depth)
                self.fit_stats[f"dev_map_w={w:g}"] = score
                if score > best:
                    best, self.weight = score, w
            self.fit_stats["dev_map"] = best
        self.fit_stats["weight"] = self.weight

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        return self._combine(self.base.predict_scores(docs), self.extra.predict_scores(docs), self.weight)
