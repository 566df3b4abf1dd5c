"""Denial monitoring: interval and correlation formulas on hand examples, grouping, spikes, the frame."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal

import pytest

from medcoder.claims.remitted import RemittedLine
from medcoder.monitoring.denials import (
    DenialSummary,
    attribute_spike,
    code_counts,
    confidence_bucket,
    denial_frame,
    denial_summary,
    diagnosis_key,
    line_codes,
    procedure_key,
)
from medcoder.monitoring.intervals import (
    fisher_z_interval,
    newcombe_interval,
    phi_coefficient,
    wilson_interval,
)
from medcoder.monitoring.records import ChartRow

Z = 1.959963984540054


def _line(enc: str, denied: bool, procedure: str = "99213", dx: tuple[str, ...] = (), version: str = "m1"):
    return RemittedLine(
        remit_line_id=0, claim_id=f"C-{enc}", encounter_id=enc, model_version=version, line_number=1,
        procedure=procedure, diagnoses=dx, charge=Decimal("10.00"), paid=Decimal("0.00" if denied else "10.00"),
        carcs=("97",) if denied else (), payment_status="1", received_at="2026-02-01", denied=denied,
    )  # fmt: skip


def _chart(doc: str, probabilities: tuple[float, ...], route: str = "review") -> ChartRow:
    return ChartRow(doc, "m1", "2026-01-01T00:00:00+00:00", route, tuple(f"ICD-10-CM:X{i}" for i in range(len(probabilities))), probabilities)  # fmt: skip


# --- formulas ---------------------------------------------------------------------------------


def test_wilson_matches_published_and_closed_form_values() -> None:
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    # 0/n: the lower bound is 0 and the upper z^2 / (n + z^2)
    assert wilson_interval(0, 20) == pytest.approx((0.0, Z**2 / (20 + Z**2)))
    # 3/4 written out: (p + z^2/2n -+ z sqrt(p q / n + z^2 / 4n^2)) / (1 + z^2/n)
    p, n = 3 / 4, 4
    centre, half = p + Z**2 / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    assert wilson_interval(3, 4) == pytest.approx(
        ((centre - half) / (1 + Z**2 / n), (centre + half) / (1 + Z**2 / n))
    )
    assert wilson_interval(0, 0) == (0.0, 1.0)  # nothing known


def test_newcombe_matches_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 - 48/80 = 0.2, method 10: 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert all(math.isnan(v) for v in newcombe_interval(1, 2, 0, 0))


def test_phi_of_a_two_by_two_table() -> None:
    # (ad - bc) / sqrt((a+b)(c+d)(a+c)(b+d)) = (400 - 600) / sqrt(30 * 70 * 40 * 60)
    assert phi_coefficient(10, 20, 30, 40) == pytest.approx(-200 / math.sqrt(30 * 70 * 40 * 60))
    assert phi_coefficient(5, 0, 0, 5) == 1.0
    assert math.isnan(phi_coefficient(0, 0, 3, 4))


def test_point_biserial_and_fisher_interval_on_five_lines() -> None:
    denied = (True, False, True, False, False)
    probs = (0.2, 0.9, 0.4, 0.8, 0.7)
    lines = [_line(f"d{i}", d) for i, d in enumerate(denied)]
    charts = {f"d{i}": _chart(f"d{i}", (p, 0.99)) for i, p in enumerate(probs)}
    # r_pb = (M1 - M0) / s * sqrt(p q): M1 = 0.3, M0 = 0.8, s^2 = 2.14 / 5 - 0.6^2 = 0.068, p q = 0.4 * 0.6
    r = (0.3 - 0.8) / math.sqrt(0.068) * math.sqrt(0.24)
    summary = denial_summary(lines, charts)
    assert summary.confidence.r == pytest.approx(r)
    assert summary.confidence.n == 5
    low, high = math.tanh(math.atanh(r) - Z / math.sqrt(2)), math.tanh(math.atanh(r) + Z / math.sqrt(2))
    assert (summary.confidence.low, summary.confidence.high) == pytest.approx((low, high))
    assert all(math.isnan(v) for v in fisher_z_interval(0.5, 3))


# --- keys and grouping ------------------------------------------------------------------------


def test_code_keys() -> None:
    assert procedure_key("99213") == "CPT:99213" and procedure_key("G0439") == "HCPCS:G0439"
    assert diagnosis_key("E119") == "ICD-10-CM:E11.9" and diagnosis_key("I10") == "ICD-10-CM:I10"
    assert diagnosis_key("E11.22") == "ICD-10-CM:E11.22"
    assert line_codes(_line("a", True, "99213", ("E119", "I10", "E119"))) == (
        "CPT:99213", "ICD-10-CM:E11.9", "ICD-10-CM:I10",
    )  # fmt: skip


def test_confidence_buckets_at_their_edges() -> None:
    got = [confidence_bucket(p) for p in (0.0, 0.49, 0.5, 0.69, 0.7, 0.9, 1.0, math.nan)]
    assert got == ["0.0-0.5", "0.0-0.5", "0.5-0.7", "0.5-0.7", "0.7-0.9", "0.9-1.0", "0.9-1.0", "none"]


def test_summary_groups_by_version_bucket_route_and_code() -> None:
    charts = {
        "a": _chart("a", (0.95, 0.3), "auto"),  # min 0.3
        "b": _chart("b", (0.92,), "review"),
        "c": _chart("c", (), "escalate"),  # no probabilities -> bucket none
        "d": _chart("d", (0.6,), "sideways"),  # unknown route
    }
    lines = [
        _line("a", True, "99213", ("E119",)), _line("a", False, "36415", ("E119", "I10")),
        _line("b", True, "99213", ("I10",), version="m2"), _line("b", False, "99213", (), version="m2"),
        _line("c", False, "G0439"), _line("d", True, "99213"), _line("zz", False, "99213"),  # no chart
    ]  # fmt: skip
    s = denial_summary(lines, charts, top_codes=3)
    assert (s.n_lines, s.n_denied, s.denial_rate) == (7, 3, 3 / 7)
    assert {k: (r.n, r.denied) for k, r in s.by_model_version.items()} == {"m1": (5, 2), "m2": (2, 1)}
    assert {k: (r.n, r.denied) for k, r in s.by_bucket.items()} == {
        "0.0-0.5": (2, 1), "0.5-0.7": (1, 1), "0.9-1.0": (2, 1), "none": (2, 0),
    }  # fmt: skip
    assert {k: (r.n, r.denied) for k, r in s.by_route.items()} == {
        "auto": (2, 1), "review": (2, 1), "escalate": (1, 0), "unknown": (2, 1),
    }  # fmt: skip
    # volumes: CPT:99213 5, ICD E11.9 2, ICD I10 2, CPT:36415 1, HCPCS:G0439 1 -> top 3, ties by key
    assert {k: (r.n, r.denied) for k, r in s.by_code.items()} == {
        "CPT:99213": (5, 3), "ICD-10-CM:E11.9": (2, 1), "ICD-10-CM:I10": (2, 1),
    }  # fmt: skip
    assert s.by_code["CPT:99213"].rate == 3 / 5
    assert (s.by_code["CPT:99213"].low, s.by_code["CPT:99213"].high) == pytest.approx(wilson_interval(3, 5))
    assert code_counts(lines)["HCPCS:G0439"] == (1, 0) and code_counts(lines)["CPT:36415"] == (1, 0)


def test_override_effect_and_json() -> None:
    # overridden charts: 3 of 4 lines denied; others: 1 of 4
    lines = [_line("o1", True), _line("o1", True), _line("o2", True), _line("o2", False)]
    lines += [_line("n1", True), _line("n1", False), _line("n2", False), _line("n2", False)]
    s = denial_summary(lines, {}, overridden={"o1", "o2"})
    eff = s.overrides
    assert (eff.overridden.n, eff.overridden.denied, eff.not_overridden.n, eff.not_overridden.denied) == (
        4,
        3,
        4,
        1,
    )
    assert eff.difference == 3 / 4 - 1 / 4
    assert (eff.low, eff.high) == pytest.approx(newcombe_interval(3, 4, 1, 4))
    assert eff.phi == pytest.approx((3 * 3 - 1 * 1) / math.sqrt(4 * 4 * 4 * 4))  # [[3, 1], [1, 3]]
    assert math.isnan(s.confidence.r)  # no charts, no probabilities
    out = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert out["n_lines"] == 8 and out["confidence"]["r"] is None
    assert out["by_bucket"]["none"]["n"] == 8 and out["by_route"]["unknown"]["denied"] == 4


def test_empty_summary_is_json_friendly() -> None:
    s = denial_summary([], {})
    assert isinstance(s, DenialSummary) and s.n_lines == 0 and math.isnan(s.denial_rate)
    out = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert out["denial_rate"] is None and out["overrides"]["difference"] is None


# --- spikes -----------------------------------------------------------------------------------

CODES = tuple(f"9{i:04d}" for i in range(30))
PER_CODE = 150


def _window(rng: random.Random, spike: str | None = None, spike_rate: float = 0.40, base: float = 0.05):
    return [
        _line(f"{code}-{i}", rng.random() < (spike_rate if code == spike else base), code)
        for code in CODES
        for i in range(PER_CODE)
    ]


def test_spike_on_one_code_is_found_and_nothing_else() -> None:
    rng = random.Random(20260201)
    reference, current = _window(rng), _window(rng, spike=CODES[7])
    spikes = attribute_spike(code_counts(current), code_counts(reference))
    assert [s.code for s in spikes] == ["CPT:" + CODES[7]]
    [spike] = spikes
    ref_n, ref_k = code_counts(reference)["CPT:" + CODES[7]]
    assert (spike.n_current, spike.n_reference) == (PER_CODE, ref_n) and spike.rate_reference == ref_k / ref_n
    assert spike.rate_current > 0.3 and spike.p_value <= spike.p_adjusted < 1e-6
    assert json.loads(json.dumps(spike.to_dict()))["code"] == "CPT:" + CODES[7]
    # the same through summaries (their top codes cover all 30)
    via_summary = attribute_spike(denial_summary(current, {}), denial_summary(reference, {}))
    assert [s.code for s in via_summary] == ["CPT:" + CODES[7]]


def test_same_distribution_rarely_spikes() -> None:
    false_positive_pairs = 0
    for seed in range(50):
        rng = random.Random(seed)
        false_positive_pairs += bool(attribute_spike(code_counts(_window(rng)), code_counts(_window(rng))))
    # BH at 0.05 under the global null flags a pair with probability <= 0.05 (Fisher is conservative)
    assert false_positive_pairs <= 5


def test_spike_needs_min_lines_in_both_windows() -> None:
    current = {"CPT:1": (19, 19), "CPT:2": (100, 50), "CPT:3": (100, 50)}
    reference = {"CPT:1": (100, 0), "CPT:2": (19, 0), "CPT:3": (100, 50)}
    assert attribute_spike(current, reference) == []
    assert [s.code for s in attribute_spike(current, reference, min_lines=10)] == ["CPT:1", "CPT:2"]
    assert attribute_spike({}, reference) == []


def test_spike_ignores_falling_rates() -> None:
    assert attribute_spike({"CPT:1": (100, 0)}, {"CPT:1": (100, 60)}) == []


# --- frame ------------------------------------------------------------------------------------


def test_denial_frame_columns_and_values() -> None:
    charts = {"a": _chart("a", (0.8, 0.6), "auto")}
    frame = denial_frame([_line("a", True, "G0439"), _line("b", False)], charts, overridden={"a"})
    assert list(frame.columns) == ["model_version", "denied", "min_probability", "bucket", "route", "procedure", "overridden"]  # fmt: skip
    assert frame["denied"].tolist() == [1, 0] and frame["overridden"].tolist() == [1, 0]
    assert frame["min_probability"].iloc[0] == 0.6 and math.isnan(frame["min_probability"].iloc[1])
    assert frame["bucket"].tolist() == ["0.5-0.7", "none"] and frame["route"].tolist() == ["auto", "unknown"]
    assert frame["procedure"].tolist() == ["HCPCS:G0439", "CPT:99213"] and frame.index.tolist() == [0, 1]


def test_denial_frame_is_bounded_seeded_and_in_input_order() -> None:
    lines = [_line(f"e{i:03d}", i % 2 == 0) for i in range(500)]
    small = denial_frame(lines, {}, max_rows=40, seed=3)
    again = denial_frame(lines, {}, max_rows=40, seed=3)
    assert len(small) == 40 and small.equals(again)
    positions = small.index.tolist()
    assert positions == sorted(positions) and len(set(positions)) == 40 and positions[-1] < 500
    assert small["denied"].tolist() == [int(i % 2 == 0) for i in positions]
    assert denial_frame(lines, {}, max_rows=40, seed=4).index.tolist() != small.index.tolist()
    assert len(denial_frame(lines, {}, max_rows=1000)) == 500
    with pytest.raises(ValueError, match="max_rows"):
        denial_frame(lines, {}, max_rows=0)
