"""Matrix metrics against values computed by hand (see the comments for the arithmetic)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medcoder.metrics.multilabel import (
    auc,
    binarize,
    classification_report,
    mean_average_precision,
    precision_at_k,
    precision_recall_f1,
    recall_at_k,
)

# 3 documents x 4 labels; label 3 has no gold positive in this split.
Y = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32)
S = np.array([[0.9, 0.2, 0.4, 0.7], [0.1, 0.8, 0.3, 0.0], [0.3, 0.6, 0.5, 0.1]])
# At threshold 0.5 (strict >): predictions [[1,0,0,1],[0,1,0,0],[0,1,0,0]]
# label 0: tp 1 fp 0 fn 1 | label 1: tp 1 fp 1 fn 0 | label 2: tp 0 fp 0 fn 1 | label 3: fp 1


def test_binarize_is_strict() -> None:
    assert binarize(S, 0.5).sum() == 4  # 0.5 itself (doc 3, label 2) is not above 0.5
    per_label = binarize(S, np.array([0.0, 1.0, 1.0, 1.0]))
    assert per_label[:, 0].tolist() == [True, True, True] and per_label[:, 1:].sum() == 0


def test_micro_prf() -> None:
    p, r, f1 = precision_recall_f1(Y, binarize(S, 0.5), "micro")
    assert (p, r, f1) == pytest.approx((2 / 4, 2 / 4, 2 / 4))  # tp 2, fp 2, fn 2


def test_macro_prf_over_labels_with_gold() -> None:
    p, r, f1 = precision_recall_f1(Y, binarize(S, 0.5), "macro")
    assert p == pytest.approx((1 + 0.5 + 0) / 3)
    assert r == pytest.approx((0.5 + 1 + 0) / 3)
    assert f1 == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)  # per label 2tp/(2tp+fp+fn)


def test_macro_prf_over_all_labels() -> None:
    p, r, f1 = precision_recall_f1(Y, binarize(S, 0.5), "macro", macro_labels="all")
    assert p == pytest.approx(1.5 / 4)
    assert r == pytest.approx(1.5 / 4)
    assert f1 == pytest.approx((4 / 3) / 4)


def test_precision_recall_at_k() -> None:
    # rankings: d1 L0 L3 L2 L1 | d2 L1 L2 L0 L3 | d3 L1 L2 L0 L3
    assert precision_at_k(Y, S, 1) == pytest.approx(2 / 3)
    assert precision_at_k(Y, S, 2) == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)
    assert recall_at_k(Y, S, 2) == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert recall_at_k(Y, S, 4) == pytest.approx(1.0)


def test_ranking_metrics_skip_documents_without_gold() -> None:
    y = np.vstack([Y, np.zeros((1, 4))])
    s = np.vstack([S, np.ones((1, 4))])
    assert precision_at_k(y, s, 1) == pytest.approx(2 / 3)
    assert mean_average_precision(y, s) == pytest.approx(mean_average_precision(Y, S))


def test_matrix_map() -> None:
    # d1: hits at ranks 1 and 3 -> (1 + 2/3)/2; d2: rank 1 -> 1; d3: rank 3 -> (1/3)/1
    assert mean_average_precision(Y, S) == pytest.approx((5 / 6 + 1 + 1 / 3) / 3)


def test_auc_micro_and_macro() -> None:
    # macro: label 0 -> 1, label 1 -> 1, label 2 -> pos 0.4 vs neg 0.3, 0.5 -> 1/2; label 3 skipped
    assert auc(Y, S, "macro") == pytest.approx((1 + 1 + 0.5) / 3)
    # micro: 4 positives x 8 negatives; wins 8 + 8 + 5 + 4.5 (0.3 ties 0.3) = 25.5
    assert auc(Y, S, "micro") == pytest.approx(25.5 / 32)
    assert math.isnan(auc(np.zeros((2, 2)), np.ones((2, 2)), "micro"))


def test_classification_report_names_and_values() -> None:
    rep = classification_report(Y, S, 0.5, ks=(1, 2))
    assert rep["micro_f1"] == pytest.approx(0.5)
    assert rep["macro_f1"] == pytest.approx(4 / 9)
    assert rep["precision_at_1"] == pytest.approx(2 / 3)
    assert rep["n_labels"] == 3 and rep["n_docs"] == 3 and rep["n_gold"] == 4


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="one shape"):
        precision_at_k(Y, S[:, :3], 1)
    with pytest.raises(ValueError, match="thresholds"):
        binarize(S, np.array([0.5, 0.5]))
