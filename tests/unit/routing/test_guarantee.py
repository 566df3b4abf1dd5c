"""The certified auto threshold: Clopper-Pearson values and coverage on simulated data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from medcoder.routing.guarantee import choose_threshold, clopper_pearson_lower, realised, risk_coverage


def test_clopper_pearson_values():
    # all n correct: the bound solves p^n = delta ("rule of 59": 59/59 certifies 0.95 at delta 0.05)
    assert clopper_pearson_lower(59, 59, 0.05) == pytest.approx(0.05 ** (1 / 59))
    assert clopper_pearson_lower(59, 59, 0.05) > 0.95 > clopper_pearson_lower(58, 58, 0.05)
    assert clopper_pearson_lower(95, 100, 0.05) == pytest.approx(beta.ppf(0.05, 95, 6))
    assert clopper_pearson_lower(0, 10, 0.05) == 0.0
    with pytest.raises(ValueError):
        clopper_pearson_lower(5, 4, 0.05)


def test_choice_matches_hand_computed_bound():
    # 60 units at confidence 0.9 all correct, 40 at 0.5 with 20 correct
    conf = np.r_[np.full(60, 0.9), np.full(40, 0.5)]
    correct = np.r_[np.ones(60), np.r_[np.ones(20), np.zeros(20)]].astype(bool)
    ch = choose_threshold(
        conf, correct, target=0.95, delta=0.05, candidates=[0.95, 0.9, 0.5, 0.0], min_accepted=0
    )
    assert ch.threshold == 0.9
    assert (ch.n_accepted, ch.n_correct) == (60, 60)
    assert ch.lower_bound == pytest.approx(0.05 ** (1 / 60))
    # at 0.5: 80/100 correct, bound far below 0.95 -> the sequence stops at 0.9


def test_nothing_certified_gives_infinite_threshold():
    ch = choose_threshold(np.full(20, 0.99), np.ones(20, dtype=bool), target=0.95, delta=0.05)
    assert ch.threshold == float("inf") and ch.n_accepted == 0  # 20/20 bounds only 0.05**(1/20) = 0.861


def test_guarantee_holds_on_simulated_calibrated_scorer():
    # c ~ U(0, 1) and P(correct | c) = c, so precision of {c >= t} is (1 + t) / 2: target 0.9 needs t >= 0.8
    rng = np.random.default_rng(0)
    reps, ok, finite = 300, 0, 0
    for _ in range(reps):
        c = rng.uniform(size=2000)
        z = rng.uniform(size=2000) < c
        t = choose_threshold(c, z, target=0.9, delta=0.1).threshold
        ok += (1 + min(t, 1.0)) / 2 >= 0.9
        finite += np.isfinite(t)
    assert ok / reps >= 0.9
    assert finite / reps > 0.9  # and it is not vacuous: it usually automates something


def test_bonferroni_is_stricter_than_fixed_sequence():
    rng = np.random.default_rng(1)
    c = rng.uniform(size=2000)
    z = rng.uniform(size=2000) < c
    fixed = choose_threshold(c, z, 0.9, 0.1).threshold
    bonf = choose_threshold(c, z, 0.9, 0.1, method="bonferroni").threshold
    assert bonf >= fixed
    prec, cov, n = realised(c, z, fixed)
    assert prec >= 0.9 and 0 < cov < 0.3 and n == int((c >= fixed).sum())


def test_risk_coverage_hand_values():
    cov, risk = risk_coverage(np.array([0.9, 0.8, 0.7, 0.1]), np.array([1, 0, 1, 1]))
    assert cov.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk.tolist() == pytest.approx([0.0, 0.5, 1 / 3, 0.25])


def test_two_sided_clopper_pearson_by_hand() -> None:
    from medcoder.routing.guarantee import clopper_pearson_interval

    lo, hi = clopper_pearson_interval(0, 10)  # upper bound solves (1 - p)^10 = 0.025
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10))
    lo, hi = clopper_pearson_interval(10, 10)  # lower bound solves p^10 = 0.025
    assert lo == pytest.approx(0.025 ** (1 / 10)) and hi == pytest.approx(1.0)
    assert clopper_pearson_interval(0, 0) == (0.0, 1.0)
