"""Chart-level auto-finalize: P(the whole code set is exactly right), certified with Learn-then-Test.

The unit a coder finalizes is the chart, so the guarantee is stated per chart: among auto-finalized
charts, the share whose suggested code set equals the coder's (nothing missing, nothing extra) is at
least ``target`` with probability at least ``1 - delta`` over the calibration draw. The test is the
one in ``routing.guarantee`` (exact binomial / Clopper-Pearson bound, fixed-sequence testing over a
fixed grid), with charts as the units instead of codes.

A chart is scored from :class:`ChartSignals`: the suggested codes' probabilities and margins, the
candidates the coder proposed and rejected, rule findings, and *completeness*: affirmed statements
in the assessment/plan that no suggested code's evidence covers (a problem with no code is the most
common way a chart is wrong). :class:`ChartScorer` is a standardised L2 logistic regression on
those features (scikit-learn), small enough to fit on a hundred charts; with fewer than
``MIN_CLASS`` exactly-right or wrong charts it falls back to the independence estimate
``sum(log p) + sum(log(1 - p_rejected))``, stated in its ``kind``.

:class:`ChartCertificate` bundles scorer, certified threshold, the calibration set's name and size
and its feature reference for the shift guard (``routing.shift``); it is saved as
``chart_routing.json`` in the model directory.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.nlp.mentions import clauses
from medcoder.routing.guarantee import ThresholdChoice, choose_threshold
from medcoder.routing.shift import ShiftReference

log = logging.getLogger(__name__)

FILE = "chart_routing.json"
CHART_FEATURES = (
    "n_codes",
    "min_p",
    "mean_p",
    "log_p_set",
    "n_near",
    "n_rejected",
    "n_unexplained",
    "n_assessment",
    "n_suppressed",
    "rule_errors",
    "rule_warnings",
    "cdi_queries",
    "log_chars",
)
NEAR = 0.15
"""A suggested code within this of its threshold, or a rejected candidate within it below, is near."""
MIN_CLASS = 5
"""Fewer exactly-right (or wrong) fitting charts than this: the scorer falls back to ``log_p_set``."""
_NOT_AFFIRMED = frozenset({"negated", "uncertain", "hypothetical", "family"})
_EPS = 1e-6


def synthetic_guard(calibration_sources: Sequence[str], doc_source: str) -> str | None:
    """A review reason when routing was calibrated on synthetic notes only and ``doc_source`` is not
    synthetic: such a calibration says nothing about real notes (issue 14: "honest defaults")."""
    if (
        calibration_sources
        and all(s == "synthetic" for s in calibration_sources)
        and doc_source != "synthetic"
    ):
        return "routing was calibrated on synthetic notes only: a real note is never auto-finalized"
    return None


@dataclass(frozen=True)
class ChartSignals:
    """What the chart scorer reads about one coded chart (no note text is kept beyond scoring)."""

    text: str
    code_probs: tuple[float, ...]
    code_thresholds: tuple[float, ...]
    evidence: tuple[tuple[int, int], ...]
    rejected_probs: tuple[float, ...] = ()
    rejected_thresholds: tuple[float, ...] = ()
    n_suppressed: int = 0
    rule_errors: int = 0
    rule_warnings: int = 0
    cdi_queries: int = 0


def unexplained_statements(text: str, evidence: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """(affirmed assessment/plan clauses no evidence span touches, affirmed assessment/plan clauses).

    A clause counts when it sits in an assessment/plan-like section, carries no negation,
    uncertainty, hypothetical or family cue and has at least two alphabetic words."""
    n_unexplained = n_total = 0
    for c in clauses(text):
        if c.section != "assessment" or _NOT_AFFIRMED.intersection(c.cues):
            continue
        if sum(any(ch.isalpha() for ch in w.stem) for w in c.words) < 2:
            continue
        n_total += 1
        if not any(a < c.end and b > c.start for a, b in evidence):
            n_unexplained += 1
    return n_unexplained, n_total


def chart_features(s: ChartSignals) -> np.ndarray:
    """The ``CHART_FEATURES`` vector of one chart (hand-checkable: see tests/unit/routing/test_chart.py)."""
    p = np.clip(np.asarray(s.code_probs, dtype=np.float64), _EPS, 1 - _EPS)
    t = np.asarray(s.code_thresholds, dtype=np.float64)
    r = np.clip(np.asarray(s.rejected_probs, dtype=np.float64), _EPS, 1 - _EPS)
    rt = np.asarray(s.rejected_thresholds, dtype=np.float64)
    near = int(np.sum(p - t < NEAR)) + int(np.sum(rt - r < NEAR))
    unexplained, assessment = unexplained_statements(s.text, s.evidence)
    return np.array(
        [
            len(p),
            p.min() if len(p) else 0.0,
            p.mean() if len(p) else 0.0,
            float(np.log(p).sum() + np.log1p(-r).sum()),
            near,
            len(r),
            unexplained,
            assessment,
            s.n_suppressed,
            s.rule_errors,
            s.rule_warnings,
            s.cdi_queries,
            math.log1p(len(s.text)),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class ChartScorer:
    """Standardised logistic regression: features -> P(chart exactly right)."""

    kind: str  # "logistic" or "independence" (fallback)
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, c: float = 1.0, seed: int = 0) -> ChartScorer:
        """Fit on fitting charts (never the certification charts)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y).astype(int)
        if x.ndim != 2 or x.shape[1] != len(CHART_FEATURES) or len(x) != len(y):
            raise ValueError(f"need x [n, {len(CHART_FEATURES)}] and y [n], got {x.shape} and {y.shape}")
        n_pos = int(y.sum())
        if min(n_pos, len(y) - n_pos) < MIN_CLASS:
            return cls.independence()
        from sklearn.linear_model import LogisticRegression

        mean = x.mean(axis=0)
        scale = np.where(x.std(axis=0) > _EPS, x.std(axis=0), 1.0)
        lr = LogisticRegression(C=c, max_iter=1000, random_state=seed).fit((x - mean) / scale, y)
        return cls("logistic", tuple(mean), tuple(scale), tuple(lr.coef_[0]), float(lr.intercept_[0]))

    @classmethod
    def independence(cls) -> ChartScorer:
        """P(exact) = prod p(suggested) * prod (1 - p(rejected)): the codes' own calibrated estimate."""
        k = len(CHART_FEATURES)
        coef = [0.0] * k
        coef[CHART_FEATURES.index("log_p_set")] = 1.0
        return cls("independence", (0.0,) * k, (1.0,) * k, tuple(coef), 0.0)

    def score(self, x: np.ndarray) -> np.ndarray:
        """P(exactly right) per row of ``x`` [n, len(CHART_FEATURES)]."""
        z = (np.atleast_2d(x) - np.asarray(self.mean)) / np.asarray(self.scale)
        if self.kind == "independence":
            return np.exp(np.minimum(z @ np.asarray(self.coef), 0.0))
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "features": list(CHART_FEATURES), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef), "intercept": self.intercept}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChartScorer:
        if list(d["features"]) != list(CHART_FEATURES):
            raise ValueError(
                f"chart scorer features {d['features']} differ from this version's {CHART_FEATURES}"
            )
        return cls(d["kind"], tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]))


@dataclass(frozen=True)
class ChartCertificate:
    """Scorer + certified chart threshold + shift reference, as saved with the model."""

    scorer: ChartScorer
    choice: ThresholdChoice
    shift: ShiftReference
    calibration_set: str
    fit_set: str
    ood_alpha: float = 0.01
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def certified(self) -> bool:
        return bool(np.isfinite(self.choice.threshold))

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": "chart",
            "calibration_set": self.calibration_set,
            "fit_set": self.fit_set,
            "guarantee": self.choice.to_dict(),
            "ood_alpha": self.ood_alpha,
            "scorer": self.scorer.to_dict(),
            "shift_reference": self.shift.to_dict(),
            "summary": self.summary,
        }

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / FILE
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> ChartCertificate:
        path = Path(folder) / FILE
        d = json.loads(path.read_text(encoding="utf-8"))
        g = d["guarantee"]
        choice = ThresholdChoice(
            float("inf") if g["threshold"] is None else float(g["threshold"]), g["target"], g["delta"],
            g["method"], g["n_accepted"], g["n_correct"], g["lower_bound"], g["n_units"], g["n_candidates"],
        )  # fmt: skip
        return cls(ChartScorer.from_dict(d["scorer"]), choice, ShiftReference.from_dict(d["shift_reference"]),
                   d["calibration_set"], d["fit_set"], float(d["ood_alpha"]), dict(d.get("summary", {})))  # fmt: skip


def certify_charts(
    fit_x: np.ndarray,
    fit_y: np.ndarray,
    cal_x: np.ndarray,
    cal_y: np.ndarray,
    cal_gated: np.ndarray | None = None,
    *,
    calibration_set: str,
    fit_set: str,
    target: float = 0.95,
    delta: float = 0.05,
    min_accepted: int = 0,
    ood_alpha: float = 0.01,
    calibration_sources: Sequence[str] = (),
) -> ChartCertificate:
    """Fit the scorer on the fitting charts, certify its threshold on the calibration charts.

    A calibration chart that is gated (``cal_gated``: a rule finding, a suppressed code, no code)
    or unlike the other calibration charts (shift p-value < ``ood_alpha``) can never be auto: its
    score is set to ``-inf`` before testing, so the certified set is exactly the set routing accepts.
    ``min_accepted`` below the exact-test minimum (``target ** n <= delta``) is raised to it."""
    scorer = ChartScorer.fit(fit_x, fit_y)
    shift = ShiftReference.fit(cal_x)
    if (len(cal_x) + 1) * ood_alpha < 1:
        log.warning("%d calibration charts: a shift p-value cannot fall below %.3f, so the per-chart "
                    "guard at alpha %.3f never fires", len(cal_x), 1 / (len(cal_x) + 1), ood_alpha)  # fmt: skip
    blocked = shift.p_value(cal_x) < ood_alpha
    if cal_gated is not None:
        blocked |= np.asarray(cal_gated, dtype=bool)
    cal_scores = np.where(blocked, -np.inf, scorer.score(cal_x))
    choice = choose_threshold(
        cal_scores, np.asarray(cal_y).astype(bool), target, delta, min_accepted=min_accepted
    )
    summary = {
        "calibration_sources": sorted(set(calibration_sources)),
        "fit_charts": int(len(fit_y)),
        "fit_exact": int(np.sum(fit_y)),
        "calibration_charts": int(len(cal_y)),
        "calibration_exact": int(np.sum(cal_y)),
        "calibration_gated": int(blocked.sum()),
        "calibration_coverage": choice.coverage,
    }
    return ChartCertificate(scorer, choice, shift, calibration_set, fit_set, ood_alpha, summary)
