"""Dataset statistics for data cards: size, codes per document, label frequency buckets.

A *code* is a ``(system, code)`` pair, so the same string in two systems counts twice. Frequency
buckets place each code by the number of reference-split (normally ``train``) documents carrying it:
*frequent* (at least ``frequent_min``, default 10), *few-shot* (1 to ``frequent_min - 1``) and
*unseen* (0). The buckets explain why macro-averaged metrics fall on long-tail datasets: a model
cannot learn an unseen code from the reference split at all.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from medcoder.data.records import Document

BUCKETS = ("frequent", "few_shot", "unseen")


@dataclass(frozen=True)
class SplitStats:
    """Statistics of one split. ``tokens`` are whitespace-separated tokens; ``labels`` counts
    distinct codes per document summed over documents."""

    documents: int
    tokens: int
    tokens_per_doc_mean: float
    chars: int
    labels: int
    codes_per_doc_mean: float
    codes_per_doc_median: float
    codes_per_doc_max: int
    docs_without_codes: int
    distinct_codes: int
    unseen_in_reference: int
    bucket_codes: dict[str, int]
    bucket_labels: dict[str, int]
    system_labels: dict[str, int]
    system_codes: dict[str, int]


@dataclass(frozen=True)
class DatasetStats:
    """Per-split statistics plus the reference split and threshold the buckets used."""

    splits: dict[str, SplitStats]
    reference_split: str
    frequent_min: int
    distinct_codes: int

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.splits.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for DVC metrics or ``--json`` output)."""
        return asdict(self)


def _doc_codes(doc: Document) -> list[tuple[str, str]]:
    return list(dict.fromkeys((label.system.value, label.code) for label in doc.labels))


def bucket_of(train_docs: int, frequent_min: int = 10) -> str:
    """The frequency bucket of a code carried by ``train_docs`` reference documents."""
    if train_docs >= frequent_min:
        return "frequent"
    return "few_shot" if train_docs > 0 else "unseen"


def compute_split_stats(
    docs: Sequence[Document], reference: Counter[tuple[str, str]], frequent_min: int = 10
) -> SplitStats:
    """Statistics of one split; ``reference`` counts reference-split documents per code."""
    per_doc = [_doc_codes(d) for d in docs]
    n_codes = [len(c) for c in per_doc]
    tokens = [len(d.text.split()) for d in docs]
    code_docs: Counter[tuple[str, str]] = Counter(c for codes in per_doc for c in codes)
    bucket_codes = dict.fromkeys(BUCKETS, 0)
    bucket_labels = dict.fromkeys(BUCKETS, 0)
    for code, n_docs in code_docs.items():
        bucket = bucket_of(reference.get(code, 0), frequent_min)
        bucket_codes[bucket] += 1
        bucket_labels[bucket] += n_docs
    system_labels: Counter[str] = Counter(system for system, _ in code_docs.elements())
    system_codes: Counter[str] = Counter(system for system, _ in code_docs)
    n = len(docs)
    return SplitStats(
        documents=n,
        tokens=sum(tokens),
        tokens_per_doc_mean=sum(tokens) / n if n else 0.0,
        chars=sum(len(d.text) for d in docs),
        labels=sum(n_codes),
        codes_per_doc_mean=sum(n_codes) / n if n else 0.0,
        codes_per_doc_median=float(statistics.median(n_codes)) if n else 0.0,
        codes_per_doc_max=max(n_codes, default=0),
        docs_without_codes=sum(1 for k in n_codes if k == 0),
        distinct_codes=len(code_docs),
        unseen_in_reference=bucket_codes["unseen"],
        bucket_codes=bucket_codes,
        bucket_labels=bucket_labels,
        system_labels=dict(sorted(system_labels.items())),
        system_codes=dict(sorted(system_codes.items())),
    )


def compute_stats(
    splits: Mapping[str, Sequence[Document]], *, reference_split: str = "train", frequent_min: int = 10
) -> DatasetStats:
    """Statistics for every split, bucketing codes by their document count in ``reference_split``.

    If ``reference_split`` is not among the splits (e.g. a single ``"all"`` split), all documents
    together are the reference, so nothing is unseen.
    """
    if frequent_min < 1:
        raise ValueError(f"frequent_min must be at least 1, got {frequent_min}")
    if reference_split in splits:
        ref_docs: Sequence[Document] = splits[reference_split]
        ref_name = reference_split
    else:
        ref_docs = [d for docs in splits.values() for d in docs]
        ref_name = "all"
    reference: Counter[tuple[str, str]] = Counter(c for d in ref_docs for c in _doc_codes(d))
    every = {c for docs in splits.values() for d in docs for c in _doc_codes(d)}
    return DatasetStats(
        splits={name: compute_split_stats(docs, reference, frequent_min) for name, docs in splits.items()},
        reference_split=ref_name,
        frequent_min=frequent_min,
        distinct_codes=len(every),
    )
