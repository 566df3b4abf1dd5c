"""Routing report on a held-out split: calibration before/after, realised precision, automation share.

Writes ``reliability.png`` and ``risk_coverage.png`` and returns a flat dict of figures (also
saved as ``routing_report.json``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.data.records import Document
from medcoder.models.bundle import ModelBundle, load_routing
from medcoder.routing.calibration import calibration_summary, reliability_diagram
from medcoder.routing.features import counts_vector
from medcoder.routing.fit import chart_inputs, code_units, score_split
from medcoder.routing.guarantee import realised, risk_coverage
from medcoder.routing.policy import Route, route_chart

log = logging.getLogger(__name__)


def risk_coverage_plot(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    path: Path,
    target: float,
    marks: dict[str, tuple[float, float]],
    unit: str = "suggested codes",
) -> Path:
    """PNG: risk (1 - precision) against coverage (share of ``unit`` accepted) per confidence source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, (conf, correct) in curves.items():
        finite = np.isfinite(conf)
        cov, risk = risk_coverage(conf[finite], correct[finite])
        share = finite.mean() if len(conf) else 0.0
        ax.plot(cov * share, risk, label=name)
    for name, (cov, risk) in marks.items():
        ax.plot([cov], [risk], "o", label=f"{name}: certified threshold")
    ax.axhline(1 - target, color="k", ls=":", label=f"risk target {1 - target:.2f}")
    ax.set_xlabel(f"coverage (share of {unit} auto-finalized)")
    ax.set_ylabel("risk (1 - precision)")
    ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def routing_report(
    model_dir: str | Path, docs: Sequence[Document], out_dir: str | Path, use_rules: bool = False
) -> dict[str, Any]:
    """Route every document of ``docs`` with the saved router and policy and measure it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trained = ModelBundle.load(model_dir)
    if trained.routing is None:
        load_routing(model_dir)  # raises FileNotFoundError naming the command to run
    calibrators, router, policy = trained.routing.calibrators, trained.routing.router, trained.routing.policy
    keys = trained.label_space.keys()
    counts = counts_vector(keys, calibrators.train_counts)
    scored = score_split(trained, docs, calibrators, counts, use_rules, policy.few_shot_max)
    temp_only = calibrators.temperature_only(scored.raw)
    before = calibration_summary(scored.raw, scored.gold, policy.n_bins)
    after_t = calibration_summary(temp_only, scored.gold, policy.n_bins, candidate_from=scored.raw)
    after = calibration_summary(scored.cal, scored.gold, policy.n_bins, candidate_from=scored.raw)
    reliability_diagram(
        {
            "model": (scored.raw, scored.gold),
            "temperature": (temp_only, scored.gold),
            "calibrated": (scored.cal, scored.gold),
        },
        out_dir / "reliability.png",
        policy.n_bins,
        "reliability (all cells, test split)",
    )
    charts = chart_inputs(scored, router, policy, keys, counts)
    decisions = [route_chart(c, policy) for c in charts]
    routes = Counter(d.route.value for d in decisions)
    reasons = Counter(r.kind.value for d in decisions for r in d.reasons)
    conf, correct = code_units(charts, scored, policy)
    auto_codes = np.array([decisions[i].route is Route.AUTO for i in scored.batch.code_chart], dtype=bool)
    n_codes = len(auto_codes)
    prec = float(correct[auto_codes].mean()) if auto_codes.any() else float("nan")
    auto_charts = [i for i, d in enumerate(decisions) if d.route is Route.AUTO]
    chart_ok = scored.batch.chart_y
    exact_auto = float(np.mean(chart_ok[auto_charts])) if auto_charts else float("nan")
    p_chart, p_code = router.predict(scored.batch)
    cal_conf = scored.cal[scored.batch.code_chart, scored.batch.code_label] if n_codes else np.zeros(0)
    curves = {
        "router P(code correct), chart-min": (conf, correct),
        "router P(code correct), per code": (p_code.astype(np.float64), correct),
        "calibrated probability, per code": (cal_conf.astype(np.float64), correct),
    }
    cov_auto = auto_codes.mean() if n_codes else 0.0
    risk_coverage_plot(
        curves,
        out_dir / "risk_coverage.png",
        policy.target_precision,
        {policy.confidence: (float(cov_auto), 1 - prec if auto_codes.any() else 0.0)},
    )
    code_level = realised(p_code, correct, policy.auto_threshold) if n_codes else (float("nan"), 0.0, 0)
    report = {
        "n_docs": len(docs),
        "n_suggested_codes": n_codes,
        "calibration_before": before,
        "calibration_temperature": after_t,
        "calibration_after": after,
        "temperature": calibrators.temperature,
        "auto_threshold": policy.auto_threshold if np.isfinite(policy.auto_threshold) else None,
        "target_precision": policy.target_precision,
        "delta": policy.delta,
        "method": policy.method,
        "auto_precision": prec,
        "auto_code_share": float(cov_auto),
        "n_auto_codes": int(auto_codes.sum()),
        "auto_chart_share": len(auto_charts) / max(len(docs), 1),
        "n_auto_charts": len(auto_charts),
        "auto_chart_exact": exact_auto,
        "routes": dict(routes),
        "reasons": dict(reasons),
        "suggested_precision": float(correct.mean()) if n_codes else float("nan"),
        "chart_exact_all": float(chart_ok.mean()) if len(chart_ok) else float("nan"),
        "router_chart_brier": float(np.mean((p_chart - chart_ok) ** 2)) if len(chart_ok) else float("nan"),
        "router_code_brier": float(np.mean((p_code - correct) ** 2)) if n_codes else float("nan"),
        "per_code_rule_precision": code_level[0],
        "per_code_rule_share": code_level[1],
    }
    (out_dir / "routing_report.json").write_text(
        json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8"
    )
    return report
