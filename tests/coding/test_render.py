"""The rich rendering shows codes, evidence snippets, findings, E/M, HCC and the route."""

from __future__ import annotations

from rich.console import Console

from medcoder.coding.render import render_result
from medcoder.coding.result import (
    CodingResult,
    EmResult,
    EvidenceSpan,
    HccResult,
    RouteResult,
    RuleFinding,
    Suggestion,
    Versions,
)


def test_render_result_shows_every_part() -> None:
    result = CodingResult(
        request_id="r" * 32,
        document_id="enc-1",
        suggestions=[
            Suggestion(
                system="ICD-10-CM",
                code="E11.9",
                description="Type 2 diabetes mellitus without complications",
                probability=0.91,
                model_probability=0.88,
                threshold=0.4,
                evidence=[EvidenceSpan(start=10, end=27, text="type 2 diabetes", score=0.8)],
            )  # fmt: skip
        ],
        findings=[
            RuleFinding(
                rule_id="ICD.CODESET_VERSION",
                severity="warning",
                codes=[],
                message="check the edition",
                source="CMS",
                version="FY2026",
            )
        ],  # fmt: skip
        hcc=HccResult(raf=0.496, hccs=["38"], model="V28 PY2026"),
        em=EmResult(
            billed="99214", supported_code="99214", basis="time", mdm="low", minutes=32, rationale="32 min"
        ),
        route=RouteResult(decision="review", reasons=["warning finding: ICD.CODESET_VERSION"]),
        versions=Versions(
            model_name="medcoder-laat",
            model_version="sha-abc",
            code_sets={"ICD-10-CM": "2026"},
            rule_packs={},
            evidence_method="attention",
            medcoder="0.1.0",
        ),  # fmt: skip
    )
    console = Console(record=True, width=200)
    render_result(result, console)
    out = console.export_text()
    for expected in ("E11.9", "\u201ctype 2 diabetes\u201d [10:27]", "ICD.CODESET_VERSION", "supports 99214",
                     "RAF 0.496", "route: review - warning finding: ICD.CODESET_VERSION", "evidence method attention"):  # fmt: skip
        assert expected in out, expected
