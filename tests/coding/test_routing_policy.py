"""The fallback routing policy, case by case."""

from __future__ import annotations

import numpy as np

from medcoder.coding.result import Assertion, RouteDecision, RuleFinding, Suggestion, Suppressed
from medcoder.coding.routing_step import RouteInput, threshold_route
from medcoder.data.records import Document

_route = threshold_route(0.8)


def route(suggestions, suppressed, findings):
    empty = np.zeros(3)
    return _route(RouteInput(Document(id="d", text="t"), empty, empty, suggestions, suppressed, findings))


def sug(code: str, p: float) -> Suggestion:
    return Suggestion(
        system="ICD-10-CM", code=code, description="d", probability=p, model_probability=p, threshold=0.3
    )


def finding(rule: str, severity: str) -> RuleFinding:
    return RuleFinding(rule_id=rule, severity=severity, codes=[], message="m", source="s", version="v")


def test_auto_when_confident_and_clean() -> None:
    out = route([sug("I10", 0.95)], [], [finding("HCC.SUMMARY", "info")])
    assert out.decision is RouteDecision.AUTO


def test_review_reasons() -> None:
    out = route([sug("I10", 0.95), sug("E11.9", 0.6)], [], [finding("ICD.X", "warning")])
    assert out.decision is RouteDecision.REVIEW
    assert out.reasons == ["probability below 0.80 for E11.9", "warning finding: ICD.X"]
    none = route([], [], [])
    assert none.decision is RouteDecision.REVIEW and "no code" in none.reasons[0]
    sup = Suppressed(
        system="ICD-10-CM", code="C50.919", description="d", probability=0.9, assertion=Assertion.FAMILY
    )
    assert route([sug("I10", 0.95)], [sup], []).reasons == ["suppressed (C50.919: family)"]


def test_escalate_on_error_findings_whatever_the_probabilities() -> None:
    out = route([sug("I10", 0.99)], [], [finding("ICD.EXCLUDES1", "error"), finding("ICD.X", "warning")])
    assert out.decision is RouteDecision.ESCALATE
    assert out.reasons == ["error finding: ICD.EXCLUDES1"]
