"""Decision thresholds tuned on a development split (Edin et al. 2023).

A global threshold is chosen from ``np.linspace(0, 1, 100)`` to maximise micro-F1 on dev (a label
is predicted when ``score > threshold``). Labels with at least ``min_positives`` dev documents
then get their own threshold from the same grid: in label order, the value that maximises dev
micro-F1 with every other label at its current threshold (ties go to the value closest to the
global threshold, and a label whose best value is the global one keeps no override). Every other
label falls back to the global threshold. Dev micro-F1 therefore never drops below the global one.
The result is a ``DecisionThresholds`` record that travels with the model as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GRID_SIZE = 100


def default_grid(size: int = GRID_SIZE) -> np.ndarray:
    """``size`` evenly spaced candidate thresholds in [0, 1] (Edin et al. use 100)."""
    return np.linspace(0.0, 1.0, size)


@dataclass(frozen=True)
class DecisionThresholds:
    """A global threshold plus per-label overrides keyed by label key (``ICD-10-CM:E11.22``)."""

    global_threshold: float
    per_label: Mapping[str, float] = field(default_factory=dict)
    min_positives: int = 0
    objective: str = "micro_f1"
    dev_micro_f1_global: float | None = None
    dev_micro_f1_per_label: float | None = None

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.per_label.items() if not 0.0 <= v <= 1.0}
        if not 0.0 <= self.global_threshold <= 1.0 or bad:
            raise ValueError(
                f"thresholds must lie in [0, 1]: global={self.global_threshold}, per-label={bad}"
            )

    def vector(self, label_keys: Sequence[str], per_label: bool = True) -> np.ndarray:
        """One threshold per label key: the label's own when it has one (and ``per_label``), else global."""
        if not per_label:
            return np.full(len(label_keys), self.global_threshold, dtype=np.float64)
        return np.array([self.per_label.get(k, self.global_threshold) for k in label_keys], dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        return {
            "global_threshold": self.global_threshold,
            "per_label": dict(sorted(self.per_label.items())),
            "min_positives": self.min_positives,
            "objective": self.objective,
            "dev_micro_f1_global": self.dev_micro_f1_global,
            "dev_micro_f1_per_label": self.dev_micro_f1_per_label,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DecisionThresholds:
        if "global_threshold" not in data:
            raise ValueError("DecisionThresholds JSON needs a 'global_threshold' field")
        return cls(
            global_threshold=float(data["global_threshold"]),  # type: ignore[arg-type]
            per_label={str(k): float(v) for k, v in dict(data.get("per_label") or {}).items()},  # type: ignore[call-overload]
            min_positives=int(data.get("min_positives", 0)),  # type: ignore[call-overload]
            objective=str(data.get("objective", "micro_f1")),
            dev_micro_f1_global=_opt_float(data.get("dev_micro_f1_global")),
            dev_micro_f1_per_label=_opt_float(data.get("dev_micro_f1_per_label")),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> DecisionThresholds:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _opt_float(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def _counts_per_threshold(
    y: np.ndarray, s: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tp, fp, fn of every label at every grid value, each ``[len(grid), n_labels]``."""
    tp = np.empty((len(grid), y.shape[1]), dtype=np.int64)
    fp = np.empty_like(tp)
    n_pos = y.sum(axis=0)
    for i, t in enumerate(grid):
        pred = s > t
        tp[i] = np.sum(pred & y, axis=0)
        fp[i] = np.sum(pred, axis=0) - tp[i]
    fn = n_pos[None, :] - tp
    return tp, fp, fn


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    den = (2 * tp + fp + fn).astype(np.float64)
    return np.divide(2.0 * tp, den, out=np.zeros_like(den), where=den > 0)


def tune_global_threshold(
    y_true: np.ndarray, scores: np.ndarray, grid: np.ndarray | None = None
) -> tuple[float, float]:
    """The grid value with the highest micro-F1 on ``(y_true, scores)`` (lowest on ties) and that F1."""
    g = default_grid() if grid is None else np.asarray(grid, dtype=np.float64)
    y = np.asarray(y_true) > 0.5
    s = np.asarray(scores, dtype=np.float64)
    tp, fp, fn = _counts_per_threshold(y, s, g)
    f1 = _f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
    best = int(np.argmax(f1))
    return float(g[best]), float(f1[best])


def tune_thresholds(
    y_true: np.ndarray,
    scores: np.ndarray,
    label_keys: Sequence[str],
    min_positives: int = 5,
    grid: np.ndarray | None = None,
    per_label: bool = True,
) -> DecisionThresholds:
    """Global threshold by micro-F1, then per-label thresholds for labels with ``min_positives`` dev positives.

    ``min_positives`` guards against fitting a threshold to one or two examples; set ``per_label``
    False for the global threshold only.
    """
    y = np.asarray(y_true) > 0.5
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.shape[1] != len(label_keys):
        raise ValueError(f"y_true {y.shape}, scores {s.shape} and {len(label_keys)} label keys disagree")
    g = default_grid() if grid is None else np.asarray(grid, dtype=np.float64)
    tp, fp, fn = _counts_per_threshold(y, s, g)
    micro = _f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
    gi = int(np.argmax(micro))
    global_t = float(g[gi])
    overrides: dict[str, float] = {}
    if per_label:
        # One pass of coordinate ascent on dev micro-F1: each eligible label in turn takes the grid
        # value that maximises micro-F1 with every other label at its current threshold. Maximising
        # each label's own F1 instead lowers micro-F1 (frequent labels drift to threshold 0).
        tot = np.array([tp[gi].sum(), fp[gi].sum(), fn[gi].sum()], dtype=np.int64)
        eligible = np.flatnonzero(y.sum(axis=0) >= max(min_positives, 1))
        distance = np.abs(g - global_t)
        for j in eligible:
            rest = tot - np.array([tp[gi, j], fp[gi, j], fn[gi, j]])
            f1 = _f1(rest[0] + tp[:, j], rest[1] + fp[:, j], rest[2] + fn[:, j])
            best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0.0, atol=1e-12))
            k = int(best[np.argmin(distance[best])])
            if k != gi:
                overrides[label_keys[j]] = float(g[k])
                tot = rest + np.array([tp[k, j], fp[k, j], fn[k, j]])
    result = DecisionThresholds(global_threshold=global_t, per_label=overrides, min_positives=min_positives)
    vec = result.vector(label_keys)
    pred = s > vec
    t_all, f_all = np.sum(pred & y), np.sum(pred & ~y)
    n_all = y.sum()
    per_label_f1 = float(_f1(np.array(t_all), np.array(f_all), np.array(n_all - t_all)))
    return DecisionThresholds(
        global_threshold=global_t,
        per_label=overrides,
        min_positives=min_positives,
        dev_micro_f1_global=float(micro[gi]),
        dev_micro_f1_per_label=per_label_f1,
    )
