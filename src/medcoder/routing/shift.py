"""Shift guard: is an incoming chart, or a window of traffic, like the calibration charts?

A certified threshold only holds on data exchangeable with the calibration set. Two checks:

- **per chart**, a conformal out-of-distribution p-value. The calibration charts' router features
  are standardised with robust statistics (median, and the larger of 1.4826 * MAD and a tenth of
  the standard deviation, so count features whose MAD is zero still scale); a chart's distance is the
  root-mean-square of its clipped standardised features, and its p-value is
  ``(1 + #{calibration distances >= d}) / (n + 1)``. Under exchangeability with the calibration
  set that p-value is super-uniform, so routing to review when ``p < alpha`` sends only about an
  ``alpha`` share of like charts to review, and unlike charts much more often.
- **per window**, a classifier two-sample test (Lopez-Paz and Oquab 2017): a logistic regression
  learns to tell the window's features from an equal-size, seeded sample of the calibration
  features; its cross-validated accuracy is tested against 0.5 with an exact one-sided binomial
  test. Chosen over per-feature tests because it sees joint shifts, needs no multiple-testing
  correction over features and its statistic (accuracy) is easy to read.

The reference stores the calibration feature matrix itself: router features are counts and
probabilities, never note text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

CLIP = 50.0


@dataclass(frozen=True)
class ShiftReference:
    """Calibration charts' features, their robust centre/scale and sorted distances."""

    features: np.ndarray  # [n, k]
    center: np.ndarray
    scale: np.ndarray
    distances: np.ndarray  # sorted ascending

    @classmethod
    def fit(cls, x: np.ndarray) -> ShiftReference:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise ValueError(f"need a non-empty [n, k] feature matrix, got shape {x.shape}")
        center = np.median(x, axis=0)
        mad = 1.4826 * np.median(np.abs(x - center), axis=0)
        scale = np.maximum(np.maximum(mad, 0.1 * x.std(axis=0)), 1e-3)
        ref = cls(x, center, scale, np.zeros(0))
        return cls(x, center, scale, np.sort(ref.distance(x)))

    def distance(self, x: np.ndarray) -> np.ndarray:
        z = np.clip((np.atleast_2d(x) - self.center) / self.scale, -CLIP, CLIP)
        return np.sqrt(np.mean(z**2, axis=1))

    def p_value(self, x: np.ndarray) -> np.ndarray:
        """Conformal p-value per row: small means unlike the calibration charts."""
        d = self.distance(x)
        n = len(self.distances)
        at_least = n - np.searchsorted(self.distances, d, side="left")
        return (1.0 + at_least) / (n + 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {"features": self.features.tolist(), "center": self.center.tolist(),
                "scale": self.scale.tolist()}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ShiftReference:
        x = np.asarray(d["features"], dtype=np.float64)
        ref = cls(x, np.asarray(d["center"]), np.asarray(d["scale"]), np.zeros(0))
        return cls(x, ref.center, ref.scale, np.sort(ref.distance(x)))


@dataclass(frozen=True)
class TwoSampleResult:
    """A classifier two-sample test of one traffic window against the calibration features."""

    n_reference: int
    n_window: int
    accuracy: float
    p_value: float
    alpha: float

    @property
    def shifted(self) -> bool:
        return self.p_value < self.alpha

    def to_dict(self) -> dict[str, Any]:
        return {"test": "classifier_two_sample", "n_reference": self.n_reference, "n_window": self.n_window,
                "accuracy": round(self.accuracy, 4), "p_value": self.p_value, "alpha": self.alpha,
                "shifted": self.shifted}  # fmt: skip


def two_sample_test(
    reference: np.ndarray, window: np.ndarray, alpha: float = 0.01, folds: int = 5, seed: int = 0
) -> TwoSampleResult:
    """Can a classifier tell ``window`` from ``reference``? Exact binomial test of its CV accuracy."""
    from scipy.stats import binomtest
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref = np.asarray(reference, dtype=np.float64)
    win = np.asarray(window, dtype=np.float64)
    if ref.ndim != 2 or win.ndim != 2 or ref.shape[1] != win.shape[1]:
        raise ValueError(f"reference {ref.shape} and window {win.shape} must be [n, k] with the same k")
    n = min(len(ref), len(win))
    if n < folds:
        raise ValueError(f"need at least {folds} charts in both the window and the reference, got {n}")
    rng = np.random.default_rng(seed)
    ref = ref[rng.choice(len(ref), n, replace=False)]
    win = win[rng.choice(len(win), n, replace=False)]
    x = np.vstack([ref, win])
    y = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred = cross_val_predict(model, x, y, cv=cv)
    hits = int(np.sum(pred == y))
    p = float(binomtest(hits, 2 * n, 0.5, alternative="greater").pvalue)
    return TwoSampleResult(n, n, hits / (2 * n), p, alpha)


class ShiftMonitor:
    """Collects served charts' features; every ``window`` charts, tests them against the reference.

    ``observe`` is thread-safe; finished tests wait in :meth:`drain` (the service records each in the
    audit trail) and the latest stays in ``last`` (the service's health/metrics report it)."""

    def __init__(self, reference: ShiftReference, window: int = 200, alpha: float = 0.01, seed: int = 0):
        import threading

        if window < 10:
            raise ValueError(f"a shift window needs at least 10 charts, got {window}")
        self.reference, self.window, self.alpha, self.seed = reference, window, alpha, seed
        self._rows: list[np.ndarray] = []
        self._done: list[TwoSampleResult] = []
        self._lock = threading.Lock()
        self.last: TwoSampleResult | None = None
        self.windows_tested = 0
        self.windows_shifted = 0

    def observe(self, x: np.ndarray) -> TwoSampleResult | None:
        with self._lock:
            self._rows.append(np.asarray(x, dtype=np.float64))
            if len(self._rows) < self.window:
                return None
            rows, self._rows = np.vstack(self._rows), []
        result = two_sample_test(self.reference.features, rows, self.alpha, seed=self.seed)
        with self._lock:
            self.last = result
            self.windows_tested += 1
            self.windows_shifted += int(result.shifted)
            self._done.append(result)
        return result

    def drain(self) -> list[TwoSampleResult]:
        """Tests finished since the last call (oldest first)."""
        with self._lock:
            done, self._done = self._done, []
        return done
