"""Score-level ensembles of fitted coders, with fusion weights chosen on dev.

Different coders fail differently on a small corpus: TF-IDF + logistic regression ranks frequent
codes well, label-wise attention finds codes from their context, a dictionary finds codes from
their description. Fusing their per-document scores is the cheapest large gain (EVALUATION.md).

Two fusions, both computed over the union of the members' label spaces (a label a member does not
know gets nothing from it):

- ``prob``: the weighted mean of the members' scores. Sensitive to each member's score scale, which
  the weights absorb.
- ``rrf``: weighted reciprocal-rank fusion, ``sum_m w_m / (k + rank_m)`` over each member's top
  ``depth`` codes of the document (rank 1 = best). Scale-free; only the order within a document
  matters, which is what MAP measures.

Weights come from a simplex grid searched on dev by CodiEsp MAP; test scores are fused once with
the chosen weights. Pure functions: the benchmark and the ``EnsembleCoder`` both use them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.models.base import LabelSpace

FUSIONS = ("prob", "rrf")


def union_space(spaces: Sequence[LabelSpace]) -> LabelSpace:
    """Labels of every space, in first-seen order (the first member's order first)."""
    seen: dict = {}
    for space in spaces:
        for lab in space.labels:
            seen.setdefault(lab, None)
    return LabelSpace(list(seen))


def reciprocal_ranks(scores: np.ndarray, k: float = 60.0, depth: int = 100) -> np.ndarray:
    """Per row, ``1 / (k + rank)`` for the ``depth`` best-scored columns (rank 1 = best), else 0.

    Columns with a score of exactly 0 get nothing: a member that did not score a code has no
    opinion about it. Ties keep column order (stable sort), like ``ranked_codes``.
    """
    s = np.asarray(scores, dtype=np.float32)
    out = np.zeros_like(s)
    if s.size == 0:
        return out
    top = np.argsort(-s, axis=1, kind="stable")[:, :depth]
    ranks = np.arange(1, top.shape[1] + 1, dtype=np.float32)
    rows = np.arange(s.shape[0])[:, None]
    out[rows, top] = 1.0 / (k + ranks)[None, :]
    out[s <= 0] = 0.0
    return out


def fusion_parts(
    members: Sequence[np.ndarray], fusion: str, k: float = 60.0, depth: int = 100
) -> list[np.ndarray]:
    """Each member's contribution at weight 1: a fusion is the weighted mean of these.

    For ``rrf`` the reciprocal ranks are scaled by ``k + 1`` so a rank-1 code scores 1 and
    decision thresholds stay on a familiar [0, 1] scale.
    """
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
    if fusion == "rrf":
        return [reciprocal_ranks(m, k, depth) * (k + 1.0) for m in members]
    return [np.asarray(m, dtype=np.float32) for m in members]


def fuse(
    members: Sequence[np.ndarray], weights: Sequence[float], fusion: str, k: float = 60.0, depth: int = 100
) -> np.ndarray:
    """Fuse aligned member scores (same shape each) with ``weights`` by ``fusion`` (see module doc)."""
    if len(members) != len(weights) or not members:
        raise ValueError(f"{len(members)} members but {len(weights)} weights")
    shapes = {m.shape for m in members}
    if len(shapes) != 1:
        raise ValueError(f"member scores must share one shape, got {sorted(shapes)}")
    total = float(sum(weights))
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError(f"weights must be non-negative with a positive sum, got {list(weights)}")
    used = [(m, w) for m, w in zip(members, weights, strict=True) if w]
    parts = fusion_parts([m for m, _ in used], fusion, k, depth)
    out = np.zeros(members[0].shape, dtype=np.float32)
    for part, (_, w) in zip(parts, used, strict=True):
        out += (w / total) * part
    return out


def simplex_grid(n: int, steps: int) -> list[tuple[float, ...]]:
    """Every weight vector of ``n`` non-negative multiples of ``1/steps`` summing to 1."""
    if n < 1 or steps < 1:
        raise ValueError(f"need n >= 1 and steps >= 1, got n={n}, steps={steps}")
    grid = []
    for cut in itertools.combinations(range(steps + n - 1), n - 1):
        parts = np.diff([-1, *cut, steps + n - 1]) - 1  # stars and bars
        grid.append(tuple(float(p) / steps for p in parts))
    return grid


@dataclass(frozen=True)
class FusionChoice:
    """The fusion and weights chosen on dev, their dev objective, and how many candidates were tried."""

    fusion: str
    weights: tuple[float, ...]
    dev_map: float
    tried: int


def greedy_selection(
    parts: Sequence[np.ndarray], objective: Callable[[np.ndarray], float], rounds: int
) -> tuple[tuple[float, ...], float, int]:
    """Forward ensemble selection with replacement (Caruana et al., 2004).

    Each round adds the member whose addition maximises ``objective`` of the mean of the members
    chosen so far; a member may be chosen again, which raises its weight. Returns the weights
    (counts / total) of the best round, its objective and the number of evaluations.
    """
    counts = np.zeros(len(parts))
    total = np.zeros_like(parts[0], dtype=np.float32)
    best_counts, best_score, tried = counts.copy(), -np.inf, 0
    for r in range(1, rounds + 1):
        round_best = (-1, -np.inf)
        for i, part in enumerate(parts):
            score = objective((total + part) / r)
            tried += 1
            if score > round_best[1]:
                round_best = (i, score)
        i, score = round_best
        counts[i] += 1
        total += parts[i]
        if score > best_score:
            best_counts, best_score = counts.copy(), score
    weights = tuple(float(c) for c in best_counts / best_counts.sum())
    return weights, float(best_score), tried


def choose_fusion(
    dev_members: Sequence[np.ndarray],
    objective: Callable[[np.ndarray], float],
    steps: int = 10,
    fusions: Sequence[str] = FUSIONS,
    k: float = 60.0,
    depth: int = 100,
    max_points: int = 500,
) -> FusionChoice:
    """The fusion and weights with the best ``objective`` (e.g. dev MAP) of the fused dev scores.

    Few members: every point of the simplex grid of resolution ``1/steps`` is tried. When that grid
    has more than ``max_points`` points, greedy forward selection with replacement over
    ``2 * steps`` rounds replaces it (resolution ``1/(2 * steps)`` at far fewer evaluations).
    Ties go to the first candidate found (``prob`` before ``rrf``, grid order), so the search is
    deterministic.
    """
    n = len(dev_members)
    exhaustive = math.comb(steps + n - 1, n - 1) <= max_points
    best: tuple[str, tuple[float, ...], float] | None = None  # fusion, weights, objective
    tried = 0
    for fusion in fusions:
        parts = fusion_parts(dev_members, fusion, k, depth)
        if exhaustive:
            for weights in simplex_grid(n, steps):
                fused = sum(w * p for w, p in zip(weights, parts, strict=True) if w)
                score = objective(np.asarray(fused, dtype=np.float32))
                tried += 1
                if best is None or score > best[2]:
                    best = (fusion, weights, score)
        else:
            weights, score, evaluations = greedy_selection(parts, objective, 2 * steps)
            tried += evaluations
            if best is None or score > best[2]:
                best = (fusion, weights, score)
    if best is None:
        raise ValueError(f"no fusion to try: fusions={tuple(fusions)}")
    return FusionChoice(best[0], best[1], best[2], tried)
