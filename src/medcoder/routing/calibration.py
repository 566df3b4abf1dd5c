"""Per-code probability calibration fitted on a split the model never trained on.

Three layers, applied in order to a score matrix ``[n_docs, n_labels]``:

1. Temperature scaling (Guo et al. 2017): one global ``T`` on the logits, ``sigmoid(logit(p) / T)``,
   fitted by minimising the binary cross-entropy over every (document, label) cell.
2. Per-code maps for *frequent* codes (at least ``min_positives`` positive calibration documents and
   as many negatives): isotonic regression (``method="isotonic"``) or Platt scaling
   (``"platt"``: logistic regression on the temperature-scaled logit).
3. Every other code shares a Platt map pooled over its *frequency bucket* (training-document counts,
   ``medcoder.evaluation.buckets``: frequent / few-shot / unseen), so rare codes borrow strength.

Metrics: expected calibration error with ``n_bins`` equal-width bins (default 15) over all cells,
and the Brier score (mean squared error of the probability). Both are also given over the
"candidate" cells (probability >= 0.05 before calibration) where the decisions happen, since the
all-cells figures are dominated by the many near-zero negatives.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
EPS = 1e-6
N_BINS = 15
CANDIDATE_MIN = 0.05


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(q) - np.log1p(-q)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, n_bins: int = N_BINS) -> float:
    """ECE with equal-width bins on [0, 1]: sum over bins of (bin share) x |mean prob - positive rate|."""
    p = np.asarray(probs, dtype=np.float64).ravel()
    t = np.asarray(y, dtype=np.float64).ravel()
    if p.size == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(p[m].mean() - t[m].mean())
    return float(ece)


def brier(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean squared difference between probability and outcome."""
    p = np.asarray(probs, dtype=np.float64).ravel()
    return float(np.mean((p - np.asarray(y, dtype=np.float64).ravel()) ** 2)) if p.size else float("nan")


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """Global temperature ``T`` in [0.05, 20] minimising BCE of ``sigmoid(logit(p) / T)``."""
    from scipy.optimize import minimize_scalar

    z = logit(probs).ravel()
    t = np.asarray(y, dtype=np.float64).ravel()

    def nll(log_t: float) -> float:
        q = np.clip(sigmoid(z / np.exp(log_t)), EPS, 1 - EPS)
        return float(-np.mean(t * np.log(q) + (1 - t) * np.log1p(-q)))

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def fit_platt(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt map ``sigmoid(a * x + b)`` on logits ``x`` (lightly L2-regularised logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    t = np.asarray(y).ravel().astype(int)
    if t.min() == t.max():  # one class only: keep identity slope, set the intercept to the smoothed rate
        rate = (t.sum() + 0.5) / (len(t) + 1.0)
        return 1.0, float(np.log(rate / (1 - rate)) - np.mean(x))
    lr = LogisticRegression(C=100.0).fit(np.asarray(x).reshape(-1, 1), t)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


@dataclass(frozen=True)
class CodeMap:
    """One monotone map from temperature-scaled logit to probability."""

    kind: str  # "isotonic" | "platt"
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def apply(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "platt":
            return sigmoid(self.a * z + self.b)
        return np.interp(z, np.asarray(self.xs), np.asarray(self.ys))

    def to_dict(self) -> dict:
        if self.kind == "platt":
            return {"kind": "platt", "a": self.a, "b": self.b}
        return {"kind": "isotonic", "xs": list(self.xs), "ys": list(self.ys)}

    @classmethod
    def from_dict(cls, d: Mapping) -> CodeMap:
        if d["kind"] == "platt":
            return cls("platt", float(d["a"]), float(d["b"]))
        return cls("isotonic", xs=tuple(map(float, d["xs"])), ys=tuple(map(float, d["ys"])))


def fit_isotonic(z: np.ndarray, y: np.ndarray) -> CodeMap:
    """Isotonic map on logits, clipped to [0.001, 0.999] so it never claims certainty."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.001, y_max=0.999, out_of_bounds="clip").fit(z, y)
    return CodeMap(
        "isotonic", xs=tuple(map(float, iso.X_thresholds_)), ys=tuple(map(float, iso.y_thresholds_))
    )


@dataclass(frozen=True)
class Calibrators:
    """Temperature + per-code maps + bucket-pooled maps; ``transform`` calibrates a score matrix."""

    label_keys: tuple[str, ...]
    temperature: float
    per_code: Mapping[str, CodeMap]
    per_bucket: Mapping[str, CodeMap]
    label_bucket: Mapping[str, str]
    method: str = "isotonic"
    min_positives: int = 10
    train_counts: Mapping[str, int] = field(default_factory=dict)

    def transform(self, probs: np.ndarray, label_keys: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated probabilities of the same shape as ``probs`` (columns = ``label_keys``)."""
        keys = list(label_keys or self.label_keys)
        z = logit(probs) / self.temperature
        out = sigmoid(z)
        for j, key in enumerate(keys):
            m = self.per_code.get(key) or self.per_bucket.get(self.label_bucket.get(key, "unseen"))
            if m is not None:
                out[:, j] = m.apply(z[:, j])
        return out.astype(np.float32)

    def temperature_only(self, probs: np.ndarray) -> np.ndarray:
        return sigmoid(logit(probs) / self.temperature).astype(np.float32)

    def to_dict(self) -> dict:
        return {
            "temperature": self.temperature,
            "method": self.method,
            "min_positives": self.min_positives,
            "label_keys": list(self.label_keys),
            "label_bucket": dict(self.label_bucket),
            "train_counts": dict(self.train_counts),
            "per_code": {k: m.to_dict() for k, m in self.per_code.items()},
            "per_bucket": {k: m.to_dict() for k, m in self.per_bucket.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Calibrators:
        return cls(
            tuple(d["label_keys"]),
            float(d["temperature"]),
            {k: CodeMap.from_dict(v) for k, v in d["per_code"].items()},
            {k: CodeMap.from_dict(v) for k, v in d["per_bucket"].items()},
            dict(d["label_bucket"]),
            d.get("method", "isotonic"),
            int(d.get("min_positives", 10)),
            {k: int(v) for k, v in dict(d.get("train_counts", {})).items()},
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Calibrators:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def frequency_bucket(count: int, few_shot_max: int = 5) -> str:
    """frequent / few_shot / unseen by training-document count (as ``medcoder.evaluation.buckets``)."""
    return "unseen" if count <= 0 else ("few_shot" if count <= few_shot_max else "frequent")


def fit_calibrators(
    probs: np.ndarray,
    y: np.ndarray,
    label_keys: Sequence[str],
    train_counts: Mapping[str, int] | None = None,
    method: str = "isotonic",
    min_positives: int = 10,
    few_shot_max: int = 5,
) -> Calibrators:
    """Fit temperature, per-code maps (codes with ``min_positives`` positives and negatives) and pooled maps.

    ``train_counts``: training documents per label key (for the frequency buckets); when missing,
    calibration-split positives are used instead.
    """
    if method not in ("isotonic", "platt"):
        raise ValueError(f"method must be 'isotonic' or 'platt', got {method!r}")
    p, t = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if p.shape != t.shape or p.shape[1] != len(label_keys):
        raise ValueError(f"probs {p.shape}, y {t.shape} and {len(label_keys)} keys disagree")
    temp = fit_temperature(p, t)
    z = logit(p) / temp
    pos = t.sum(0)
    neg = t.shape[0] - pos
    counts = (
        dict(train_counts) if train_counts is not None else {k: int(pos[j]) for j, k in enumerate(label_keys)}
    )
    per_code: dict[str, CodeMap] = {}
    bucket_of: dict[str, str] = {}
    for j, key in enumerate(label_keys):
        bucket_of[key] = frequency_bucket(counts.get(key, 0), few_shot_max)
        if pos[j] >= min_positives and neg[j] >= min_positives:
            per_code[key] = (
                fit_isotonic(z[:, j], t[:, j])
                if method == "isotonic"
                else CodeMap("platt", *fit_platt(z[:, j], t[:, j]))
            )
    per_bucket: dict[str, CodeMap] = {}
    for bucket in ("frequent", "few_shot", "unseen"):
        cols = [j for j, k in enumerate(label_keys) if bucket_of[k] == bucket and k not in per_code]
        if cols:
            per_bucket[bucket] = CodeMap("platt", *fit_platt(z[:, cols].ravel(), t[:, cols].ravel()))
    log.info(
        "calibrators: T=%.3f, %d per-code %s maps, pooled buckets %s",
        temp,
        len(per_code),
        method,
        sorted(per_bucket),
    )
    return Calibrators(
        tuple(label_keys),
        temp,
        per_code,
        per_bucket,
        bucket_of,
        method,
        min_positives,
        {k: int(counts.get(k, 0)) for k in label_keys},
    )


def calibration_summary(
    probs: np.ndarray, y: np.ndarray, n_bins: int = N_BINS, candidate_from: np.ndarray | None = None
) -> dict[str, float]:
    """ECE and Brier over all cells and over candidate cells (``candidate_from >= 0.05``; default ``probs``)."""
    p, t = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ref = p if candidate_from is None else np.asarray(candidate_from)
    cand = ref >= CANDIDATE_MIN
    return {
        "ece": expected_calibration_error(p, t, n_bins),
        "brier": brier(p, t),
        "ece_candidates": expected_calibration_error(p[cand], t[cand], n_bins),
        "brier_candidates": brier(p[cand], t[cand]),
        "n_cells": float(p.size),
        "n_candidates": float(cand.sum()),
    }


def reliability_diagram(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | Path,
    n_bins: int = N_BINS,
    title: str = "reliability",
) -> Path:
    """PNG reliability diagram: observed positive rate per equal-width bin for each named (probs, y)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    for name, (probs, y) in curves.items():
        p, t = np.asarray(probs).ravel(), np.asarray(y).ravel()
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        xs, ys = [], []
        for b in range(n_bins):
            m = bins == b
            if m.sum() >= 5:
                xs.append(p[m].mean())
                ys.append(t[m].mean())
        ax.plot(xs, ys, "o-", label=f"{name} (ECE {expected_calibration_error(p, t, n_bins):.3f})")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
