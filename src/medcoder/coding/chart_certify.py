"""Fit and certify chart-level routing for a model directory, and report how it routes.

Charts are coded by the real pipeline (rules included) exactly as the service codes them; a
recording route keeps each chart's router features, so certification sees what serving will see.

Default splits (``default_splits``; CodiEsp ``test`` and the realistic holdout are never used here):

- **fit** (the chart scorer's weights): realistic dev "fit" part + CodiEsp dev "tune" half;
- **calibration** (the certified threshold and the shift reference): realistic dev "tune" part +
  CodiEsp dev "cal" half.

A chart is *exactly right* when its suggested ICD-10-CM set equals the gold ICD-10-CM set (the
index coder suggests ICD-10-CM only; CPT/HCPCS gold is not part of the test yet).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.coding.pipeline import CodingPipeline
from medcoder.coding.result import RouteDecision, RouteResult
from medcoder.coding.routing_step import ChartRoute, RouteInput
from medcoder.data.records import CodeSystem, Document
from medcoder.models.index_bundle import IndexBundle
from medcoder.routing.chart import ChartCertificate, certify_charts
from medcoder.routing.guarantee import clopper_pearson_interval
from medcoder.routing.shift import two_sample_test

log = logging.getLogger(__name__)

UNDATED_SERVICE_DATE = dt.date(2026, 3, 16)
"""Date of service given to undated charts (CodiEsp, the realistic notes): inside the FY2026 window the
shipped code set and rule data are effective for, as the demo's sample note. Coded with today's date
instead, every chart would carry the "outside the code-set window" warning and be gated."""


def dated(doc: Document) -> Document:
    """``doc`` with ``UNDATED_SERVICE_DATE`` as its date of service when it has none."""
    return doc if doc.encounter_date else dataclasses.replace(doc, encounter_date=UNDATED_SERVICE_DATE)


def gold_icd(doc: Document) -> frozenset[str]:
    """The document's gold ICD-10-CM codes (empty when the coder assigned none)."""
    return frozenset(lab.code for lab in doc.labels if lab.system is CodeSystem.ICD10CM)


class _Recording:
    """A route that delegates to ``inner`` and keeps each chart's features and route."""

    def __init__(self, inner: ChartRoute) -> None:
        self.inner = inner
        self.features: list[np.ndarray] = []
        self.gated: list[bool] = []
        self.results: list[RouteResult] = []

    def __call__(self, chart: RouteInput) -> RouteResult:
        x, result = self.inner.decide(chart)
        escalate, review = self.inner.gates(chart)
        self.features.append(x)
        self.gated.append(bool(escalate or review))
        self.results.append(result)
        return result


@dataclass(frozen=True)
class CodedCharts:
    """One split coded by the pipeline: features, exactly-right bits (None without gold), routes."""

    name: str
    features: np.ndarray
    exact: np.ndarray | None
    routes: tuple[str, ...]
    gated: np.ndarray
    scores: np.ndarray | None = None
    code_counts: tuple[int, int, int] = (0, 0, 0)  # suggested ICD-10-CM codes: tp, fp, fn over the split


def code_charts(
    model: IndexBundle,
    docs: Sequence[Document],
    name: str,
    certificate: ChartCertificate | None = None,
    has_gold: bool = True,
) -> CodedCharts:
    """Code ``docs`` with the full pipeline; route them with ``certificate`` (None: no certificate).

    ``has_gold=False`` for notes nobody coded (MTSamples): routes only, no exactly-right bits."""
    route = _Recording(ChartRoute(certificate, model.threshold_vector, window=10**9))
    pipe = CodingPipeline(model, route=route, routing_name=route.inner.describe())
    exact: list[bool] = []
    tp = fp = fn = 0
    for doc in docs:
        doc = dated(doc)
        result = pipe.code(doc)
        pred, gold = {s.code for s in result.suggestions if s.system == "ICD-10-CM"}, gold_icd(doc)
        exact.append(pred == gold)
        tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    x = np.vstack(route.features) if route.features else np.zeros((0, 0))
    scores = certificate.scorer.score(x) if certificate is not None and len(x) else None
    routes = tuple(r.decision.value for r in route.results)
    gated = np.array(route.gated, dtype=bool)
    if not has_gold:
        return CodedCharts(name, x, None, routes, gated, scores)
    return CodedCharts(name, x, np.array(exact), routes, gated, scores, (tp, fp, fn))


def default_splits() -> dict[str, list[Document]]:
    """{"fit": ..., "calibration": ...} from the realistic dev set and CodiEsp dev (see module doc)."""
    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir
    from medcoder.routing.fit import dev_half
    from medcoder.training.index_coder import realistic_notes, realistic_part

    real = realistic_notes("dev")
    dev = load_codiesp(codiesp_dir(), "dev", tasks=("D",))
    return {
        "fit": [n.document() for n in real if realistic_part(n.note_id) == "fit"] + dev_half(dev, "tune"),
        "calibration": [n.document() for n in real if realistic_part(n.note_id) == "tune"]
        + dev_half(dev, "cal"),
    }


def certify_model(
    model_dir: str | Path,
    fit: Sequence[Document],
    calibration: Sequence[Document],
    *,
    fit_set: str,
    calibration_set: str,
    target: float = 0.95,
    delta: float = 0.05,
    ood_alpha: float = 0.01,
) -> tuple[ChartCertificate, CodedCharts, CodedCharts]:
    """Fit the chart scorer, certify it, save ``chart_routing.json`` into ``model_dir``."""
    model = IndexBundle.load(model_dir)
    fitted = code_charts(model, fit, "fit")
    cal = code_charts(model, calibration, "calibration")
    if fitted.exact is None or cal.exact is None:
        raise ValueError("every fitting and calibration chart needs gold ICD-10-CM codes")
    cert = certify_charts(fitted.features, fitted.exact, cal.features, cal.exact, cal.gated,
                          calibration_set=calibration_set, fit_set=fit_set, target=target, delta=delta,
                          ood_alpha=ood_alpha, calibration_sources=[d.source for d in calibration])  # fmt: skip
    cert.save(model_dir)
    log.info("chart routing certified: %s", cert.choice.to_dict())
    return cert, fitted, cal


def split_report(charts: CodedCharts) -> dict[str, Any]:
    """Route shares, and for splits with gold: exactly-right charts overall and among auto (95% CI)."""
    n = len(charts.routes)
    share = {r.value: (sum(x == r.value for x in charts.routes) / n if n else 0.0) for r in RouteDecision}
    out: dict[str, Any] = {"charts": n, **{f"{k}_share": round(v, 4) for k, v in share.items()}}
    if charts.exact is not None:
        auto = np.array([r == RouteDecision.AUTO.value for r in charts.routes], dtype=bool)
        k, m = int(charts.exact[auto].sum()), int(auto.sum())
        lo, hi = clopper_pearson_interval(k, m)
        tp, fp, fn = charts.code_counts
        out.update(exact_share=round(float(charts.exact.mean()), 4) if n else 0.0, auto_charts=m,
                   auto_exact=k, auto_exact_ci95=[round(lo, 4), round(hi, 4)],
                   code_precision=round(tp / max(tp + fp, 1), 4), code_recall=round(tp / max(tp + fn, 1), 4))  # fmt: skip
    return out


def shift_report(certificate: ChartCertificate, charts: CodedCharts) -> dict[str, Any]:
    """Share of the split's charts the per-chart guard flags, and the split as one window's two-sample test.

    The calibration split is the reference itself: only its flagged share is reported."""
    if len(charts.features) < 10:
        return {}
    flagged = float(np.mean(certificate.shift.p_value(charts.features) < certificate.ood_alpha))
    if charts.name == "calibration":  # the reference against itself: no test to make
        return {"ood_flagged_share": round(flagged, 4)}
    window = two_sample_test(certificate.shift.features, charts.features)
    return {"ood_flagged_share": round(flagged, 4), "window_test": window.to_dict()}


def precision_coverage_plot(splits: Sequence[CodedCharts], target: float, path: Path) -> Path | None:
    """PNG: share of accepted charts exactly right against the share accepted, per split with gold."""
    from medcoder.evaluation.routing_report import risk_coverage_plot

    curves = {c.name: (c.scores, c.exact) for c in splits if c.scores is not None and c.exact is not None}
    if not curves:
        return None
    return risk_coverage_plot(curves, path, target, {}, unit="charts")


def write_report(
    certificate: ChartCertificate, splits: Sequence[CodedCharts], out_dir: str | Path
) -> Mapping[str, Any]:
    """``chart_routing_report.json`` (+ plot) in ``out_dir``; returns the report."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "certificate": {
            k: v for k, v in certificate.to_dict().items() if k not in ("shift_reference", "scorer")
        },
        "scorer": certificate.scorer.kind,
        "splits": {c.name: {**split_report(c), **shift_report(certificate, c)} for c in splits},
    }
    plot = precision_coverage_plot(splits, certificate.choice.target, out / "chart_risk_coverage.png")
    report["plot"] = plot.name if plot else None
    (out / "chart_routing_report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def render_model_card(model_dir: str | Path, report: Mapping[str, Any]) -> str:
    """``model_card.md`` for an index-coder directory: data, dev figures, chart routing and its limits."""
    metrics = json.loads((Path(model_dir) / "metrics.json").read_text(encoding="utf-8"))
    cert = report["certificate"]
    g, summary = cert["guarantee"], cert["summary"]
    lines = [
        "# Model card: medcoder index coder",
        "",
        "Alphabetic Index / Neoplasm Table candidates over every billable ICD-10-CM FY2026 code, scored by a "
        "logistic reranker; evidence is the matched mention. ICD-10-CM only (no CPT/HCPCS yet).",
        "",
        "## Data",
        f"- trained on: {metrics.get('trained_on')}",
        f"- decision threshold tuned on: {metrics.get('threshold_tuned_on')}",
        "",
        "## Dev figures (ICD-10-CM, micro)",
        "| split | P | R | F1 |",
        "| --- | --- | --- | --- |",
    ]
    for name in ("codiesp_dev", "realistic_dev_tune"):
        m = metrics.get(name) or {}
        if m:
            lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    threshold = (
        "none (nothing certified: every chart goes to a coder)"
        if g["threshold"] is None
        else _fmt(g["threshold"])
    )
    lines += [
        "",
        "## Chart-level routing",
        f"- guarantee: among auto-finalized charts, >= {g['target']:.0%} exactly right (suggested ICD-10-CM set "
        f"== the coder's), with probability >= {1 - g['delta']:.0%} (Learn-then-Test, exact binomial bound, "
        "fixed-sequence testing)",
        f"- chart scorer: {report['scorer']}, fit on {cert['fit_set']}",
        f"- calibration set: {cert['calibration_set']}; exactly right: {summary['calibration_exact']} of "
        f"{summary['calibration_charts']}; gated (rules, suppressed codes, no code, unlike the rest): "
        f"{summary.get('calibration_gated', '?')}",
        f"- certified threshold on P(chart exactly right): {threshold}; lower bound {g['lower_bound']:.3f}; "
        f"achieved coverage on the calibration set {summary['calibration_coverage']:.1%}",
        f"- shift guard: conformal p-value < {cert['ood_alpha']} against the calibration charts routes to review; "
        "the service tests each traffic window with a classifier two-sample test (audit event shift_checked)",
        "",
        "| split | charts | auto | review | escalate | exactly right | auto exactly right (95% CI) "
        "| flagged unlike | window test p |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in report["splits"].items():
        exact = f"{s['exact_share']:.1%}" if "exact_share" in s else "no gold"
        auto = f"{s['auto_exact']}/{s['auto_charts']} {s['auto_exact_ci95']}" if "auto_charts" in s else "-"
        flagged = f"{s['ood_flagged_share']:.1%}" if "ood_flagged_share" in s else "-"
        p = f"{s['window_test']['p_value']:.2g}" if "window_test" in s else "-"
        lines.append(f"| {name} | {s['charts']} | {s['auto_share']:.1%} | {s['review_share']:.1%} | "
                     f"{s['escalate_share']:.1%} | {exact} | {auto} | {flagged} | {p} |")  # fmt: skip
    lines += [
        "",
        "## Limits",
        "- Real-note accuracy is far from a coder's (see docs/BENCHMARKS.md): with so few charts exactly right, "
        "no auto threshold can be certified and the honest route is review.",
        "- The guarantee holds for charts exchangeable with the calibration set; the shift guard flags unlike "
        "charts but cannot prove likeness.",
        "",
    ]
    return "\n".join(lines)
