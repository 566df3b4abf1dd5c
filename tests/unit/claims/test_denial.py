"""Denial model: learns a planted denial pattern, is calibrated on later data, hand-checked helpers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from medcoder.claims.denial import DenialModel, evaluate_time_split, prebill_reason, reliability_table


def _history(n: int, seed: int) -> pd.DataFrame:
    """Lines where 97110 with payer B is denied 60% of the time (CO-197), everything else 5% (CO-16)."""
    rng = np.random.default_rng(seed)
    procedure = rng.choice(["99213", "97110", "93000", "36415"], size=n)
    payer = rng.choice(["A", "B"], size=n)
    risky = (procedure == "97110") & (payer == "B")
    denied = rng.random(n) < np.where(risky, 0.6, 0.05)
    start = dt.date(2026, 1, 1)
    return pd.DataFrame({
        "service_date": [start + dt.timedelta(days=int(d)) for d in np.sort(rng.integers(0, 300, size=n))],
        "claim_id": [f"c{i // 2}" for i in range(n)], "payer_id": payer, "procedure": procedure,
        "modifiers": [()] * n, "n_modifiers": 0, "units": 1.0, "charge": rng.uniform(20, 300, size=n),
        "principal_diagnosis": rng.choice(["E1122", "I10", "M545"], size=n), "n_diagnoses": 2,
        "denied": denied, "denial_carc": np.where(denied, np.where(risky, "197", "16"), ""),
    })  # fmt: skip


def test_time_split_finds_the_planted_pattern_and_beats_the_base_rate() -> None:
    model, evaluation = evaluate_time_split(_history(4000, seed=3), seed=0)
    assert evaluation.n_train == 2800 and evaluation.n_test == 1200
    # the ideal scorer's AUROC here is about 0.80 (risky share 1/8 at 0.6 vs 0.05)
    assert evaluation.auroc > 0.7
    assert evaluation.brier < evaluation.brier_baseline
    assert evaluation.carc_top1 > 0.6
    probe = pd.DataFrame({"procedure": ["97110", "99213"], "payer_id": ["B", "A"], "modifiers": [(), ()],
                          "n_modifiers": 0, "units": 1.0, "charge": 100.0, "principal_diagnosis": "I10",
                          "n_diagnoses": 2, "claim_id": ["x", "y"]})  # fmt: skip
    pred = model.predict(probe)
    assert 0.4 < pred["p_denied"].iloc[0] < 0.8 and pred["p_denied"].iloc[1] < 0.15
    assert pred["likely_carc"].iloc[0] == "197"


def test_claim_risk_is_the_noisy_or_of_its_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    model = DenialModel.fit(_history(800, seed=1))
    frame = pd.DataFrame({"claim_id": ["a", "a", "b"]})
    fixed = pd.DataFrame({"p_denied": [0.5, 0.2, 0.1], "likely_carc": ["16", "197", "16"]}, index=frame.index)
    monkeypatch.setattr(model, "predict", lambda _frame: fixed)
    risk = model.claim_risk(frame).set_index("claim_id")
    assert risk.loc["a", "p_denied"] == pytest.approx(1 - 0.5 * 0.8)
    assert risk.loc["a", "likely_carc"] == "16" and risk.loc["b", "p_denied"] == pytest.approx(0.1)


def test_fit_needs_both_outcomes_and_save_load_round_trips(tmp_path) -> None:
    history = _history(400, seed=2)
    with pytest.raises(ValueError, match="both denied and paid"):
        DenialModel.fit(history.assign(denied=False))
    model = DenialModel.fit(history)
    model.save(tmp_path, {"note": "test"})
    again = DenialModel.load(tmp_path)
    assert np.allclose(
        again.predict(history.head(20))["p_denied"], model.predict(history.head(20))["p_denied"]
    )


def test_reliability_bins_and_prebill_reason() -> None:
    bins = reliability_table([0, 1, 1, 0], [0.05, 0.15, 0.95, 1.0], bins=10)
    assert [(b.lower, b.n, b.observed) for b in bins] == [
        (0.0, 1, 0.0),
        (0.1, 1, 1.0),
        (pytest.approx(0.9), 2, 0.5),
    ]
    assert prebill_reason(0.29, "16") is None
    assert prebill_reason(0.5, "197") == "pre-bill check: denial risk 0.50 >= 0.30 (likely CARC 197)"
