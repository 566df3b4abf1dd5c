"""Routing policy: every hard gate forces review and names its reason; escalation; auto."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.routing.policy import (
    ChartInput,
    CodeCandidate,
    ReasonKind,
    Route,
    RoutingPolicy,
    chart_scores,
    route_chart,
)
from medcoder.rules.findings import Finding, Severity

POLICY = RoutingPolicy(
    auto_threshold=0.9, excluded_specialties=("oncology",), excluded_payers=("acme health",)
)
GOOD = (CodeCandidate("ICD-10-CM:E11.9", 0.97), CodeCandidate("ICD-10-CM:I10", 0.95))


def _finding(sev: Severity) -> Finding:
    return Finding(
        rule_id="ICD.EXCLUDES1", severity=sev, codes=("E11.9",), message="m", source="s", version="1"
    )


def _kinds(decision):
    return {r.kind for r in decision.reasons}


def test_confident_chart_is_auto():
    d = route_chart(ChartInput(GOOD, chart_confidence=0.9), POLICY)
    assert d.route is Route.AUTO and _kinds(d) == {ReasonKind.CONFIDENT}


@pytest.mark.parametrize(
    ("chart", "kind"),
    [
        (ChartInput(GOOD, 0.9, findings=(_finding(Severity.ERROR),)), ReasonKind.ERROR_FINDING),
        (ChartInput(GOOD, 0.9, specialty="Oncology"), ReasonKind.EXCLUDED_SPECIALTY),
        (ChartInput(GOOD, 0.9, payer="ACME Health"), ReasonKind.EXCLUDED_PAYER),
        (
            ChartInput((*GOOD, CodeCandidate("ICD-10-CM:Z99.89", 0.99, unseen=True)), 0.9),
            ReasonKind.UNSEEN_CODE,
        ),
        (ChartInput((CodeCandidate("ICD-10-CM:E11.9", 0.5),), 0.9), ReasonKind.LOW_CODE_CONFIDENCE),
        (ChartInput((), 0.9), ReasonKind.NO_CODES),
    ],
)
def test_each_gate_forces_review_with_its_reason(chart, kind):
    d = route_chart(chart, POLICY)
    assert d.route is Route.REVIEW
    assert kind in _kinds(d)


def test_reasons_name_codes_and_warnings_do_not_gate():
    d = route_chart(ChartInput((*GOOD, CodeCandidate("ICD-10-CM:Z99.89", 0.99, unseen=True)), 0.9), POLICY)
    assert [r.codes for r in d.reasons if r.kind is ReasonKind.UNSEEN_CODE] == [("ICD-10-CM:Z99.89",)]
    assert (
        route_chart(ChartInput(GOOD, 0.9, findings=(_finding(Severity.WARNING),)), POLICY).route is Route.AUTO
    )


def test_escalation_wins_and_keeps_gate_reasons():
    two_errors = (_finding(Severity.ERROR), _finding(Severity.ERROR))
    d = route_chart(ChartInput(GOOD, 0.9, findings=two_errors), POLICY)
    assert d.route is Route.ESCALATE and {ReasonKind.MANY_ERRORS, ReasonKind.ERROR_FINDING} <= _kinds(d)
    d = route_chart(ChartInput(GOOD, 0.01, payer="acme health"), POLICY)
    assert d.route is Route.ESCALATE and {
        ReasonKind.LOW_CHART_CONFIDENCE,
        ReasonKind.EXCLUDED_PAYER,
    } <= _kinds(d)
    assert d.to_dict()["route"] == "escalate"


def test_chart_scores_min_confidence_or_minus_inf_when_gated():
    charts = [ChartInput(GOOD, 0.9), ChartInput(GOOD, 0.9, payer="acme health"), ChartInput((), 0.9)]
    assert chart_scores(charts, POLICY) == [0.95, float("-inf"), float("-inf")]


def test_policy_yaml_loads_and_rejects_unknown_keys(tmp_path):
    root = Path(__file__).resolve().parents[3]
    p = RoutingPolicy.load(root / "configs" / "routing.yaml")
    assert p.target_precision == 0.95 and p.auto_threshold == float("inf")
    bad = tmp_path / "r.yaml"
    bad.write_text("policy: {target_precison: 0.9}\n")
    with pytest.raises(ValueError, match="target_precison"):
        RoutingPolicy.load(bad)
