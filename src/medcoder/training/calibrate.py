"""``calibrate_model``: calibrators, router and the certified auto threshold, saved into a model directory.

Loads the model (``medcoder.models.bundle.ModelBundle``), scores the calibration documents, runs the
pure steps of ``medcoder.routing.fit`` (fit half: calibrators and router; certify half: the auto
threshold with its finite-sample guarantee) and writes the routing part of the directory with
``medcoder.models.bundle.save_routing``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcoder.data.records import Document
from medcoder.models.bundle import ModelBundle, save_routing
from medcoder.routing.calibration import calibration_summary, fit_calibrators
from medcoder.routing.features import counts_vector
from medcoder.routing.fit import certify, chart_inputs, score_split, split_halves
from medcoder.routing.policy import RoutingPolicy
from medcoder.routing.router import Router, RouterConfig
from medcoder.routing.shift import ShiftReference

log = logging.getLogger(__name__)


def calibrate_model(
    model_dir: str | Path,
    cal_docs: Sequence[Document],
    policy: RoutingPolicy,
    train_counts: dict[str, int] | None = None,
    use_rules: bool = False,
    router_config: RouterConfig | None = None,
) -> dict[str, Any]:
    """Fit calibrators + router on the fit half, certify the threshold on the other, save all in ``model_dir``."""
    model_dir = Path(model_dir)
    trained = ModelBundle.load(model_dir)
    keys = trained.label_space.keys()
    fit_docs, cert_docs = split_halves(cal_docs)
    if len(fit_docs) < 10 or len(cert_docs) < 10:
        raise ValueError(
            f"calibration split too small: {len(fit_docs)} fit / {len(cert_docs)} certify documents"
        )
    raw_fit = trained.predict_scores(fit_docs)
    gold_fit = trained.label_space.encode(fit_docs)
    calibrators = fit_calibrators(
        raw_fit,
        gold_fit,
        keys,
        train_counts,
        policy.calibration_method,
        policy.min_positives,
        policy.few_shot_max,
    )
    counts = counts_vector(keys, calibrators.train_counts)
    fit_scored = score_split(trained, fit_docs, calibrators, counts, use_rules, policy.few_shot_max, raw_fit)
    router = Router.fit(fit_scored.batch, router_config)
    cert_scored = score_split(trained, cert_docs, calibrators, counts, use_rules, policy.few_shot_max)
    choice = certify(chart_inputs(cert_scored, router, policy, keys, counts), cert_scored, policy)
    final = policy.with_threshold(choice.threshold)
    summary = {
        "policy": final.to_dict(),
        "guarantee": choice.to_dict(),
        "split": {
            "fit_docs": len(fit_docs),
            "certify_docs": len(cert_docs),
            "rule": "sha256(doc id)[0] even -> fit",
        },
        "calibration_fit_half": {
            "before": calibration_summary(raw_fit, gold_fit, policy.n_bins),
            "after": calibration_summary(fit_scored.cal, gold_fit, policy.n_bins, candidate_from=raw_fit),
        },
        "temperature": calibrators.temperature,
        "router_temperatures": {"chart": router.chart_temperature, "code": router.code_temperature},
        "use_rules": use_rules,
        # the certify half's chart features: the shift guard's reference (routing.shift)
        "shift_reference": ShiftReference.fit(cert_scored.batch.chart_x).to_dict(),
        "calibration_sources": sorted({d.source or "unknown" for d in cal_docs}),
    }
    save_routing(model_dir, calibrators, router, summary)
    log.info(
        "certified auto threshold %.3f (lower bound %.4f on %d codes)",
        choice.threshold,
        choice.lower_bound,
        choice.n_accepted,
    )
    return summary
