"""Calibration and routing as the coding pipeline sees them: two named callables.

``Calibrate`` maps raw model probabilities ``[n_docs, n_labels]`` to calibrated ones; ``Route``
maps a finished chart (:class:`RouteInput`: document, raw and calibrated scores, suggestions,
suppressed codes, findings) to auto / review / escalate with reasons. The model directory's own
calibrators, router and certified policy (``medcoder.routing``, written by ``medcoder calibrate``)
are used when the bundle has them (:func:`bundle_hooks`); otherwise :func:`identity_calibration`
and :func:`threshold_route`, an explicit, documented policy.

With a router, the chart is shown to it as it was trained: features from
``medcoder.routing.features.build_batch`` over the raw and calibrated scores, rule features from
``rule_feature_counts`` (the function router fitting uses). Codes the pipeline suppressed on
assertion grounds are taken out of the chart first and, if any, force review with their own reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.coding.result import RouteDecision, RouteResult, RuleFinding, Suggestion, Suppressed
from medcoder.data.records import Document
from medcoder.models.bundle import ModelBundle
from medcoder.models.index_bundle import IndexBundle
from medcoder.routing.chart import ChartCertificate, ChartSignals, chart_features, synthetic_guard
from medcoder.routing.features import RULE_FEATURE_EXCLUDED, build_batch, counts_vector, rule_feature_counts
from medcoder.routing.policy import ChartInput, CodeCandidate, route_chart
from medcoder.routing.shift import ShiftMonitor, ShiftReference

SHIFT_ALPHA = 0.01
"""A chart whose conformal shift p-value against the calibration charts is below this goes to review."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteInput:
    """One coded chart as routing sees it; ``raw``/``calibrated`` are ``[n_labels]`` for this chart."""

    document: Document
    raw: np.ndarray
    calibrated: np.ndarray
    suggestions: Sequence[Suggestion]
    suppressed: Sequence[Suppressed]
    findings: Sequence[RuleFinding]
    suggested_columns: Sequence[int] = ()
    evidence: Sequence[tuple[int, int]] = ()
    """Every kept code's evidence span (kept even when the request asked for no evidence)."""


Calibrate = Callable[[np.ndarray], np.ndarray]
Route = Callable[[RouteInput], RouteResult]


def identity_calibration(probs: np.ndarray) -> np.ndarray:
    """No calibrator in the model directory: probabilities pass through unchanged."""
    return probs


def suppressed_reason(suppressed: Sequence[Suppressed]) -> str:
    """One review reason naming each code suppressed on assertion grounds and why."""
    return "suppressed (" + ", ".join(f"{s.code}: {s.assertion.value}" for s in suppressed) + ")"


def warning_reasons(findings: Sequence[RuleFinding]) -> list[str]:
    return [f"warning finding: {w}" for w in sorted({f.rule_id for f in findings if f.severity == "warning"})]


def threshold_route(auto_min_probability: float) -> Route:
    """The fallback routing policy.

    - escalate: an error finding (the claim would be rejected as coded);
    - review: no suggestion; a suggestion under ``auto_min_probability``; a warning finding; a code
      suppressed because its only evidence was negated/historical/family/hypothetical; a CDI query;
    - auto: none of the above.
    """

    def route(chart: RouteInput) -> RouteResult:
        suggestions, suppressed, findings = chart.suggestions, chart.suppressed, chart.findings
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            ids = sorted({f.rule_id for f in errors})
            return RouteResult(decision=RouteDecision.ESCALATE, reasons=[f"error finding: {i}" for i in ids])
        reasons: list[str] = []
        if not suggestions:
            reasons.append("no code passed its decision threshold")
        low = [s.code for s in suggestions if s.probability < auto_min_probability]
        if low:
            reasons.append(f"probability below {auto_min_probability:.2f} for {', '.join(low)}")
        reasons += warning_reasons(findings)
        if suppressed:
            reasons.append(suppressed_reason(suppressed))
        if any(f.rule_id.startswith("CDI.") for f in findings):
            reasons.append("CDI query drafted")
        if reasons:
            return RouteResult(decision=RouteDecision.REVIEW, reasons=reasons)
        return RouteResult(
            decision=RouteDecision.AUTO,
            reasons=[f"all codes at or above {auto_min_probability:.2f}, no rule findings to act on"],
        )

    return route


def chart_signals(chart: RouteInput, thresholds: np.ndarray) -> ChartSignals:
    """What the chart scorer reads, from a finished chart (the function certification uses too)."""
    kept = set(chart.suggested_columns)
    rejected = [j for j in np.flatnonzero(chart.raw > 0) if j not in kept and chart.raw[j] < thresholds[j]]
    counted = [f for f in chart.findings if not f.rule_id.startswith(RULE_FEATURE_EXCLUDED)]
    return ChartSignals(
        text=chart.document.text,
        code_probs=tuple(s.probability for s in chart.suggestions),
        code_thresholds=tuple(s.threshold for s in chart.suggestions),
        evidence=tuple(chart.evidence),
        rejected_probs=tuple(float(chart.calibrated[j]) for j in rejected),
        rejected_thresholds=tuple(float(thresholds[j]) for j in rejected),
        n_suppressed=len(chart.suppressed),
        rule_errors=sum(f.severity == "error" for f in counted),
        rule_warnings=sum(f.severity == "warning" for f in counted),
        cdi_queries=sum(f.rule_id.startswith("CDI.") for f in chart.findings),
    )


class ChartRoute:
    """Chart-level routing with a certified P(chart exactly right) threshold and a shift guard.

    - escalate: an error finding (the claim would be rejected as coded);
    - review: no certificate, or one that certified no threshold (the honest default: a model whose
      charts were never shown to be right is never trusted alone); the chart is unlike the
      calibration charts (conformal p-value < ``ood_alpha``); its score is under the certified
      threshold; no code; a suppressed code; a warning finding;
    - auto: none of the above. Every reason is spelled out for the coder.
    """

    def __init__(self, certificate: ChartCertificate | None, thresholds: np.ndarray, window: int = 200):
        self.certificate = certificate
        self.thresholds = thresholds
        self.monitor = ShiftMonitor(certificate.shift, window=window) if certificate is not None else None

    def describe(self) -> str:
        c = self.certificate
        if c is None:
            return "chart routing: no chart-level certification (every chart to review)"
        t = c.choice.threshold
        cut = f"P(chart exact) >= {t:.3f}" if c.certified else "no certified threshold"
        return f"chart routing ({c.scorer.kind}): {cut}, calibrated on {c.calibration_set}"

    @staticmethod
    def gates(chart: RouteInput) -> tuple[list[str], list[str]]:
        """(escalation reasons, review reasons) that hold whatever the chart's score: rule errors;
        no code, warning findings, suppressed codes. Certification treats such charts as never auto."""
        errors = sorted({f.rule_id for f in chart.findings if f.severity == "error"})
        review = [] if chart.suggestions else ["no code passed its decision threshold"]
        review += warning_reasons(chart.findings)
        if chart.suppressed:
            review.append(suppressed_reason(chart.suppressed))
        return [f"error finding: {i}" for i in errors], review

    def __call__(self, chart: RouteInput) -> RouteResult:
        return self.decide(chart)[1]

    def decide(self, chart: RouteInput) -> tuple[np.ndarray, RouteResult]:
        """The chart's router features and its route (certification records both)."""
        x = chart_features(chart_signals(chart, self.thresholds))
        escalate, gates = self.gates(chart)
        reasons: list[str] = []
        c = self.certificate
        score = float("nan")
        if c is None:
            reasons.append("no chart-level certification for this model: a coder reviews every chart")
        else:
            if self.monitor is not None:
                self.monitor.observe(x)
            score = float(c.scorer.score(x)[0])
            synthetic = synthetic_guard(c.summary.get("calibration_sources", ()), chart.document.source)
            if synthetic:
                reasons.append(synthetic)
            p_ood = float(c.shift.p_value(x)[0])
            if p_ood < c.ood_alpha:
                reasons.append(f"unlike the calibration data (shift p-value {p_ood:.3f} < {c.ood_alpha})")
            g = c.choice
            if not c.certified:
                reasons.append(
                    f"P(chart exactly right) {score:.3f}; no threshold certified on {c.calibration_set} "
                    f"({c.summary.get('calibration_exact', '?')} of {g.n_units} calibration charts exactly "
                    f"right; {g.target:.0%} needed with confidence {1 - g.delta:.0%})"
                )
            elif score < g.threshold:
                reasons.append(
                    f"P(chart exactly right) {score:.3f} below the certified threshold {g.threshold:.3f}"
                )
        if escalate:
            return x, RouteResult(decision=RouteDecision.ESCALATE, reasons=escalate + reasons + gates)
        if reasons or gates:
            return x, RouteResult(decision=RouteDecision.REVIEW, reasons=reasons + gates)
        assert c is not None
        g = c.choice
        return x, RouteResult(
            decision=RouteDecision.AUTO,
            reasons=[f"P(chart exactly right) {score:.3f} >= certified {g.threshold:.3f} (lower bound "
                     f"{g.lower_bound:.3f} on {g.n_accepted} of {g.n_units} charts of {c.calibration_set})"],
        )  # fmt: skip


def bundle_hooks(model: ModelBundle | IndexBundle, fallback_auto_min: float) -> tuple[Calibrate, Route, str]:
    """(calibrate, route, description) for ``model``; fallbacks when it was never calibrated."""
    if isinstance(model, IndexBundle):
        chart_route = ChartRoute(model.chart_routing, model.threshold_vector)
        return identity_calibration, chart_route, chart_route.describe()
    if model.routing is None:
        log.info("model directory has no routing.json: identity calibration, threshold routing")
        return identity_calibration, threshold_route(fallback_auto_min), "identity+threshold_route"
    parts = model.routing
    calibrators, router, policy, use_rules = parts.calibrators, parts.router, parts.policy, parts.use_rules
    sources = tuple(parts.summary.get("calibration_sources", ()))
    keys = model.label_space.keys()
    counts = counts_vector(keys, calibrators.train_counts)
    thresholds = model.threshold_vector
    shift = (
        ShiftReference.from_dict(parts.summary["shift_reference"])
        if "shift_reference" in parts.summary
        else None
    )

    def calibrate(raw: np.ndarray) -> np.ndarray:
        return calibrators.transform(raw, keys)

    def route(chart: RouteInput) -> RouteResult:
        raw = chart.raw.copy()
        keep = np.zeros(len(raw), dtype=bool)
        keep[list(chart.suggested_columns)] = True
        raw[(raw >= thresholds) & ~keep] = 0.0  # suppressed or capped codes are not part of the chart
        fx = rule_feature_counts(chart.findings) if use_rules else (0, 0, 0)
        batch = build_batch(raw[None, :], chart.calibrated[None, :], thresholds, counts, [chart.document], [fx],
                            few_shot_max=policy.few_shot_max)  # fmt: skip
        p_chart, p_code = router.predict(batch)
        conf = p_code if policy.confidence == "router" else chart.calibrated[batch.code_label]
        codes = tuple(CodeCandidate(keys[j], float(c), bool(counts[j] <= 0))
                      for j, c in zip(batch.code_label, conf, strict=True))  # fmt: skip
        findings = tuple(chart.findings) if use_rules else ()  # as the router was certified
        decision = route_chart(ChartInput(codes, float(p_chart[0]), findings, chart.document.doc_type,
                                          chart.document.payer), policy)  # fmt: skip
        reasons = [r.message + (f" ({', '.join(r.codes)})" if r.codes else "") for r in decision.reasons]
        out = RouteDecision(decision.route.value)
        synthetic = synthetic_guard(sources, chart.document.source)
        if synthetic:
            reasons.append(synthetic)
            if out is RouteDecision.AUTO:
                out = RouteDecision.REVIEW
        p_ood = float(shift.p_value(batch.chart_x)[0]) if shift is not None else 0.0
        if p_ood < SHIFT_ALPHA:
            reasons.append(
                f"unlike the calibration data (shift p-value {p_ood:.3f} < {SHIFT_ALPHA})"
                if shift is not None
                else "no shift reference saved with the calibration (recalibrate): not trusted alone"
            )
            if out is RouteDecision.AUTO:
                out = RouteDecision.REVIEW
        if chart.suppressed:
            reasons.append(suppressed_reason(chart.suppressed))
            if out is RouteDecision.AUTO:
                out = RouteDecision.REVIEW
        return RouteResult(decision=out, reasons=reasons)

    desc = f"calibrators ({calibrators.method}) + router, auto threshold {policy.auto_threshold:.3f}"
    return calibrate, route, desc
