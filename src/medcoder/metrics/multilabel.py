"""Multi-label coding metrics on a gold matrix and a score matrix (pure numpy, sklearn for AUC).

Conventions (written down because papers differ on them):

- ``y_true`` is a 0/1 matrix ``[n_docs, n_labels]``; ``scores`` holds probabilities of the same shape.
  Both must use the *evaluation* label space: the model's labels plus every gold label of the
  evaluated split (columns the model cannot score hold 0), so missed unseen codes count as misses.
- A label is predicted when ``score > threshold`` (strict, as in Edin et al. 2023).
- Micro P/R/F1 pool true/false positives over every document and label.
- Macro P/R/F1 average per-label values over the labels that have at least one gold positive in
  the evaluated split (Edin et al. 2023, ``filter_codes``: "all labels in the split"). Labels the
  model predicts but that never occur in the split's gold are left out of the macro mean (they
  still count as false positives in the micro figures). A label without predictions has
  precision 0; per-label F1 is ``2tp / (2tp + fp + fn)``; macro F1 is the mean of per-label F1.
- Ranking metrics (P@k, R@k, matrix mAP) average over documents with at least one gold label;
  ties are broken by column order (stable sort).
- Macro AUC averages over labels with both a positive and a negative document; micro AUC pools
  every cell. A value that cannot be defined is ``nan``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MacroLabels = str  # "gold" (labels with a gold positive, default) or "all" (every column)


def _check(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 2 or y.shape != s.shape:
        raise ValueError(f"y_true and scores must be 2-D with one shape, got {y.shape} and {s.shape}")
    return y > 0.5, s


def binarize(scores: np.ndarray, thresholds: float | np.ndarray) -> np.ndarray:
    """Boolean predictions ``scores > thresholds`` (a scalar or one threshold per column)."""
    s = np.asarray(scores)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim == 1 and t.shape[0] != s.shape[1]:
        raise ValueError(f"{t.shape[0]} thresholds for {s.shape[1]} labels")
    return s > t


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label true positives, false positives and false negatives, each ``[n_labels]``."""
    y = np.asarray(y_true) > 0.5
    p = np.asarray(y_pred).astype(bool)
    if y.shape != p.shape:
        raise ValueError(f"y_true {y.shape} and y_pred {p.shape} differ")
    tp = np.sum(y & p, axis=0)
    fp = np.sum(~y & p, axis=0)
    fn = np.sum(y & ~p, axis=0)
    return tp, fp, fn


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def macro_label_mask(y_true: np.ndarray, macro_labels: MacroLabels = "gold") -> np.ndarray:
    """Columns that enter macro averages: those with a gold positive ("gold") or all ("all")."""
    y = np.asarray(y_true) > 0.5
    if macro_labels == "gold":
        return y.any(axis=0)
    if macro_labels == "all":
        return np.ones(y.shape[1], dtype=bool)
    raise ValueError(f"macro_labels must be 'gold' or 'all', got {macro_labels!r}")


def precision_recall_f1(
    y_true: np.ndarray, y_pred: np.ndarray, average: str = "micro", macro_labels: MacroLabels = "gold"
) -> tuple[float, float, float]:
    """Precision, recall and F1 of boolean predictions, ``average`` "micro" or "macro"."""
    tp, fp, fn = confusion_counts(y_true, y_pred)
    if average == "micro":
        t, f_p, f_n = tp.sum(), fp.sum(), fn.sum()
        p = float(_ratio(t, t + f_p))
        r = float(_ratio(t, t + f_n))
        f1 = float(_ratio(2 * t, 2 * t + f_p + f_n))
        return p, r, f1
    if average == "macro":
        mask = macro_label_mask(y_true, macro_labels)
        if not mask.any():
            return float("nan"), float("nan"), float("nan")
        tp, fp, fn = tp[mask], fp[mask], fn[mask]
        p = float(np.mean(_ratio(tp, tp + fp)))
        r = float(np.mean(_ratio(tp, tp + fn)))
        f1 = float(np.mean(_ratio(2 * tp, 2 * tp + fp + fn)))
        return p, r, f1
    raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")


def _ranked_hits(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Gold indicator of each document's labels sorted by descending score (stable)."""
    order = np.argsort(-s, axis=1, kind="stable")
    return np.take_along_axis(y, order, axis=1)


def _gold_rows(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
    """Ranked gold hits ``[docs with gold, n_labels]`` (one stable sort), or None without gold."""
    y, s = _check(y_true, scores)
    has_gold = y.any(axis=1)
    if not has_gold.any():
        return None
    return _ranked_hits(y[has_gold], s[has_gold])


def _p_at_k(hits: np.ndarray | None, k: int) -> float:
    return float("nan") if hits is None else float(np.mean(hits[:, :k].sum(axis=1) / k))


def _r_at_k(hits: np.ndarray | None, k: int) -> float:
    return float("nan") if hits is None else float(np.mean(hits[:, :k].sum(axis=1) / hits.sum(axis=1)))


def _map(hits: np.ndarray | None) -> float:
    if hits is None:
        return float("nan")
    h = hits.astype(np.float64)
    prec = np.cumsum(h, axis=1) / np.arange(1, h.shape[1] + 1)
    return float(np.mean((prec * h).sum(axis=1) / h.sum(axis=1)))


def precision_at_k(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Mean over documents with gold of (gold labels among the top ``k``) / ``k``."""
    return _p_at_k(_gold_rows(y_true, scores), k)


def recall_at_k(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Mean over documents with gold of (gold labels among the top ``k``) / (gold labels)."""
    return _r_at_k(_gold_rows(y_true, scores), k)


def mean_average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Mean over documents with gold of average precision over the full ranking of all columns.

    This is the matrix form used in MIMIC papers (Edin et al. 2023 "mAP"); CodiEsp's official MAP
    works on ranked code lists and is in ``medcoder.metrics.codiesp_map``.
    """
    return _map(_gold_rows(y_true, scores))


def auc(y_true: np.ndarray, scores: np.ndarray, average: str = "micro") -> float:
    """ROC AUC (sklearn); macro over labels with both classes present, ``nan`` when undefined."""
    from sklearn.metrics import roc_auc_score

    y, s = _check(y_true, scores)
    if average == "micro":
        flat = y.ravel()
        if flat.all() or not flat.any():
            return float("nan")
        return float(roc_auc_score(flat, s.ravel()))
    if average == "macro":
        pos = y.sum(axis=0)
        ok = (pos > 0) & (pos < y.shape[0])
        if not ok.any():
            return float("nan")
        return float(np.mean([roc_auc_score(y[:, j], s[:, j]) for j in np.flatnonzero(ok)]))
    raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")


def classification_report(
    y_true: np.ndarray,
    scores: np.ndarray,
    thresholds: float | np.ndarray,
    ks: Sequence[int] = (5, 8, 15),
    macro_labels: MacroLabels = "gold",
    with_auc: bool = True,
) -> dict[str, float]:
    """Every matrix metric at once, as a flat ``name -> value`` mapping (ready for MLflow/JSON).

    Names: ``micro_precision``, ``micro_recall``, ``micro_f1``, ``macro_*``, ``precision_at_<k>``,
    ``recall_at_<k>``, ``map_matrix``, ``micro_auc``, ``macro_auc``, ``n_docs``, ``n_labels``
    (labels entering the macro mean) and ``n_gold`` (gold document-label pairs).
    """
    y, s = _check(y_true, scores)
    pred = binarize(s, thresholds)
    out: dict[str, float] = {}
    for avg in ("micro", "macro"):
        p, r, f1 = precision_recall_f1(y, pred, avg, macro_labels)
        out[f"{avg}_precision"], out[f"{avg}_recall"], out[f"{avg}_f1"] = p, r, f1
    hits = _gold_rows(y, s)
    for k in ks:
        out[f"precision_at_{k}"] = _p_at_k(hits, k)
        out[f"recall_at_{k}"] = _r_at_k(hits, k)
    out["map_matrix"] = _map(hits)
    if with_auc:
        out["micro_auc"] = auc(y, s, "micro")
        out["macro_auc"] = auc(y, s, "macro")
    out["n_docs"] = float(y.shape[0])
    out["n_labels"] = float(macro_label_mask(y, macro_labels).sum())
    out["n_gold"] = float(y.sum())
    return out
