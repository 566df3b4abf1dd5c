"""Alternatives: for a suggested code, the next-best codes of the same ICD-10-CM category.

A coder who disagrees with ``E11.9`` usually wants ``E11.22`` or ``E11.65``: the other codes of
category ``E11`` that the model scores, ranked by probability, so the switch is one click.
Codes of other systems (or unknown to ICD-10-CM) have no alternatives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True, slots=True)
class Alternative:
    key: str
    code: str
    probability: float


@lru_cache(maxsize=65536)
def _category(code: str) -> str | None:
    from medcoder.terminology.icd10cm import UnknownCodeError, get_icd10cm

    try:
        return get_icd10cm().category(code)
    except (UnknownCodeError, KeyError, ValueError):
        return None


class AlternativeIndex:
    """Label columns grouped by ICD-10-CM category, built once per label space."""

    def __init__(self, label_keys: Sequence[str]) -> None:
        self.keys = list(label_keys)
        self.category: list[str | None] = []
        self.members: dict[str, list[int]] = {}
        for j, key in enumerate(self.keys):
            system, _, code = key.partition(":")
            cat = _category(code) if system == "ICD-10-CM" else None
            self.category.append(cat)
            if cat is not None:
                self.members.setdefault(cat, []).append(j)

    def alternatives(
        self, column: int, probs: np.ndarray, top_n: int = 3, exclude: Sequence[int] = ()
    ) -> list[Alternative]:
        """Best ``top_n`` other codes of ``column``'s category by ``probs [n_labels]`` (``exclude``: columns to skip)."""
        cat = self.category[column]
        if cat is None:
            return []
        skip = {column, *exclude}
        cols = [j for j in self.members[cat] if j not in skip]
        cols.sort(key=lambda j: (-float(probs[j]), self.keys[j]))
        return [
            Alternative(self.keys[j], self.keys[j].partition(":")[2], float(probs[j])) for j in cols[:top_n]
        ]
