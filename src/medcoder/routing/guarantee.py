"""The auto-finalize threshold with a finite-sample precision guarantee.

Setting: each unit (a suggested code) has a confidence ``c_i`` and a correctness bit ``z_i``;
accepting every unit with ``c_i >= t`` should give precision ``P(z = 1 | c >= t) >= target``.

Method (Learn-then-Test, Angelopoulos et al. 2021, with fixed-sequence testing):

- For a candidate ``t`` the null hypothesis is H0(t): precision(t) < target. Among the ``n``
  accepted units, ``k`` are correct; the exact one-sided binomial test rejects H0(t) at level
  ``delta`` exactly when the Clopper-Pearson lower bound ``Beta.ppf(delta, k, n - k + 1)`` is at
  least ``target``.
- Candidates are tested from the strictest (highest ``t``) to the loosest, each at the full
  level ``delta``, stopping at the first one that is not rejected (fixed-sequence testing). This
  controls the family-wise error at ``delta`` without splitting it across candidates, because
  the order is fixed before looking at the data; precision usually falls as ``t`` falls, so little
  is lost by stopping early. ``method="bonferroni"`` tests every candidate at ``delta / m`` and is
  offered for comparison (valid for any order, more conservative).
- Candidates that accept fewer than ``max(n_min, min_accepted)`` units are skipped, where ``n_min``
  is the smallest count at which even a perfect record (n of n correct) certifies ``target`` at
  ``delta`` (``target ** n_min <= delta``) and ``min_accepted`` (default 100) keeps the sequence
  from stopping on the first few, noisy, highest-confidence units. Skipping reads only the confidences, never a correctness bit, so
  the test sequence is still fixed before correctness is looked at (the same argument as for
  choosing the grid from unlabeled scores).
- The chosen threshold is the loosest rejected candidate. With probability at least
  ``1 - delta`` over the draw of the calibration units, its precision on new exchangeable data
  is at least ``target``. If nothing is rejected, nothing is auto-finalized (``t = inf``).

Why not a plain empirical-precision cut: picking the loosest ``t`` whose *observed* precision
is >= target overshoots about half the time; the bound plus the testing correction is what turns
it into a guarantee. The calibration units must not have been used to fit the scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def clopper_pearson_lower(k: int, n: int, delta: float) -> float:
    """One-sided (1 - delta) Clopper-Pearson lower bound on a binomial proportion (0 when k == 0)."""
    from scipy.stats import beta

    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k} n={n}")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    if k == 0:
        return 0.0
    return float(beta.ppf(delta, k, n - k + 1))


def clopper_pearson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Clopper-Pearson interval for k of n (``(0, 1)`` when n == 0)."""
    if n == 0:
        return 0.0, 1.0
    a = (1 - level) / 2
    lo = clopper_pearson_lower(k, n, a)
    hi = 1.0 - clopper_pearson_lower(n - k, n, a)
    return lo, hi


def default_candidates(confidences: np.ndarray, size: int = 100) -> np.ndarray:
    """A fixed grid of candidate thresholds in [0, 1] (data-independent: needed for the guarantee)."""
    return np.linspace(0.0, 1.0, size + 1)


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold and the evidence for it."""

    threshold: float
    target: float
    delta: float
    method: str
    n_accepted: int
    n_correct: int
    lower_bound: float
    n_units: int
    n_candidates: int
    tested: tuple[tuple[float, int, int, float], ...] = field(default=(), repr=False)  # (t, n, k, lower)

    @property
    def coverage(self) -> float:
        """Share of calibration units accepted at the threshold."""
        return self.n_accepted / self.n_units if self.n_units else 0.0

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "threshold": self.threshold if np.isfinite(self.threshold) else None,  # None: nothing certified
            "target": self.target,
            "delta": self.delta,
            "method": self.method,
            "n_accepted": self.n_accepted,
            "n_correct": self.n_correct,
            "lower_bound": self.lower_bound,
            "n_units": self.n_units,
            "n_candidates": self.n_candidates,
        }


def choose_threshold(
    confidences: np.ndarray,
    correct: np.ndarray,
    target: float = 0.95,
    delta: float = 0.05,
    candidates: Sequence[float] | None = None,
    method: str = "fixed_sequence",
    min_accepted: int = 100,
) -> ThresholdChoice:
    """Loosest threshold whose accepted set certifiably reaches ``target`` precision (see module doc)."""
    c = np.asarray(confidences, dtype=np.float64)
    z = np.asarray(correct).astype(bool)
    if c.shape != z.shape or c.ndim != 1:
        raise ValueError(f"confidences {c.shape} and correct {z.shape} must be 1-D and equal")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    if method not in ("fixed_sequence", "bonferroni"):
        raise ValueError(f"method must be 'fixed_sequence' or 'bonferroni', got {method!r}")
    grid = np.sort(np.asarray(default_candidates(c) if candidates is None else candidates, dtype=np.float64))[
        ::-1
    ]
    level = delta if method == "fixed_sequence" else delta / len(grid)
    n_min = max(int(np.ceil(np.log(level) / np.log(target))), min_accepted)
    chosen: tuple[float, int, int, float] | None = None
    tested = []
    for t in grid:
        acc = c >= t
        n, k = int(acc.sum()), int(z[acc].sum())
        if n < n_min:
            continue
        lb = clopper_pearson_lower(k, n, level) if n else 0.0
        tested.append((float(t), n, k, lb))
        if lb >= target:
            chosen = tested[-1]
        elif method == "fixed_sequence":
            break
    if chosen is None:
        return ThresholdChoice(
            float("inf"), target, delta, method, 0, 0, 0.0, len(c), len(grid), tuple(tested)
        )
    t, n, k, lb = chosen
    return ThresholdChoice(t, target, delta, method, n, k, lb, len(c), len(grid), tuple(tested))


def realised(confidences: np.ndarray, correct: np.ndarray, threshold: float) -> tuple[float, float, int]:
    """(precision, coverage, n accepted) of accepting ``confidences >= threshold``; precision 1.0 if none."""
    c = np.asarray(confidences, dtype=np.float64)
    z = np.asarray(correct).astype(bool)
    acc = c >= threshold
    n = int(acc.sum())
    return (float(z[acc].mean()) if n else 1.0), (n / len(c) if len(c) else 0.0), n


def risk_coverage(confidences: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and risk (1 - precision) when accepting the top-i units by confidence, i = 1..n."""
    c = np.asarray(confidences, dtype=np.float64)
    z = np.asarray(correct).astype(bool)
    order = np.argsort(-c, kind="stable")
    hits = np.cumsum(z[order])
    n = np.arange(1, len(c) + 1)
    return n / max(len(c), 1), 1.0 - hits / n
