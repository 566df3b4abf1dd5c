"""Chart-level and code-level features for the router, and the correctness targets it learns.

A chart's *suggested set* is every label whose raw model score passes its decision threshold
(``thresholds.json``). Confidence features use the calibrated probabilities. Rule findings are an
input vector ``(errors, warnings, infos)`` per chart, from ``medcoder.rules`` when available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.data.records import Document

CHART_FEATURES = (
    "n_suggested",
    "max_p",
    "mean_p_suggested",
    "min_p_suggested",
    "min_margin_suggested",
    "closest_miss_margin",
    "entropy",
    "n_borderline",
    "any_few_shot",
    "any_unseen",
    "rule_errors",
    "rule_warnings",
    "rule_infos",
    "log_chars",
    "n_sections",
    "section_coverage",
)
CODE_FEATURES = ("p", "margin", "rank_frac", "is_few_shot", "is_unseen", "log_train_count")
BORDER = 0.1


@dataclass(frozen=True)
class ChartBatch:
    """Feature matrices and targets for a set of charts.

    chart_x: [n_charts, len(CHART_FEATURES)]; code_x: [n_codes, len(CODE_FEATURES) + len(CHART_FEATURES)];
    code_chart: [n_codes] chart index of each suggested code; code_label: [n_codes] label column;
    chart_y / code_y: correctness targets (None when there is no gold).
    """

    chart_x: np.ndarray
    code_x: np.ndarray
    code_chart: np.ndarray
    code_label: np.ndarray
    chart_y: np.ndarray | None
    code_y: np.ndarray | None


RULE_FEATURE_EXCLUDED = ("EM.", "CDI.", "HCC.")
"""Rule families that are not routing features: E/M levelling, CDI drafts and HCC summaries describe
the visit or the documentation, not whether the suggested codes are claim-ready."""


def rule_feature_counts(findings: Sequence[object]) -> tuple[int, int, int]:
    """(errors, warnings, infos) over ``findings`` (``rule_id`` + ``severity`` as enum or str).

    The one definition of the router's rule features: router fitting and serving both call it.
    """
    sev = [
        str(getattr(f.severity, "value", f.severity))
        for f in findings
        if not f.rule_id.startswith(RULE_FEATURE_EXCLUDED)
    ]
    return sev.count("error"), sev.count("warning"), sev.count("info")


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return -(q * np.log(q) + (1 - q) * np.log(1 - q))


def doc_layout(doc: Document | None, text_length: int | None = None) -> tuple[float, float, float]:
    """(log characters, number of sections, share of characters inside a section)."""
    if doc is None:
        return float(np.log1p(text_length or 0)), 0.0, 0.0
    n = max(len(doc.text), 1)
    covered = np.zeros(n, dtype=bool)
    for s in doc.sections:
        covered[s.start : s.end] = True
    return float(np.log1p(len(doc.text))), float(len(doc.sections)), float(covered.mean())


def build_batch(
    raw: np.ndarray,
    cal: np.ndarray,
    thresholds: np.ndarray,
    train_counts: np.ndarray,
    docs: Sequence[Document | None],
    findings: Sequence[tuple[int, int, int]] | None = None,
    gold: np.ndarray | None = None,
    missing_gold: np.ndarray | None = None,
    few_shot_max: int = 5,
) -> ChartBatch:
    """Features (and targets when ``gold [n_charts, n_labels]`` is given) for every chart.

    raw / cal: [n_charts, n_labels] model and calibrated probabilities; thresholds, train_counts:
    [n_labels]; ``missing_gold`` [n_charts] marks charts with a gold code outside the label space
    (such a chart's code set cannot be correct; see ``gold_outside``).
    """
    n = raw.shape[0]
    findings = findings or [(0, 0, 0)] * n
    few = (train_counts >= 1) & (train_counts <= few_shot_max)
    unseen = train_counts <= 0
    chart_rows, code_rows, code_chart, code_label = [], [], [], []
    for i in range(n):
        margin = raw[i] - thresholds
        sel = np.flatnonzero(margin >= 0)
        sel = sel[np.argsort(-cal[i, sel], kind="stable")]
        p_sel = cal[i, sel]
        miss = margin[margin < 0]
        cand = cal[i] >= 0.01
        chart = [
            float(len(sel)),
            float(cal[i].max()) if cal.shape[1] else 0.0,
            float(p_sel.mean()) if len(sel) else 0.0,
            float(p_sel.min()) if len(sel) else 1.0,
            float(margin[sel].min()) if len(sel) else 1.0,
            float(miss.max()) if len(miss) else -1.0,
            float(_binary_entropy(cal[i, cand]).sum()),
            float(np.sum(np.abs(margin) < BORDER)),
            float(few[sel].any()),
            float(unseen[sel].any()),
            *map(float, findings[i]),
            *doc_layout(docs[i] if i < len(docs) else None),
        ]
        chart_rows.append(chart)
        for r, j in enumerate(sel):
            code_rows.append(
                [
                    float(cal[i, j]),
                    float(margin[j]),
                    r / max(len(sel), 1),
                    float(few[j]),
                    float(unseen[j]),
                    float(np.log1p(max(train_counts[j], 0))),
                    *chart,
                ]
            )
            code_chart.append(i)
            code_label.append(int(j))
    chart_x = np.asarray(chart_rows, dtype=np.float32).reshape(n, len(CHART_FEATURES))
    code_x = np.asarray(code_rows, dtype=np.float32).reshape(-1, len(CODE_FEATURES) + len(CHART_FEATURES))
    cc, cl = np.asarray(code_chart, dtype=np.int64), np.asarray(code_label, dtype=np.int64)
    chart_y = code_y = None
    if gold is not None:
        code_y = gold[cc, cl].astype(np.float32) if len(cc) else np.zeros(0, dtype=np.float32)
        chart_y = chart_targets(raw >= thresholds[None, :], gold, missing_gold)
    return ChartBatch(chart_x, code_x, cc, cl, chart_y, code_y)


def chart_targets(pred: np.ndarray, gold: np.ndarray, missing_gold: np.ndarray | None = None) -> np.ndarray:
    """1.0 where the suggested set equals the gold set (and no gold code lies outside the label space)."""
    exact = np.all(pred.astype(bool) == (gold > 0.5), axis=1)
    if missing_gold is not None:
        exact &= ~np.asarray(missing_gold, dtype=bool)
    return exact.astype(np.float32)


def gold_outside(docs: Sequence[Document], label_keys: Sequence[str], systems: Sequence[str]) -> np.ndarray:
    """Per chart: whether it has a gold code of ``systems`` that the label space lacks."""
    keys = set(label_keys)
    return np.array(
        [
            any(c.system.value in systems and f"{c.system.value}:{c.code}" not in keys for c in d.labels)
            for d in docs
        ],
        dtype=bool,
    )


def counts_vector(label_keys: Sequence[str], train_counts: Mapping[str, int]) -> np.ndarray:
    return np.array([int(train_counts.get(k, 0)) for k in label_keys], dtype=np.int64)
