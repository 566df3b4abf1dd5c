"""Turn one model's dev and test scores into benchmark figures: thresholds from dev, test once.

Everything chosen (the decision thresholds) is computed from dev scores; the test scores are read
exactly once, after the choices are fixed, to produce the reported numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from medcoder.data.records import Document
from medcoder.evaluation.buckets import Bucket, bucket_masks, bucketed_report, train_label_counts
from medcoder.evaluation.runs import BenchConfig, ModelRun
from medcoder.metrics.codiesp_map import codiesp_map, ranked_codes
from medcoder.metrics.multilabel import classification_report
from medcoder.metrics.thresholds import DecisionThresholds, tune_thresholds
from medcoder.models.alignment import align_scores, evaluation_space
from medcoder.models.base import LabelSpace


def split_figures(
    docs: Sequence[Document],
    scores: np.ndarray,
    space: LabelSpace,
    thresholds: DecisionThresholds,
    train_counts: Mapping,
    map_depth: int,
    few_shot_max: int,
    is_valid: Callable[[str], bool] | None,
    with_auc: bool = True,
) -> dict[str, object]:
    """MAP (official and all-gold), matrix metrics at the global and per-label thresholds, buckets."""
    systems = sorted({lab.system for lab in space.labels})
    gold = {d.id: [cl.code for cl in d.labels if cl.system in systems] for d in docs}
    ranked = ranked_codes([d.id for d in docs], scores, [lab.code for lab in space.labels], top_k=map_depth)
    cmap = codiesp_map(gold, ranked, is_valid)
    ev = evaluation_space(space, docs, systems)
    y = ev.encode(docs)
    s = align_scores(scores, space, ev)
    keys = ev.keys()
    t_global = thresholds.vector(keys, per_label=False)
    t_label = thresholds.vector(keys)
    at_global = classification_report(y, s, t_global, ks=(5, 8, 15), with_auc=with_auc)
    at_label = classification_report(y, s, t_label, ks=(5,), with_auc=False)
    masks = bucket_masks(ev, train_counts, few_shot_max)
    buckets = bucketed_report(y, s, t_global, masks, ks=(5,), with_auc=False)
    unseen = masks[Bucket.UNSEEN]
    unseen_gold = y[:, unseen].sum()
    unseen_hits_ranked = 0.0
    if unseen_gold:
        top = np.argsort(-s, axis=1, kind="stable")[:, :map_depth]
        in_top = np.zeros_like(y, dtype=bool)
        np.put_along_axis(in_top, top, True, axis=1)
        unseen_hits_ranked = float(((y[:, unseen] > 0) & in_top[:, unseen] & (s[:, unseen] > 0)).sum())
    return {
        "map_official": cmap.official,
        "map_all_gold": cmap.all_gold,
        "map_predicted_docs": cmap.n_predicted_docs,
        "map_gold_docs": cmap.n_gold_docs,
        "at_global_threshold": at_global,
        "at_per_label_thresholds": at_label,
        "buckets": buckets,
        "unseen_gold_pairs": float(unseen_gold),
        "unseen_recall_at_threshold": buckets.get("unseen", {}).get("micro_recall", 0.0)
        if unseen_gold
        else None,
        f"unseen_recall_top{map_depth}": unseen_hits_ranked / unseen_gold if unseen_gold else None,
    }


def evaluate_run(
    run: ModelRun,
    splits: Mapping[str, Sequence[Document]],
    cfg: BenchConfig,
    is_valid: Callable[[str], bool] | None,
) -> dict[str, object]:
    """Tune thresholds on dev, then compute dev figures and (once) test figures for one model."""
    space = LabelSpace.from_keys(run.label_keys)
    dev, test = splits["dev"], splits["test"]
    counts = train_label_counts(splits["train"])
    systems = sorted({lab.system for lab in space.labels})
    ev_dev = evaluation_space(space, dev, systems)
    y_dev = ev_dev.encode(dev)
    s_dev = align_scores(run.dev_scores, space, ev_dev)
    thresholds = tune_thresholds(y_dev, s_dev, ev_dev.keys(), min_positives=cfg.min_positives)
    common = dict(
        train_counts=counts, map_depth=cfg.map_depth, few_shot_max=cfg.few_shot_max, is_valid=is_valid
    )
    dev_fig = split_figures(dev, run.dev_scores, space, thresholds, with_auc=False, **common)
    test_fig = split_figures(test, run.test_scores, space, thresholds, **common)
    n_test = len(test)
    return {
        "dev": dev_fig,
        "test": test_fig,
        "thresholds": {
            "global": thresholds.global_threshold,
            "per_label": len(thresholds.per_label),
            "dev_micro_f1_global": thresholds.dev_micro_f1_global,
            "dev_micro_f1_per_label": thresholds.dev_micro_f1_per_label,
        },
        "n_labels": len(space),
        "train_seconds": run.train_seconds,
        "inference_docs_per_s": n_test / run.test_predict_seconds if run.test_predict_seconds > 0 else None,
        "peak_rss_mb": run.peak_rss_mb,
        "fit_stats": run.fit_stats,
    }
