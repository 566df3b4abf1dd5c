"""Metrics by label-frequency bucket: frequent, few-shot and unseen-in-train codes.

Most codes in clinical coding are rare, and a micro average hides how a model does on them.
Buckets follow the few-/zero-shot literature (Rios and Kavuluru 2018): a label is *unseen* when no
training document has it, *few-shot* when 1 to ``few_shot_max`` training documents have it
(default 5) and *frequent* above that. Counts are documents, not mentions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np

from medcoder.data.records import Document
from medcoder.metrics.multilabel import classification_report
from medcoder.models.base import Label, LabelSpace


class Bucket(StrEnum):
    FREQUENT = "frequent"
    FEW_SHOT = "few_shot"
    UNSEEN = "unseen"


def train_label_counts(docs: Sequence[Document]) -> Counter[Label]:
    """Number of training documents that carry each label (repeats within a document count once)."""
    counts: Counter[Label] = Counter()
    for doc in docs:
        counts.update({Label(cl.system, cl.code) for cl in doc.labels})
    return counts


def bucket_masks(
    space: LabelSpace, train_counts: Mapping[Label, int], few_shot_max: int = 5
) -> dict[Bucket, np.ndarray]:
    """A boolean column mask per bucket over ``space`` (every column is in exactly one bucket)."""
    if few_shot_max < 1:
        raise ValueError(f"few_shot_max must be >= 1, got {few_shot_max}")
    n = np.array([train_counts.get(lab, 0) for lab in space.labels], dtype=np.int64)
    return {
        Bucket.FREQUENT: n > few_shot_max,
        Bucket.FEW_SHOT: (n >= 1) & (n <= few_shot_max),
        Bucket.UNSEEN: n == 0,
    }


def bucketed_report(
    y_true: np.ndarray,
    scores: np.ndarray,
    thresholds: float | np.ndarray,
    masks: Mapping[Bucket, np.ndarray],
    ks: Sequence[int] = (5,),
    with_auc: bool = True,
) -> dict[str, dict[str, float]]:
    """``classification_report`` restricted to each bucket's columns, keyed by bucket name.

    Within a bucket, ranking metrics rank only that bucket's labels and average over documents
    that have a gold label of the bucket; ``n_labels`` counts the bucket's labels with gold.
    """
    y = np.asarray(y_true)
    s = np.asarray(scores)
    t = np.asarray(thresholds, dtype=np.float64)
    out: dict[str, dict[str, float]] = {}
    for bucket, mask in masks.items():
        if not mask.any():
            continue
        tb = t[mask] if t.ndim == 1 else float(t)
        out[str(bucket)] = classification_report(y[:, mask], s[:, mask], tb, ks=ks, with_auc=with_auc)
    return out
