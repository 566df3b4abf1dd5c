"""The contract every coder (neural model or baseline) follows, and the label space it scores.

A coder maps documents to a score matrix ``[n_docs, n_labels]`` of probabilities in [0, 1], one
column per entry of its ``LabelSpace``. Benchmarks, threshold tuning, calibration and serving
only rely on this contract, so baselines and neural models run in the same harness.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from medcoder.data.records import CodeSystem, Document


@dataclass(frozen=True, slots=True)
class Label:
    """One output column: a code in a code system."""

    system: CodeSystem
    code: str

    @property
    def key(self) -> str:
        """Stable text key, e.g. ``ICD-10-CM:E11.22``."""
        return f"{self.system.value}:{self.code}"

    @classmethod
    def from_key(cls, key: str) -> Label:
        system, sep, code = key.partition(":")
        if not sep or not code:
            raise ValueError(f"label key must look like 'ICD-10-CM:E11.22', got {key!r}")
        return cls(CodeSystem(system), code)


class LabelSpace:
    """An ordered list of labels with O(1) index lookup and multi-hot encoding."""

    def __init__(self, labels: Iterable[Label]) -> None:
        self.labels: tuple[Label, ...] = tuple(labels)
        self._index = {lab: i for i, lab in enumerate(self.labels)}
        if len(self._index) != len(self.labels):
            raise ValueError("LabelSpace labels must be unique")

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, label: object) -> bool:
        return label in self._index

    def index(self, label: Label) -> int:
        return self._index[label]

    @classmethod
    def from_documents(
        cls, docs: Iterable[Document], systems: Sequence[CodeSystem] | None = None, min_count: int = 1
    ) -> LabelSpace:
        """Labels seen in ``docs`` (optionally only some systems, at least ``min_count`` documents), sorted."""
        counts: dict[Label, int] = {}
        for doc in docs:
            for lab in {Label(cl.system, cl.code) for cl in doc.labels}:
                if systems is None or lab.system in systems:
                    counts[lab] = counts.get(lab, 0) + 1
        kept = [lab for lab, c in counts.items() if c >= min_count]
        return cls(sorted(kept, key=lambda lab: (lab.system.value, lab.code)))

    def keys(self) -> list[str]:
        return [lab.key for lab in self.labels]

    @classmethod
    def from_keys(cls, keys: Iterable[str]) -> LabelSpace:
        return cls(Label.from_key(k) for k in keys)

    def encode(self, docs: Sequence[Document]) -> np.ndarray:
        """Multi-hot gold matrix ``[n_docs, n_labels]`` (float32); codes outside the space are ignored."""
        y = np.zeros((len(docs), len(self.labels)), dtype=np.float32)
        for row, doc in enumerate(docs):
            for cl in doc.labels:
                j = self._index.get(Label(cl.system, cl.code))
                if j is not None:
                    y[row, j] = 1.0
        return y


@runtime_checkable
class Coder(Protocol):
    """What every model and baseline provides."""

    label_space: LabelSpace

    def fit(self, train: Sequence[Document], dev: Sequence[Document]) -> None:
        """Learn from ``train``; ``dev`` may be used for early stopping only."""
        ...

    def predict_scores(self, docs: Sequence[Document]) -> np.ndarray:
        """Probabilities ``[len(docs), len(label_space)]`` in [0, 1]."""
        ...
