"""Calibration: ECE/Brier hand values, and calibration fixing a simulated mis-calibrated scorer."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.routing.calibration import (
    Calibrators,
    brier,
    expected_calibration_error,
    fit_calibrators,
    logit,
    reliability_diagram,
    sigmoid,
)


def test_ece_and_brier_hand_values():
    p = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0, 1, 1, 1])
    # bin of 0.1: half the cells, |0.1 - 0.5| = 0.4; bin of 0.9: half, |0.9 - 1| = 0.1
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    assert brier(p, y) == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)


def _overconfident(rng, n_docs, n_labels, temp=3.0):
    true_p = rng.beta(0.5, 4.0, size=(n_docs, n_labels))
    y = (rng.uniform(size=true_p.shape) < true_p).astype(float)
    scores = sigmoid(temp * logit(true_p))  # overconfident: logits stretched by 3
    return scores, y


def test_calibration_reduces_ece_on_fresh_data(tmp_path):
    rng = np.random.default_rng(0)
    keys = [f"ICD-10-CM:X{j}" for j in range(6)]
    s_fit, y_fit = _overconfident(rng, 3000, 6)
    s_new, y_new = _overconfident(rng, 3000, 6)
    for method in ("isotonic", "platt"):
        cal = fit_calibrators(s_fit, y_fit, keys, method=method)
        assert cal.temperature == pytest.approx(3.0, rel=0.15)
        before = expected_calibration_error(s_new, y_new)
        after = expected_calibration_error(cal.transform(s_new), y_new)
        assert after < before / 3
        assert brier(cal.transform(s_new), y_new) < brier(s_new, y_new)
    cal.save(tmp_path / "calibrators.json")
    again = Calibrators.load(tmp_path / "calibrators.json")
    assert np.allclose(again.transform(s_new), cal.transform(s_new))
    png = reliability_diagram(
        {"raw": (s_new, y_new), "cal": (cal.transform(s_new), y_new)}, tmp_path / "r.png"
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rare_codes_use_the_pooled_bucket_map():
    rng = np.random.default_rng(2)
    s, y = _overconfident(rng, 400, 3)
    y[:, 2] = 0
    y[0, 2] = 1  # one positive only: no per-code map
    keys = ["ICD-10-CM:A", "ICD-10-CM:B", "ICD-10-CM:C"]
    cal = fit_calibrators(s, y, keys, train_counts={"ICD-10-CM:A": 50, "ICD-10-CM:B": 50, "ICD-10-CM:C": 2})
    assert set(cal.per_code) == {"ICD-10-CM:A", "ICD-10-CM:B"}
    assert cal.label_bucket["ICD-10-CM:C"] == "few_shot" and "few_shot" in cal.per_bucket
    with pytest.raises(ValueError):
        fit_calibrators(s, y, keys, method="beta")
