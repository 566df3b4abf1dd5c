"""Baseline coders behind the ``Coder`` protocol: most-frequent codes and TF-IDF + logistic regression.

They set the floor a neural coder must beat (see ../shared/EVALUATION.md) and run in the same
benchmark harness. Settings are chosen on the dev split by CodiEsp MAP (ranked top
``map_depth`` codes per document, the official denominator), never on test.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.data.records import CodeSystem, Document
from medcoder.models.base import LabelSpace

log = logging.getLogger(__name__)


def dev_map(docs: Sequence[Document], scores: np.ndarray, space: LabelSpace, depth: int = 50) -> float:
    """CodiEsp MAP (official denominator, no code-list filter) of ``scores`` on ``docs``.

    Gold codes are those of the systems present in ``space``; used to pick settings on dev.
    """
    from medcoder.metrics.codiesp_map import codiesp_map, ranked_codes

    systems = {lab.system for lab in space.labels}
    gold = {d.id: [cl.code for cl in d.labels if cl.system in systems] for d in docs}
    ranked = ranked_codes([d.id for d in docs], scores, [lab.code for lab in space.labels], top_k=depth)
    return codiesp_map(gold, ranked).official


class MostFrequentCoder:
    """Scores every document with the training frequency of each code (the weakest sensible floor)."""

    name = "most_frequent"

    def __init__(self, systems: Sequence[CodeSystem] | None = None) -> None:
        self.systems = tuple(systems) if systems else None
        self.label_space = LabelSpace([])
        self._prior = np.zeros(0, dtype=np.float32)
        self.fit_stats: dict[str, float] = {}

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        """Count, for each code, the share of training documents that carry it (dev is not used)."""
        if not train:
            raise ValueError("MostFrequentCoder.fit needs at least one training document")
        self.label_space = LabelSpace.from_documents(train, self.systems)
        self._prior = self.label_space.encode(train).mean(axis=0)

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        return np.tile(self._prior, (len(docs), 1))


@dataclass(frozen=True)
class TfidfLRConfig:
    """TF-IDF word n-grams + one-vs-rest logistic regression; ``c_grid`` values are tried on dev.

    The defaults come from a dev search on CodiEsp-D English (min_df 2 and sublinear TF beat min_df 1
    and raw TF; MAP rises with C up to 1e5, i.e. almost no regularisation: 1e3 0.197, 1e5 0.210).
    """

    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 2
    max_df: float = 0.9
    sublinear_tf: bool = True
    max_features: int | None = None
    c_grid: tuple[float, ...] = (1e3, 1e4, 1e5)
    class_weight: str | None = None
    map_depth: int = 50
    systems: tuple[CodeSystem, ...] | None = None
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if not self.c_grid or any(c <= 0 for c in self.c_grid):
            raise ValueError(f"c_grid must hold positive values, got {self.c_grid}")


class TfidfLogRegCoder:
    """TF-IDF (word 1-2 grams by default) + one logistic regression per code seen in training.

    ``fit`` trains one model per value of ``config.c_grid`` and keeps the one with the best dev
    CodiEsp MAP; ``fit_stats`` records the dev MAP of each value.
    """

    name = "tfidf_lr"

    def __init__(self, config: TfidfLRConfig | None = None) -> None:
        self.config = config or TfidfLRConfig()
        self.label_space = LabelSpace([])
        self._vectorizer = None
        self._model = None
        self.fit_stats: dict[str, float] = {}

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        c = self.config
        self.label_space = LabelSpace.from_documents(train, c.systems)
        if len(self.label_space) == 0:
            raise ValueError(
                "TfidfLogRegCoder.fit: the training documents carry no codes of the chosen systems"
            )
        y = self.label_space.encode(train).astype(np.int64)  # int8 breaks OneVsRest (sklearn 1.9)
        self._vectorizer = TfidfVectorizer(
            ngram_range=c.ngram_range,
            min_df=min(c.min_df, len(train)),
            max_df=c.max_df if len(train) > 10 else 1.0,
            sublinear_tf=c.sublinear_tf,
            max_features=c.max_features,
            dtype=np.float32,
        )
        x = self._vectorizer.fit_transform([d.text for d in train])
        x_dev = self._vectorizer.transform([d.text for d in dev]) if dev else None
        best = -1.0
        for value in c.c_grid:
            t0 = time.perf_counter()
            # dual liblinear: same optimum, ~50x faster when documents (500) << features (20k)
            lr = LogisticRegression(
                C=value, solver="liblinear", dual=True, class_weight=c.class_weight, random_state=0
            )
            model = OneVsRestClassifier(lr, n_jobs=c.n_jobs).fit(x, y)
            score = dev_map(dev, model.predict_proba(x_dev), self.label_space, c.map_depth) if dev else 0.0
            self.fit_stats[f"dev_map_C={value:g}"] = score
            log.info("tfidf_lr C=%g: dev MAP %.4f (%.1f s)", value, score, time.perf_counter() - t0)
            if score > best:
                best, self._model = score, model
                self.fit_stats["C"] = value
        self.fit_stats["dev_map"] = best
        self.fit_stats["n_features"] = float(x.shape[1])

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        if self._model is None or self._vectorizer is None:
            raise RuntimeError("TfidfLogRegCoder.predict_scores called before fit")
        if not docs:
            return np.zeros((0, len(self.label_space)), dtype=np.float32)
        x = self._vectorizer.transform([d.text for d in docs])
        proba = np.asarray(self._model.predict_proba(x), dtype=np.float32)
        if proba.shape[1] != len(self.label_space):  # one label: sklearn returns [P(0), P(1)]
            proba = proba[:, -len(self.label_space) :]
        return proba


@dataclass(frozen=True)
class KnnConfig:
    """TF-IDF nearest neighbours: a code's score is the similarity-weighted share of the ``k`` most
    similar training documents that carry it. ``k_grid`` x ``power_grid`` are tried on dev."""

    k_grid: tuple[int, ...] = (5, 10, 20, 40, 80)
    power_grid: tuple[float, ...] = (1.0, 3.0)
    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 2
    map_depth: int = 50
    systems: tuple[CodeSystem, ...] | None = None

    def __post_init__(self) -> None:
        if not self.k_grid or any(k < 1 for k in self.k_grid):
            raise ValueError(f"k_grid must hold positive integers, got {self.k_grid}")
        if not self.power_grid or any(p <= 0 for p in self.power_grid):
            raise ValueError(f"power_grid must hold positive values, got {self.power_grid}")


def knn_scores(sims: np.ndarray, y_train: np.ndarray, k: int, power: float) -> np.ndarray:
    """``[n_docs, n_labels]`` scores from ``sims`` ``[n_docs, n_train]`` and train labels ``y_train``.

    For each document, keep its ``k`` most similar training documents, weight each by
    ``max(sim, 0) ** power`` and return the weighted share of them that carry each label (0 when
    no neighbour is similar at all).
    """
    s = np.clip(np.asarray(sims, dtype=np.float64), 0.0, None)
    k = min(k, s.shape[1])
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    w = np.take_along_axis(s, top, axis=1) ** power
    norm = w.sum(axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    y = np.asarray(y_train, dtype=np.float64)
    out = np.einsum("nk,nkl->nl", w / norm, y[top])
    return out.astype(np.float32)


class TfidfKnnCoder:
    """Nearest-neighbour coder: codes of the most similar training notes (cosine over TF-IDF).

    Complements logistic regression on a small corpus: one training note that shares a rare
    code's context is enough. ``fit`` chooses ``k`` and the similarity power on dev MAP.
    """

    name = "knn"

    def __init__(self, config: KnnConfig | None = None) -> None:
        self.config = config or KnnConfig()
        self.label_space = LabelSpace([])
        self._vectorizer = None
        self._x_train = None
        self._y_train = np.zeros((0, 0), dtype=np.float32)
        self.k, self.power = self.config.k_grid[0], self.config.power_grid[0]
        self.fit_stats: dict[str, float] = {}

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        c = self.config
        if not train:
            raise ValueError("TfidfKnnCoder.fit needs at least one training document")
        self.label_space = LabelSpace.from_documents(train, c.systems)
        self._y_train = self.label_space.encode(train).astype(np.float32)
        self._vectorizer = TfidfVectorizer(
            ngram_range=c.ngram_range, min_df=min(c.min_df, len(train)), sublinear_tf=True, dtype=np.float32
        )
        self._x_train = self._vectorizer.fit_transform([d.text for d in train])
        if not dev:
            return
        sims = self._similarities(dev)
        best = -1.0
        for k in c.k_grid:
            for power in c.power_grid:
                score = dev_map(dev, knn_scores(sims, self._y_train, k, power), self.label_space, c.map_depth)
                self.fit_stats[f"dev_map_k={k}_p={power:g}"] = score
                if score > best:
                    best, self.k, self.power = score, k, power
        self.fit_stats.update({"dev_map": best, "k": float(self.k), "power": self.power})
        log.info("knn: k=%d power=%g dev MAP %.4f", self.k, self.power, best)

    def _similarities(self, docs: Sequence[Document]) -> np.ndarray:
        if self._vectorizer is None or self._x_train is None:
            raise RuntimeError("TfidfKnnCoder used before fit")
        x = self._vectorizer.transform([d.text for d in docs])
        return np.asarray((x @ self._x_train.T).toarray(), dtype=np.float32)  # rows are L2-normalised

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        if not docs:
            return np.zeros((0, len(self.label_space)), dtype=np.float32)
        return knn_scores(self._similarities(docs), self._y_train, self.k, self.power)
