"""Chart-level routing in the pipeline: the honest default, the certified threshold, the shift guard."""

from __future__ import annotations

import numpy as np

from medcoder.coding.result import RouteDecision, RuleFinding, Suggestion
from medcoder.coding.routing_step import ChartRoute, RouteInput, chart_signals
from medcoder.data.records import Document
from medcoder.routing.chart import ChartCertificate, ChartScorer, chart_features
from medcoder.routing.guarantee import ThresholdChoice
from medcoder.routing.shift import ShiftReference

TEXT = "ASSESSMENT: Essential hypertension, stable."
THRESHOLDS = np.full(4, 0.5)


def chart(probs: list[float], findings: tuple[RuleFinding, ...] = (), text: str = TEXT) -> RouteInput:
    sugs = [Suggestion(system="ICD-10-CM", code=f"C{i}", description="d", probability=p, model_probability=p,
                       threshold=0.5) for i, p in enumerate(probs)]  # fmt: skip
    raw = np.zeros(4)
    raw[: len(probs)] = probs
    raw[3] = 0.2  # a rejected candidate, far below its threshold
    return RouteInput(Document(id="d", text=text), raw, raw.copy(), sugs, [], list(findings),
                      list(range(len(probs))), [(12, 42)])  # fmt: skip


def certificate(threshold: float, reference: np.ndarray) -> ChartCertificate:
    choice = ThresholdChoice(threshold, 0.95, 0.05, "fixed_sequence", 80, 79, 0.951, 100, 101)
    return ChartCertificate(ChartScorer.independence(), choice, ShiftReference.fit(reference), "sim (100 charts)",
                            "sim", summary={"calibration_exact": 90})  # fmt: skip


def like(base: RouteInput, n: int = 200) -> np.ndarray:
    x = chart_features(chart_signals(base, THRESHOLDS))
    return x + np.random.default_rng(0).normal(scale=0.05, size=(n, len(x)))


def test_no_certificate_reviews_every_chart_and_says_why() -> None:
    out = ChartRoute(None, THRESHOLDS)(chart([0.99]))
    assert out.decision is RouteDecision.REVIEW
    assert out.reasons == ["no chart-level certification for this model: a coder reviews every chart"]


def test_certified_threshold_decides_auto_and_review() -> None:
    base = chart([0.95, 0.9])
    route = ChartRoute(certificate(0.5, like(base)), THRESHOLDS)
    out = route(base)  # independence score 0.95 * 0.9 * (1 - 0.2) = 0.684 >= 0.5
    assert out.decision is RouteDecision.AUTO and "0.684 >= certified 0.500" in out.reasons[0]
    strict = ChartRoute(certificate(0.9, like(base)), THRESHOLDS)(base)
    assert strict.decision is RouteDecision.REVIEW
    assert strict.reasons == ["P(chart exactly right) 0.684 below the certified threshold 0.900"]
    nothing = ChartRoute(certificate(float("inf"), like(base)), THRESHOLDS)(base)
    assert nothing.decision is RouteDecision.REVIEW and "no threshold certified on sim" in nothing.reasons[0]


def test_unlike_charts_go_to_review_and_errors_escalate() -> None:
    base = chart([0.95, 0.9])
    route = ChartRoute(certificate(0.5, like(base)), THRESHOLDS)
    long_note = chart([0.95, 0.9], text=TEXT + " Plan: walk daily." * 400)
    out = route(long_note)
    assert out.decision is RouteDecision.REVIEW and out.reasons[0].startswith("unlike the calibration data")
    err = RuleFinding(rule_id="NCCI.X", severity="error", codes=["C0"], message="m", source="s", version="v")
    esc = route(chart([0.95, 0.9], (err,)))
    assert esc.decision is RouteDecision.ESCALATE and esc.reasons[0] == "error finding: NCCI.X"
    assert route.monitor is not None and len(route.monitor._rows) == 2
