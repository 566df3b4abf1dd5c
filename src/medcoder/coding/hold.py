"""A hold on auto-finalization: while a monitor says the model's traffic changed, coders see every chart.

Certified routing only holds on charts like the calibration charts. Two monitors can say they are
not: the router's traffic-window two-sample test (``routing.shift.ShiftMonitor``) and a monitoring
report's breach (``medcoder.monitoring``, recorded as a ``monitor_breach`` audit event). Each sets
the hold under its own name; a chart the router would auto-finalize goes to review instead, with the
hold's reasons first. Escalations and reviews are left as they are. Thread-safe: the service sets it
from one thread while batches are coded in another.
"""

from __future__ import annotations

import threading

from medcoder.coding.result import RouteDecision, RouteResult


class RouteHold:
    """Named reasons to keep charts out of auto-finalization; empty means no hold."""

    def __init__(self) -> None:
        self._reasons: dict[str, str] = {}
        self._lock = threading.Lock()

    def hold(self, source: str, reason: str) -> None:
        with self._lock:
            self._reasons[source] = reason

    def release(self, source: str) -> None:
        with self._lock:
            self._reasons.pop(source, None)

    @property
    def reasons(self) -> dict[str, str]:
        with self._lock:
            return dict(self._reasons)

    def apply(self, route: RouteResult) -> RouteResult:
        """``route`` unchanged unless held and auto; then review, with the hold's reasons first."""
        reasons = self.reasons
        if not reasons or route.decision is not RouteDecision.AUTO:
            return route
        held = [f"auto-finalization on hold ({source}): {text}" for source, text in sorted(reasons.items())]
        return RouteResult(decision=RouteDecision.REVIEW, reasons=held + list(route.reasons))
