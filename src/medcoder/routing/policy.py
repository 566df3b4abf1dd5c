"""Routing policy: each chart goes to auto-finalize, coder review or senior escalation, with reasons.

Order of checks (every matching reason is listed, the strongest route wins):

1. Escalate: router P(chart correct) below ``escalate_below``, or at least ``escalate_min_errors``
   error-severity rule findings.
2. Hard gates force review: any error-severity finding, a specialty or payer excluded from autonomy,
   a suggested code unseen in training.
3. Review when there is no suggested code, or when any suggested code's confidence is below the
   certified ``auto_threshold`` (``medcoder.routing.guarantee``).
4. Otherwise auto-finalize.

The policy is read from ``configs/routing.yaml``; ``auto_threshold`` is filled in by calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class Route(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    ESCALATE = "escalate"


class ReasonKind(StrEnum):
    ERROR_FINDING = "error_finding"
    EXCLUDED_SPECIALTY = "excluded_specialty"
    EXCLUDED_PAYER = "excluded_payer"
    UNSEEN_CODE = "unseen_code"
    NO_CODES = "no_codes"
    LOW_CODE_CONFIDENCE = "low_code_confidence"
    LOW_CHART_CONFIDENCE = "low_chart_confidence"
    MANY_ERRORS = "many_errors"
    CONFIDENT = "confident"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a chart got its route: a kind, a message for the coder and the codes concerned."""

    kind: ReasonKind
    message: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteDecision:
    route: Route
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "reasons": [
                {"kind": r.kind.value, "message": r.message, "codes": list(r.codes)} for r in self.reasons
            ],
        }


class FindingLike(Protocol):
    """What routing needs from a rule finding (``medcoder.rules.findings.Finding`` fits)."""

    rule_id: str
    severity: Any
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeCandidate:
    key: str  # e.g. "ICD-10-CM:E11.9"
    confidence: float
    unseen: bool = False


@dataclass(frozen=True)
class ChartInput:
    """Everything the policy looks at for one chart."""

    codes: tuple[CodeCandidate, ...]
    chart_confidence: float
    findings: tuple[Any, ...] = ()
    specialty: str | None = None
    payer: str | None = None


@dataclass(frozen=True)
class RoutingPolicy:
    target_precision: float = 0.95
    delta: float = 0.05
    method: str = "fixed_sequence"
    min_accepted: int = 100
    confidence: str = "router"  # "router" (router P(code correct)) or "calibrated"
    auto_threshold: float = float("inf")
    escalate_below: float = 0.05
    escalate_min_errors: int = 2
    excluded_specialties: tuple[str, ...] = ()
    excluded_payers: tuple[str, ...] = ()
    review_unseen_codes: bool = True
    review_error_findings: bool = True
    calibration_method: str = "isotonic"
    min_positives: int = 10
    few_shot_max: int = 5
    n_bins: int = 15
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.target_precision < 1 or not 0 < self.delta < 1:
            raise ValueError(
                f"target_precision and delta must lie in (0, 1): {self.target_precision}, {self.delta}"
            )
        if self.confidence not in ("router", "calibrated"):
            raise ValueError(f"confidence must be 'router' or 'calibrated', got {self.confidence!r}")

    def with_threshold(self, t: float) -> RoutingPolicy:
        return replace(self, auto_threshold=float(t))

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        d["excluded_specialties"], d["excluded_payers"] = (
            list(self.excluded_specialties),
            list(self.excluded_payers),
        )
        d["auto_threshold"] = (
            self.auto_threshold if self.auto_threshold != float("inf") else None
        )  # JSON-safe
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingPolicy:
        known = set(cls.__dataclass_fields__) - {"extra"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown routing policy keys {sorted(unknown)}; known: {sorted(known)}")
        d = dict(data)
        for k in ("excluded_specialties", "excluded_payers"):
            d[k] = tuple(str(x).lower() for x in d.get(k, ()) or ())
        if d.get("auto_threshold") is None:
            d.pop("auto_threshold", None)
        return cls(**d)

    @classmethod
    def load(cls, path: str | Path) -> RoutingPolicy:
        """From a YAML file with a top-level ``policy:`` mapping (``configs/routing.yaml``)."""
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if "policy" not in data:
            raise ValueError(f"{path}: expected a top-level 'policy:' mapping")
        return cls.from_dict(data["policy"] or {})


def _severity(f: Any) -> str:
    s = getattr(f, "severity", "")
    return str(getattr(s, "value", s)).lower()


def route_chart(chart: ChartInput, policy: RoutingPolicy) -> RouteDecision:
    """The route and every reason for it (see module docstring for the order)."""
    errors = [f for f in chart.findings if _severity(f) == "error"]
    escalate: list[Reason] = []
    if chart.chart_confidence < policy.escalate_below:
        escalate.append(
            Reason(
                ReasonKind.LOW_CHART_CONFIDENCE,
                f"router P(code set correct) {chart.chart_confidence:.3f} < {policy.escalate_below}",
            )
        )
    if len(errors) >= policy.escalate_min_errors:
        escalate.append(
            Reason(
                ReasonKind.MANY_ERRORS,
                f"{len(errors)} error findings",
                tuple(sorted({c for f in errors for c in f.codes})),
            )
        )
    gates: list[Reason] = []
    if policy.review_error_findings:
        for f in errors:
            gates.append(Reason(ReasonKind.ERROR_FINDING, f"error finding {f.rule_id}", tuple(f.codes)))
    if chart.specialty and chart.specialty.lower() in policy.excluded_specialties:
        gates.append(
            Reason(ReasonKind.EXCLUDED_SPECIALTY, f"specialty {chart.specialty!r} is excluded from autonomy")
        )
    if chart.payer and chart.payer.lower() in policy.excluded_payers:
        gates.append(Reason(ReasonKind.EXCLUDED_PAYER, f"payer {chart.payer!r} is excluded from autonomy"))
    unseen = tuple(c.key for c in chart.codes if c.unseen)
    if policy.review_unseen_codes and unseen:
        gates.append(Reason(ReasonKind.UNSEEN_CODE, "code(s) never seen in training", unseen))
    soft: list[Reason] = []
    if not chart.codes:
        soft.append(Reason(ReasonKind.NO_CODES, "no code passed its decision threshold"))
    low = tuple(c.key for c in chart.codes if c.confidence < policy.auto_threshold)
    if low:
        soft.append(
            Reason(
                ReasonKind.LOW_CODE_CONFIDENCE,
                f"confidence below the certified auto threshold {policy.auto_threshold:.3f}",
                low,
            )
        )
    if escalate:
        return RouteDecision(Route.ESCALATE, tuple(escalate + gates + soft))
    if gates or soft:
        return RouteDecision(Route.REVIEW, tuple(gates + soft))
    return RouteDecision(
        Route.AUTO,
        (
            Reason(
                ReasonKind.CONFIDENT,
                f"every code >= certified threshold {policy.auto_threshold:.3f}",
                tuple(c.key for c in chart.codes),
            ),
        ),
    )


def gated(chart: ChartInput, policy: RoutingPolicy) -> bool:
    """Whether anything other than code confidence keeps the chart from auto (gates or escalation)."""
    d = route_chart(
        replace(chart, codes=tuple(replace(c, confidence=float("inf")) for c in chart.codes)), policy
    )
    return d.route is not Route.AUTO


def chart_scores(charts: Sequence[ChartInput], policy: RoutingPolicy) -> list[float]:
    """Per chart: the confidence that decides auto (min code confidence), ``-inf`` when gated or empty."""
    return [
        min(c.confidence for c in ch.codes) if ch.codes and not gated(ch, policy) else float("-inf")
        for ch in charts
    ]
