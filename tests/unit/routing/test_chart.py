"""Chart-level routing: features by hand, the scorer, certification, and the guarantee in simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medcoder.routing.chart import (
    CHART_FEATURES,
    ChartCertificate,
    ChartScorer,
    ChartSignals,
    certify_charts,
    chart_features,
    unexplained_statements,
)
from medcoder.routing.guarantee import choose_threshold

NOTE = (
    "ASSESSMENT: Type 2 diabetes with CKD stage 3a. Essential hypertension, stable. No chest pain.\n"
    "PLAN: Follow up in 3 months."
)


def test_unexplained_statements_by_hand() -> None:
    # affirmed assessment clauses: the diabetes one (covered by 12-44), hypertension, the follow-up;
    # "No chest pain" is negated and not counted
    assert unexplained_statements(NOTE, [(12, 44)]) == (2, 3)
    assert unexplained_statements(NOTE, []) == (3, 3)
    assert unexplained_statements("HPI: cough for two days.", []) == (0, 0)


def test_chart_features_by_hand() -> None:
    s = ChartSignals(
        NOTE, (0.9, 0.6), (0.5, 0.5), ((12, 44),), (0.4,), (0.5,), n_suppressed=1, rule_warnings=2
    )
    x = dict(zip(CHART_FEATURES, chart_features(s), strict=True))
    assert x["n_codes"] == 2 and x["n_rejected"] == 1 and x["n_suppressed"] == 1 and x["rule_warnings"] == 2
    assert x["min_p"] == pytest.approx(0.6) and x["mean_p"] == pytest.approx(0.75)
    assert x["log_p_set"] == pytest.approx(math.log(0.9) + math.log(0.6) + math.log(0.6))
    assert x["n_near"] == 2  # 0.6 is 0.1 above its threshold, 0.4 is 0.1 below its own
    assert (x["n_unexplained"], x["n_assessment"]) == (2, 3)
    assert x["log_chars"] == pytest.approx(math.log1p(len(NOTE)))
    empty = dict(zip(CHART_FEATURES, chart_features(ChartSignals("", (), (), ())), strict=True))
    assert empty["n_codes"] == 0 and empty["min_p"] == 0.0 and empty["log_p_set"] == 0.0


def _charts(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Charts whose exactness depends on log_p_set only: P(exact) = exp(log_p_set)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, len(CHART_FEATURES)))
    x[:, CHART_FEATURES.index("log_p_set")] = np.log(rng.uniform(0.01, 1.0, n))
    x[:, CHART_FEATURES.index("n_codes")] = rng.integers(1, 6, n)
    y = rng.uniform(size=n) < np.exp(x[:, CHART_FEATURES.index("log_p_set")])
    return x, y


def test_scorer_falls_back_to_independence_with_few_exact_charts() -> None:
    x, _ = _charts(50, 0)
    y = np.zeros(50, dtype=bool)
    y[:3] = True
    scorer = ChartScorer.fit(x, y)
    assert scorer.kind == "independence"
    assert scorer.score(x) == pytest.approx(np.exp(x[:, CHART_FEATURES.index("log_p_set")]))


def test_logistic_scorer_learns_and_round_trips() -> None:
    x, y = _charts(400, 1)
    scorer = ChartScorer.fit(x, y)
    assert scorer.kind == "logistic"
    s = scorer.score(x)
    assert s[y].mean() > s[~y].mean() + 0.2
    again = ChartScorer.from_dict(scorer.to_dict())
    assert again.score(x) == pytest.approx(s)


def test_certification_certifies_good_charts_and_never_gated_ones(tmp_path) -> None:
    x_fit, y_fit = _charts(400, 2)
    x_cal, y_cal = _charts(600, 3)
    gated = np.zeros(600, dtype=bool)
    gated[::2] = True
    cert = certify_charts(
        x_fit, y_fit, x_cal, y_cal, gated, calibration_set="sim", fit_set="sim", target=0.75, min_accepted=50
    )
    assert cert.certified
    assert cert.summary["calibration_gated"] >= 300
    # the certified set is the ungated, in-distribution charts scoring at or above the threshold
    s = cert.scorer.score(x_cal)
    ok = ~gated & (cert.shift.p_value(x_cal) >= cert.ood_alpha) & (s >= cert.choice.threshold)
    assert cert.choice.n_accepted == int(ok.sum()) and cert.choice.n_correct == int(y_cal[ok].sum())
    cert.save(tmp_path)
    back = ChartCertificate.load(tmp_path)
    assert back.choice.threshold == cert.choice.threshold and back.calibration_set == "sim"
    assert back.shift.p_value(x_cal[:5]) == pytest.approx(cert.shift.p_value(x_cal[:5]))


def test_nothing_certified_when_charts_are_rarely_right() -> None:
    x, _ = _charts(300, 4)
    y = np.zeros(300, dtype=bool)
    y[:2] = True
    cert = certify_charts(x, y, x, y, calibration_set="sim", fit_set="sim")
    assert not cert.certified and cert.choice.n_accepted == 0


@pytest.mark.parametrize("delta", [0.05, 0.2])
def test_chart_guarantee_holds_in_simulation(delta: float) -> None:
    """1,000 calibration draws from a known distribution: scores s ~ U(0, 1), P(exact | s) = s, so
    the true precision of accepting s >= t is (1 + t) / 2 and reaches target 0.9 exactly when
    t >= 0.8. The certified threshold may fall below 0.8 in at most a delta share of draws."""
    rng = np.random.default_rng(7)
    target, draws, n = 0.9, 1000, 2000
    violations = certified = 0
    for _ in range(draws):
        s = rng.uniform(size=n)
        exact = rng.uniform(size=n) < s
        t = choose_threshold(s, exact, target, delta, min_accepted=100).threshold
        certified += bool(np.isfinite(t))
        violations += bool(np.isfinite(t) and (1 + t) / 2 < target)
    assert violations / draws <= delta
    assert certified / draws > 0.5  # the test is not vacuous: most draws certify something


def test_synthetic_only_calibration_never_trusts_a_real_note() -> None:
    from medcoder.routing.chart import synthetic_guard

    assert synthetic_guard(["synthetic"], "text") is not None
    assert synthetic_guard(["synthetic"], "synthetic") is None
    assert synthetic_guard(["synthetic", "codiesp"], "text") is None  # real charts were in the calibration
    assert synthetic_guard([], "text") is None
