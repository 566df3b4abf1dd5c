"""The shift guard: conformal per-chart p-values, the classifier two-sample test, the window monitor."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.routing.shift import ShiftMonitor, ShiftReference, two_sample_test


def test_reference_by_hand() -> None:
    x = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [10.0, 1.0]])
    ref = ShiftReference.fit(x)
    assert ref.center.tolist() == [2.0, 1.0]
    # column 0: MAD = median(|x - 2|) = 1 -> 1.4826; column 1 is constant: the floor 1e-3
    assert ref.scale[0] == pytest.approx(max(1.4826, 0.1 * x[:, 0].std())) and ref.scale[1] == 1e-3
    # the row at the centre is the closest: every calibration distance is >= its own
    assert ref.p_value(np.array([[2.0, 1.0]]))[0] == pytest.approx(6 / 6)
    # farther than every calibration row: (1 + 0) / (5 + 1)
    assert ref.p_value(np.array([[100.0, 1.0]]))[0] == pytest.approx(1 / 6)


def test_p_values_are_uniform_on_like_charts_and_small_on_shifted_ones() -> None:
    rng = np.random.default_rng(0)
    ref = ShiftReference.fit(rng.normal(size=(500, 6)))
    like = ref.p_value(rng.normal(size=(4000, 6)))
    assert abs(float(np.mean(like < 0.05)) - 0.05) < 0.02
    shifted = ref.p_value(rng.normal(loc=3.0, size=(500, 6)))
    assert float(np.mean(shifted < 0.01)) > 0.9


def test_two_sample_test_sees_a_shift_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(300, 5))
    same = two_sample_test(reference, rng.normal(size=(200, 5)))
    assert not same.shifted and 0.35 < same.accuracy < 0.65 and same.n_window == 200
    moved = rng.normal(size=(200, 5))
    moved[:, 2] += 1.5
    shift = two_sample_test(reference, moved)
    assert shift.shifted and shift.accuracy > 0.7 and shift.p_value < 1e-6
    assert shift.to_dict()["test"] == "classifier_two_sample"
    with pytest.raises(ValueError, match="same k"):
        two_sample_test(reference, moved[:, :3])


def test_monitor_tests_each_full_window() -> None:
    rng = np.random.default_rng(2)
    monitor = ShiftMonitor(ShiftReference.fit(rng.normal(size=(100, 3))), window=20)
    results = [monitor.observe(row) for row in rng.normal(loc=4.0, size=(45, 3))]
    done = [r for r in results if r is not None]
    assert len(done) == 2 and results[19] is done[0] and results[39] is done[1]
    assert monitor.windows_tested == 2 and monitor.windows_shifted == 2 and monitor.last is done[1]
    assert monitor.drain() == done and monitor.drain() == []
