"""Use the model directory's calibrators, router and certified policy (``medcoder.routing``) in serving.

``medcoder calibrate`` writes ``calibrators.json``, ``router.safetensors``/``router.json`` and
``routing.json`` into the model directory. This adapter turns them into the pipeline's two hooks:
``calibrate(raw [n, L]) -> calibrated`` and ``route(RouteInput) -> RouteOut``. The router sees the
chart as it was trained to (features from ``medcoder.routing.features.build_batch`` over the raw and
calibrated scores); codes the pipeline suppressed on assertion grounds are taken out of the chart
first and, if any, force review with their own reason. Directories without ``routing.json`` fall
back to :func:`medcoder.serving.policy.threshold_route` with identity calibration.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from medcoder.serving.policy import Calibrate, Route, RouteInput, identity_calibration, threshold_route
from medcoder.serving.schemas import RouteDecision, RouteOut

log = logging.getLogger(__name__)


def _rule_counts(findings) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    # Routers are fitted with the rules engine run without E/M and CDI (medcoder.routing.fit.rule_counts).
    sev = [f.severity for f in findings if not f.rule_id.startswith(("EM.", "CDI."))]
    return sev.count("error"), sev.count("warning"), sev.count("info")


def model_dir_hooks(model_dir: Path, model, fallback_auto_min: float) -> tuple[Calibrate, Route, str]:  # type: ignore[no-untyped-def]
    """(calibrate, route, description) for ``model_dir``; fallbacks when it was never calibrated."""
    if not (Path(model_dir) / "routing.json").exists():
        log.info("model directory has no routing.json: identity calibration, threshold routing")
        return identity_calibration, threshold_route(fallback_auto_min), "identity+threshold_route"
    from medcoder.routing.features import build_batch, counts_vector
    from medcoder.routing.fit import load_routing
    from medcoder.routing.policy import ChartInput, CodeCandidate, route_chart

    calibrators, router, policy = load_routing(model_dir)
    use_rules = bool(
        json.loads((Path(model_dir) / "routing.json").read_text(encoding="utf-8")).get("use_rules")
    )
    keys = model.label_space.keys()
    counts = counts_vector(keys, calibrators.train_counts)
    thresholds = model.threshold_vector

    def calibrate(raw: np.ndarray) -> np.ndarray:
        return calibrators.transform(raw, keys)

    def route(chart: RouteInput) -> RouteOut:
        raw = chart.raw.copy()
        keep = np.zeros(len(raw), dtype=bool)
        keep[list(chart.suggested_columns)] = True
        raw[(raw >= thresholds) & ~keep] = 0.0  # suppressed or capped codes are not part of the chart
        fx = _rule_counts(chart.findings) if use_rules else (0, 0, 0)
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
        if chart.suppressed:
            reasons.append(
                "suppressed (" + ", ".join(f"{s.code}: {s.assertion.value}" for s in chart.suppressed) + ")"
            )
            if out is RouteDecision.AUTO:
                out = RouteDecision.REVIEW
        return RouteOut(decision=out, reasons=reasons)

    desc = f"calibrators ({calibrators.method}) + router, auto threshold {policy.auto_threshold:.3f}"
    return calibrate, route, desc
