"""Readable terminal output of a coding result (rich): codes, evidence, findings, E/M, HCC, route."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from medcoder.coding.result import CodingResult

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
ROUTE_STYLE = {"auto": "bold green", "review": "bold yellow", "escalate": "bold red"}


def render_result(result: CodingResult, console: Console | None = None, max_findings: int = 12) -> None:
    """Print ``result`` as tables; evidence snippets are the note's own words at the returned offsets."""
    console = console or Console()
    v = result.versions
    console.rule(f"[bold]medcoder[/] {v.model_name} {v.model_version} - document {result.document_id}")
    codes = Table(title=f"{len(result.suggestions)} suggested codes", show_lines=False)
    for col in ("system", "code", "description", "p", "evidence"):
        codes.add_column(col, overflow="fold")
    for s in result.suggestions:
        snippet = "; ".join(f"\u201c{e.text}\u201d [{e.start}:{e.end}]" for e in s.evidence[:2]) or "-"
        codes.add_row(s.system, s.code, s.description[:60], f"{s.probability:.2f}", snippet)
    console.print(codes)
    if result.suppressed:
        sup = Table(
            title="suppressed (evidence only negated / historical / family / hypothetical / uncertain)"
        )
        for col in ("code", "description", "p", "assertion", "cues"):
            sup.add_column(col, overflow="fold")
        for s in result.suppressed:
            sup.add_row(
                s.code, s.description[:50], f"{s.probability:.2f}", s.assertion.value, ", ".join(s.cues)[:60]
            )
        console.print(sup)
    if result.findings:
        fin = Table(title=f"{len(result.findings)} rule findings")
        for col in ("severity", "rule", "message"):
            fin.add_column(col, overflow="fold")
        for f in result.findings[:max_findings]:
            fin.add_row(f"[{SEVERITY_STYLE.get(f.severity, '')}]{f.severity}[/]", f.rule_id, f.message[:160])
        console.print(fin)
    if result.em is not None:
        em = result.em
        console.print(f"[bold]E/M[/]: billed {em.billed or '-'}, documentation supports "
                      f"[bold]{em.supported_code or 'no level'}[/] ({em.basis}); {em.rationale}")  # fmt: skip
    if result.hcc is not None:
        console.print(
            f"[bold]HCC[/] {result.hcc.model}: {', '.join(result.hcc.hccs) or 'none'}; RAF {result.hcc.raf:.3f}"
        )
    for q in result.cdi_queries[:3]:
        console.print(f"[bold]CDI query[/] ({q.code}, {q.axis}): {q.text[:200]}")
    style = ROUTE_STYLE.get(result.route.decision.value, "bold")
    console.print(
        f"[bold]route[/]: [{style}]{result.route.decision.value}[/] - " + "; ".join(result.route.reasons)
    )
    audit = getattr(result, "audit_seq", None)  # set when the result came through the service
    where = f", audit seq {audit}" if audit is not None else ""
    console.print(f"request {result.request_id}{where}, evidence method {v.evidence_method}, "
                  f"code sets {v.code_sets}")  # fmt: skip
