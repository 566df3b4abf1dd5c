"""Calibration and routing as the serving pipeline sees them: two named callables.

``Calibrate`` maps raw model probabilities ``[n_docs, n_labels]`` to calibrated ones; ``Route``
maps a finished chart (:class:`RouteInput`: document, raw and calibrated scores, suggestions,
suppressed codes, findings) to auto / review / escalate with reasons. The model directory's own
calibrators, router and certified policy (``medcoder.routing``, written by ``medcoder calibrate``)
are used when the directory has them (:mod:`medcoder.serving.routing_adapter`); otherwise
:func:`identity_calibration` and :func:`threshold_route`, an explicit, documented policy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.data.records import Document
from medcoder.serving.schemas import FindingOut, RouteDecision, RouteOut, Suggestion, Suppressed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteInput:
    """One coded chart as routing sees it; ``raw``/``calibrated`` are ``[n_labels]`` for this chart."""

    document: Document
    raw: np.ndarray
    calibrated: np.ndarray
    suggestions: Sequence[Suggestion]
    suppressed: Sequence[Suppressed]
    findings: Sequence[FindingOut]
    suggested_columns: Sequence[int] = ()


Calibrate = Callable[[np.ndarray], np.ndarray]
Route = Callable[[RouteInput], RouteOut]


def identity_calibration(probs: np.ndarray) -> np.ndarray:
    """No calibrator in the model directory: probabilities pass through unchanged."""
    return probs


def threshold_route(auto_min_probability: float) -> Route:
    """The fallback routing policy.

    - escalate: an error finding (the claim would be rejected as coded);
    - review: no suggestion; a suggestion under ``auto_min_probability``; a warning finding; a code
      suppressed because its only evidence was negated/historical/family/hypothetical; a CDI query;
    - auto: none of the above.
    """

    def route(chart: RouteInput) -> RouteOut:
        suggestions, suppressed, findings = chart.suggestions, chart.suppressed, chart.findings
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            ids = sorted({f.rule_id for f in errors})
            return RouteOut(decision=RouteDecision.ESCALATE, reasons=[f"error finding: {i}" for i in ids])
        reasons: list[str] = []
        if not suggestions:
            reasons.append("no code passed its decision threshold")
        low = [s.code for s in suggestions if s.probability < auto_min_probability]
        if low:
            reasons.append(f"probability below {auto_min_probability:.2f} for {', '.join(low)}")
        warnings = sorted({f.rule_id for f in findings if f.severity == "warning"})
        reasons += [f"warning finding: {w}" for w in warnings]
        if suppressed:
            reasons.append(
                "suppressed (" + ", ".join(f"{s.code}: {s.assertion.value}" for s in suppressed) + ")"
            )
        if any(f.rule_id.startswith("CDI.") for f in findings):
            reasons.append("CDI query drafted")
        if reasons:
            return RouteOut(decision=RouteDecision.REVIEW, reasons=reasons)
        return RouteOut(
            decision=RouteDecision.AUTO,
            reasons=[f"all codes at or above {auto_min_probability:.2f}, no rule findings to act on"],
        )

    return route
