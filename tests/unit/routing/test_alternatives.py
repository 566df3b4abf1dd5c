"""Alternatives come from the same ICD-10-CM category, best probability first."""

from __future__ import annotations

import numpy as np

from medcoder.routing.alternatives import AlternativeIndex


def test_same_category_ranked_by_probability():
    keys = [
        "ICD-10-CM:E11.9",
        "ICD-10-CM:E11.22",
        "ICD-10-CM:E11.65",
        "ICD-10-CM:I10",
        "CPT:99213",
        "ICD-10-CM:E10.9",
    ]
    idx = AlternativeIndex(keys)
    p = np.array([0.9, 0.2, 0.4, 0.8, 0.7, 0.6])
    alts = idx.alternatives(0, p)
    assert [a.code for a in alts] == ["E11.65", "E11.22"]  # E10.9 is another category
    assert alts[0].probability == 0.4
    assert idx.alternatives(3, p) == []  # I10: alone in its category
    assert idx.alternatives(4, p) == []  # CPT: no ICD-10-CM category
    assert [a.code for a in idx.alternatives(0, p, top_n=1, exclude=[2])] == ["E11.22"]
