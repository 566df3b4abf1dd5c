"""Calibration and routing as the serving pipeline sees them: two named callables.

``Calibrate`` maps raw model probabilities ``[n_docs, n_labels]`` to calibrated ones; ``Route``
maps a finished result (suggestions, suppressed codes, findings) to auto / review / escalate with
reasons. The model directory's own calibrators and router (``medcoder.routing``) are used when the
directory has them; otherwise :func:`identity_calibration` and :func:`threshold_route`, an
explicit, documented policy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from medcoder.serving.schemas import FindingOut, RouteDecision, RouteOut, Suggestion, Suppressed

log = logging.getLogger(__name__)

Calibrate = Callable[[np.ndarray], np.ndarray]
Route = Callable[[Sequence[Suggestion], Sequence[Suppressed], Sequence[FindingOut]], RouteOut]


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

    def route(
        suggestions: Sequence[Suggestion], suppressed: Sequence[Suppressed], findings: Sequence[FindingOut]
    ) -> RouteOut:
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


def load_calibration(model_dir: Path) -> tuple[Calibrate, str]:
    """The model directory's calibrator (``medcoder.routing``) or identity; returns it and its name."""
    try:
        from medcoder.routing import serving_hooks  # type: ignore[attr-defined]

        calibrate = serving_hooks.load_calibrator(model_dir)
        if calibrate is not None:
            return calibrate, "model_dir"
    except (ImportError, AttributeError, FileNotFoundError) as exc:
        log.info("no calibrator in the model directory (%s); using identity", type(exc).__name__)
    return identity_calibration, "identity"
