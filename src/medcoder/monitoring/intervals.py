"""Interval estimates for rates and their differences, shared by monitoring's feedback and denial reports.

Score intervals rather than the normal approximation because monitoring rates are often near 0 or 1
on small groups (a code reviewed twice, a code denied once in 30 lines).
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054
"""The two-sided 95% normal quantile."""

BUCKETS = ((0.5, "0.0-0.5"), (0.7, "0.5-0.7"), (0.9, "0.7-0.9"), (math.inf, "0.9-1.0"))
"""Confidence buckets (upper bound exclusive, label) of monitoring tables."""
NO_BUCKET = "none"


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``k / n`` (95% for the default ``z``).

    Unlike the normal interval it stays inside [0, 1] and is not empty at ``k = 0`` or ``k = n``, so
    a code accepted in 2 of 2 reviews gets (0.342, 1.0), not (1.0, 1.0). With ``n = 0`` nothing is
    known and the interval is the whole (0.0, 1.0) (finite, so it goes into JSON as is).
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"wilson_interval needs 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    z2 = z * z
    p = k / n
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def probability_bucket(probability: float) -> str:
    """``"0.0-0.5"``, ``"0.5-0.7"``, ``"0.7-0.9"`` or ``"0.9-1.0"`` (lower bound inclusive); NaN: ``"none"``."""
    if probability != probability:
        return NO_BUCKET
    return next(label for upper, label in BUCKETS if probability < upper)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, z: float = Z_95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``k1/n1 - k2/n2`` from the two Wilson intervals."""
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = wilson_interval(k1, n1, z), wilson_interval(k2, n2, z)
    d = p1 - p2
    return (d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2))


def phi_coefficient(a: int, b: int, c: int, d: int) -> float:
    """Phi of the 2x2 table ``[[a, b], [c, d]]`` (NaN when a margin is empty)."""
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    return (a * d - b * c) / math.sqrt(denom) if denom else math.nan


def fisher_z_interval(r: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """Interval of a Pearson r from ``n`` pairs: tanh(atanh(r) +- z / sqrt(n - 3))."""
    if n <= 3 or not math.isfinite(r):
        return (math.nan, math.nan)
    if abs(r) >= 1.0:
        return (r, r)
    centre, half = math.atanh(r), z / math.sqrt(n - 3)
    return (math.tanh(centre - half), math.tanh(centre + half))
