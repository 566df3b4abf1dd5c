"""Put a model's scores and the gold codes of a split into one evaluation label space.

A coder scores only the labels it knows (its ``LabelSpace``); the evaluated split has gold codes
the model never saw. Metrics must count those as misses, so the evaluation space is the model's
labels followed by every other gold label of the split, and the model's score for those is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medcoder.data.records import CodeSystem, Document
from medcoder.models.base import Label, LabelSpace


def gold_labels(docs: Sequence[Document], systems: Sequence[CodeSystem] | None = None) -> list[Label]:
    """Distinct gold labels of ``docs`` (optionally of some systems), in first-seen order."""
    seen: dict[Label, None] = {}
    for doc in docs:
        for cl in doc.labels:
            if systems is None or cl.system in systems:
                seen.setdefault(Label(cl.system, cl.code), None)
    return list(seen)


def evaluation_space(
    model_space: LabelSpace, docs: Sequence[Document], systems: Sequence[CodeSystem] | None = None
) -> LabelSpace:
    """The model's labels, then the gold labels of ``docs`` that the model does not have."""
    extra = [lab for lab in gold_labels(docs, systems) if lab not in model_space]
    return LabelSpace([*model_space.labels, *sorted(extra, key=lambda lab: (lab.system.value, lab.code))])


def align_scores(scores: np.ndarray, model_space: LabelSpace, eval_space: LabelSpace) -> np.ndarray:
    """Scores ``[n_docs, len(eval_space)]``: the model's column where it has one, else 0."""
    s = np.asarray(scores, dtype=np.float32)
    if s.ndim != 2 or s.shape[1] != len(model_space):
        raise ValueError(f"scores have shape {s.shape}, expected [n_docs, {len(model_space)}]")
    out = np.zeros((s.shape[0], len(eval_space)), dtype=np.float32)
    src = [j for j, lab in enumerate(model_space.labels) if lab in eval_space]
    dst = [eval_space.index(model_space.labels[j]) for j in src]
    out[:, dst] = s[:, src]
    return out
