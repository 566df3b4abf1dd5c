"""Threshold tuning on a toy where the optimum is worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medcoder.metrics.thresholds import (
    DecisionThresholds,
    default_grid,
    tune_global_threshold,
    tune_thresholds,
)

# Two labels, four documents. A: positives 0.9, 0.72; negatives 0.22, 0.62.
# B: positive 0.35; negatives 0.28, 0.12, 0.05.
Y = np.array([[1, 1], [1, 0], [0, 0], [0, 0]])
S = np.array([[0.9, 0.35], [0.72, 0.28], [0.22, 0.12], [0.62, 0.05]])
GRID = np.round(np.linspace(0.0, 1.0, 11), 10)
KEYS = ["ICD-10-CM:A00", "ICD-10-CM:B00"]
# micro-F1 over the grid (strict >): 0.0 -> 6/11, 0.1 -> 6/10, 0.2 -> 6/9, 0.3 -> 6/7 (tp 3 fp 1),
# 0.4..0.6 -> 4/6, 0.7 -> 4/5, 0.8 -> 2/4: the best global threshold is 0.3.


def test_default_grid_has_100_values_in_unit_interval() -> None:
    g = default_grid()
    assert len(g) == 100 and g[0] == 0.0 and g[-1] == 1.0


def test_global_threshold_optimum() -> None:
    t, f1 = tune_global_threshold(Y, S, GRID)
    assert t == pytest.approx(0.3)
    assert f1 == pytest.approx(6 / 7)


def test_per_label_thresholds_need_enough_positives() -> None:
    th = tune_thresholds(Y, S, KEYS, min_positives=2, grid=GRID)
    assert th.global_threshold == pytest.approx(0.3)
    # A (2 positives) gets its own: F1 = 1 only at 0.7 (0.62 < t < 0.72); B (1 positive) falls back
    assert dict(th.per_label) == {"ICD-10-CM:A00": pytest.approx(0.7)}
    assert th.vector(KEYS).tolist() == pytest.approx([0.7, 0.3])
    assert th.vector(KEYS, per_label=False).tolist() == pytest.approx([0.3, 0.3])
    assert th.dev_micro_f1_global == pytest.approx(6 / 7)
    assert th.dev_micro_f1_per_label == pytest.approx(1.0)  # A: tp 2 fp 0, B: tp 1 fp 0


def test_per_label_ties_go_to_value_nearest_global() -> None:
    # With a 0.05 grid, A's F1 is 1 at 0.65 and 0.70; the global optimum is 0.3 -> pick 0.65.
    grid = np.round(np.linspace(0.0, 1.0, 21), 10)
    th = tune_thresholds(Y, S, KEYS, min_positives=2, grid=grid)
    assert th.global_threshold == pytest.approx(0.3)
    assert th.per_label["ICD-10-CM:A00"] == pytest.approx(0.65)


def test_json_round_trip(tmp_path: Path) -> None:
    th = tune_thresholds(Y, S, KEYS, min_positives=1, grid=GRID)
    path = tmp_path / "thresholds.json"
    th.save(path)
    back = DecisionThresholds.load(path)
    assert back == th
    # B's best value is the global 0.3 (F1 of B alone is 1 there), so only A gets an override
    assert set(back.per_label) == {"ICD-10-CM:A00"}


def test_invalid_thresholds_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DecisionThresholds(global_threshold=1.5)
    with pytest.raises(ValueError, match="global_threshold"):
        DecisionThresholds.from_dict({"per_label": {}})
    with pytest.raises(ValueError, match="disagree"):
        tune_thresholds(Y, S, KEYS[:1])


def test_per_label_thresholds_never_lower_dev_micro_f1() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((200, 30)) < np.linspace(0.02, 0.6, 30)).astype(int)
    s = np.clip(0.3 * y + rng.random((200, 30)) * 0.7, 0.0, 1.0)
    keys = [f"ICD-10-CM:X{j:02d}" for j in range(30)]
    th = tune_thresholds(y, s, keys, min_positives=5)
    assert th.per_label  # some labels moved
    assert th.dev_micro_f1_per_label >= th.dev_micro_f1_global
    pred = s > th.vector(keys)
    tp, fp, fn = (pred & (y == 1)).sum(), (pred & (y == 0)).sum(), (~pred & (y == 1)).sum()
    assert th.dev_micro_f1_per_label == pytest.approx(2 * tp / (2 * tp + fp + fn))
