"""Score fusion and the nearest-neighbour baseline, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.base import Label, LabelSpace
from medcoder.models.baselines import KnnConfig, TfidfKnnCoder, knn_scores
from medcoder.models.ensemble import (
    choose_fusion,
    fuse,
    reciprocal_ranks,
    simplex_grid,
    union_space,
)

CM = CodeSystem.ICD10CM


def test_reciprocal_ranks_by_hand() -> None:
    s = np.array([[0.2, 0.9, 0.0, 0.5]], dtype=np.float32)
    # ranks: col1 -> 1, col3 -> 2, col0 -> 3; col2 scored 0 -> no opinion
    rr = reciprocal_ranks(s, k=10, depth=10)
    assert rr[0] == pytest.approx([1 / 13, 1 / 11, 0.0, 1 / 12])
    # depth 1 keeps only the best code
    assert reciprocal_ranks(s, k=10, depth=1)[0] == pytest.approx([0.0, 1 / 11, 0.0, 0.0])


def test_fuse_prob_and_rrf_by_hand() -> None:
    a = np.array([[0.8, 0.1, 0.0]], dtype=np.float32)
    b = np.array([[0.0, 0.6, 0.3]], dtype=np.float32)
    assert fuse([a, b], (3, 1), "prob")[0] == pytest.approx([0.6, 0.225, 0.075])
    # rrf, k=1: a ranks col0 1st, col1 2nd; b ranks col1 1st, col2 2nd; then x (k + 1) = 2
    got = fuse([a, b], (0.5, 0.5), "rrf", k=1.0)[0]
    assert got == pytest.approx([2 * 0.5 * (1 / 2), 2 * (0.5 / 3 + 0.5 / 2), 2 * 0.5 / 3])
    with pytest.raises(ValueError, match="fusion"):
        fuse([a, b], (1, 1), "max")
    with pytest.raises(ValueError, match="weights"):
        fuse([a, b], (0, 0), "prob")
    with pytest.raises(ValueError, match="shape"):
        fuse([a, b[:, :2]], (1, 1), "prob")


def test_simplex_grid_counts_and_sums() -> None:
    assert simplex_grid(1, 4) == [(1.0,)]
    grid = simplex_grid(3, 4)
    assert len(grid) == 15  # C(4 + 2, 2)
    assert all(sum(w) == pytest.approx(1.0) and min(w) >= 0 for w in grid)
    assert len(set(grid)) == len(grid) and (0.25, 0.25, 0.5) in grid


def test_choose_fusion_finds_the_member_that_matches_the_objective() -> None:
    good = np.array([[0.9, 0.1], [0.2, 0.7]], dtype=np.float32)
    bad = good[:, ::-1].copy()
    target = np.array([[1, 0], [0, 1]])

    def hits(f: np.ndarray) -> float:  # share of rows whose best column is the target
        return float((f.argmax(axis=1) == target.argmax(axis=1)).mean())

    choice = choose_fusion([bad, good], hits, steps=4)
    assert choice.dev_map == 1.0 and choice.fusion == "prob"
    assert choice.weights[1] > choice.weights[0]  # first maximum in grid order
    assert choice.tried == 2 * 5


def test_union_space_keeps_first_seen_order() -> None:
    a = LabelSpace([Label(CM, "I10"), Label(CM, "E11.9")])
    b = LabelSpace([Label(CM, "E11.9"), Label(CM, "J45.909")])
    assert union_space([a, b]).keys() == [*a.keys(), "ICD-10-CM:J45.909"]


def test_knn_scores_by_hand() -> None:
    sims = np.array([[0.5, 0.25, 0.0, -0.3]])
    y = np.array([[1, 0], [1, 1], [0, 1], [0, 1]], dtype=np.float32)
    # k=2 keeps train docs 0 and 1 (weights 0.5, 0.25 -> shares 2/3, 1/3)
    assert knn_scores(sims, y, k=2, power=1.0)[0] == pytest.approx([1.0, 1 / 3])
    # power 2: weights 0.25, 0.0625 -> 0.8 / 0.2
    assert knn_scores(sims, y, k=2, power=2.0)[0] == pytest.approx([1.0, 0.2])
    # no similar neighbour at all: zero scores, not NaN
    assert knn_scores(np.zeros((1, 4)), y, k=2, power=1.0)[0] == pytest.approx([0.0, 0.0])


def test_knn_coder_finds_the_neighbours_code() -> None:
    def doc(i: str, text: str, *codes: str) -> Document:
        return Document(id=i, text=text, labels=tuple(CodeLabel(CM, c) for c in codes))

    train = [
        doc("a", "type 2 diabetes mellitus, glucose high on metformin", "E11.9"),
        doc("b", "diabetes follow up, glucose and metformin dose", "E11.9"),
        doc("c", "hypertension, blood pressure high on lisinopril", "I10"),
        doc("d", "blood pressure review, hypertension stable", "I10"),
    ]
    dev = [doc("x", "metformin and glucose review for diabetes", "E11.9")]
    coder = TfidfKnnCoder(KnnConfig(k_grid=(1, 2), power_grid=(1.0,), min_df=1))
    coder.fit(train, dev)
    scores = dict(zip(coder.label_space.keys(), coder.predict_scores(dev)[0], strict=True))
    assert scores["ICD-10-CM:E11.9"] > scores["ICD-10-CM:I10"]
    assert {"k", "power", "dev_map"} <= set(coder.fit_stats)
    with pytest.raises(ValueError, match="k_grid"):
        KnnConfig(k_grid=(0,))


def test_greedy_selection_by_hand() -> None:
    from medcoder.models.ensemble import greedy_selection

    a = np.array([[1.0, 0.0]])
    b = np.array([[0.0, 1.0]])

    def closeness(f: np.ndarray) -> float:  # best when the mean is [0.75, 0.25]
        return -float(np.abs(f - [[0.75, 0.25]]).sum())

    weights, score, tried = greedy_selection([a, b], closeness, rounds=4)
    # rounds: a (1.0, 0.0) -> a+b (0.5, 0.5) or a+a; ... the best mean is 3 a + 1 b
    assert weights == (0.75, 0.25) and score == pytest.approx(0.0) and tried == 8


def test_choose_fusion_switches_to_greedy_for_many_members() -> None:
    target = np.eye(3)[None, 0]  # column 0 is right
    members = [np.array([[0.2, 0.5, 0.3]]), np.array([[0.9, 0.05, 0.05]]), np.array([[0.1, 0.1, 0.8]])]

    def top1(f: np.ndarray) -> float:
        return float(f[0].argmax() == target[0].argmax())

    exhaustive = choose_fusion(members, top1, steps=4, fusions=("prob",), max_points=100)
    assert exhaustive.tried == 15 and exhaustive.dev_map == 1.0
    greedy = choose_fusion(members, top1, steps=4, fusions=("prob",), max_points=10)
    assert greedy.tried == 3 * 8 and greedy.dev_map == 1.0 and greedy.weights[1] == 1.0
