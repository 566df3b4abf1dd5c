"""Router fitting and certification on scored documents (pure: the model comes in as an argument).

``medcoder.training.calibrate.calibrate_model`` drives these steps on a model directory. The
calibration documents are split deterministically (SHA-256 of the document id) into two halves:

- the *fit* half trains the per-code calibrators and the router (and the router's own temperature,
  by cross-fitting inside that half);
- the *certify* half is used only to choose the auto threshold with the finite-sample guarantee
  (``medcoder.routing.guarantee``), so the guarantee sees data nothing was fitted on.

The files these parts are saved in belong to ``medcoder.models.bundle`` (``save_routing``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from medcoder.data.records import Document
from medcoder.routing.calibration import Calibrators
from medcoder.routing.features import (
    ChartBatch,
    build_batch,
    gold_outside,
    rule_feature_counts,
)
from medcoder.routing.guarantee import ThresholdChoice, choose_threshold
from medcoder.routing.policy import ChartInput, CodeCandidate, RoutingPolicy, chart_scores
from medcoder.routing.router import Router
from medcoder.rules import RuleSet, encounter_from_document, validate

log = logging.getLogger(__name__)


def split_halves(docs: Sequence[Document]) -> tuple[list[Document], list[Document]]:
    """(fit, certify): deterministic by SHA-256 of the document id (even first byte -> fit)."""
    fit, cert = [], []
    for d in docs:
        (fit if hashlib.sha256(d.id.encode()).digest()[0] % 2 == 0 else cert).append(d)
    return fit, cert


def dev_half(docs: Sequence[Document], half: str) -> list[Document]:
    """One deterministic half of a dev split (SHA-256 of ``"dev-half:" + id``): "tune" or "cal".

    Used for CodiEsp, which has no calibration split: thresholds are tuned on the "tune" half and
    calibration / routing use the "cal" half. The salt differs from ``split_halves`` so the two
    splits are independent.
    """
    if half not in ("tune", "cal"):
        raise ValueError(f"half must be 'tune' or 'cal', got {half!r}")
    want = 0 if half == "tune" else 1
    return [d for d in docs if hashlib.sha256(f"dev-half:{d.id}".encode()).digest()[0] % 2 == want]


def rule_counts(doc: Document, codes: Sequence[str], rules: RuleSet | None = None) -> tuple[int, int, int]:
    """The router's rule features for the suggested ``codes`` (``"SYSTEM:code"`` keys, rank order).

    The encounter and the counts are built as in serving (``encounter_from_document``,
    ``rule_feature_counts``) with the serving default rule set unless ``rules`` is given.
    """
    if not codes:
        return 0, 0, 0
    pairs = [tuple(key.split(":", 1)) for key in codes]
    found = validate(encounter_from_document(doc, pairs), rules=rules or default_rules())
    return rule_feature_counts(found)


def default_rules() -> RuleSet:
    """The rule set serving runs by default (built-in rules and the shipped example packs)."""
    return RuleSet.default(example_packs=True)


@dataclass(frozen=True)
class Scored:
    """One split scored by the model: documents, raw and calibrated scores, gold, batch."""

    docs: list[Document]
    raw: np.ndarray
    cal: np.ndarray
    gold: np.ndarray
    batch: ChartBatch
    findings: list[tuple[int, int, int]]


def score_split(
    trained,
    docs: Sequence[Document],
    calibrators: Calibrators | None,
    counts: np.ndarray,
    use_rules: bool = False,
    few_shot_max: int = 5,
    raw: np.ndarray | None = None,
) -> Scored:
    """Model scores (``raw`` when already computed), calibrated scores, gold and router features of ``docs``."""
    docs = list(docs)
    keys = trained.label_space.keys()
    raw = trained.predict_scores(docs) if raw is None else raw
    cal = calibrators.transform(raw, keys) if calibrators is not None else raw
    gold = trained.label_space.encode(docs)
    thr = trained.threshold_vector
    findings = []
    for i, d in enumerate(docs):
        codes = [keys[j] for j in np.flatnonzero(raw[i] >= thr)]
        findings.append(rule_counts(d, codes) if use_rules else (0, 0, 0))
    systems = sorted({lab.system.value for lab in trained.label_space.labels})
    missing = gold_outside(docs, keys, systems)
    batch = build_batch(raw, cal, thr, counts, docs, findings, gold, missing, few_shot_max)
    return Scored(docs, raw, cal, gold, batch, findings)


def chart_inputs(
    scored: Scored,
    router: Router,
    policy: RoutingPolicy,
    label_keys: Sequence[str],
    counts: np.ndarray,
    findings: Sequence[Sequence[Any]] | None = None,
) -> list[ChartInput]:
    """``ChartInput`` per chart: codes with their confidence (router or calibrated), router chart probability."""
    p_chart, p_code = router.predict(scored.batch)
    b = scored.batch
    out = []
    for i, doc in enumerate(scored.docs):
        sel = np.flatnonzero(b.code_chart == i)
        conf = p_code[sel] if policy.confidence == "router" else scored.cal[i, b.code_label[sel]]
        codes = tuple(
            CodeCandidate(label_keys[b.code_label[k]], float(c), bool(counts[b.code_label[k]] <= 0))
            for k, c in zip(sel, conf, strict=True)
        )
        fx = tuple(findings[i]) if findings is not None else _pseudo_findings(scored.findings[i])
        out.append(ChartInput(codes, float(p_chart[i]), fx, specialty=doc.doc_type, payer=doc.payer))
    return out


@dataclass(frozen=True)
class _Count:
    rule_id: str
    severity: str
    codes: tuple[str, ...] = ()


def _pseudo_findings(counts: tuple[int, int, int]) -> tuple[_Count, ...]:
    """Finding-like records from severity counts (the policy only reads severity, rule id and codes)."""
    e, w, i = counts
    return tuple(
        [_Count("rules", "error")] * e + [_Count("rules", "warning")] * w + [_Count("rules", "info")] * i
    )


def code_units(
    charts: Sequence[ChartInput], scored: Scored, policy: RoutingPolicy
) -> tuple[np.ndarray, np.ndarray]:
    """Per suggested code: the chart-level auto score (min code confidence; -inf when gated) and correctness."""
    s = chart_scores(charts, policy)
    b = scored.batch
    conf = np.array([s[i] for i in b.code_chart], dtype=np.float64)
    return conf, b.code_y.astype(bool) if b.code_y is not None else np.zeros(len(conf), dtype=bool)


def certify(charts: Sequence[ChartInput], scored: Scored, policy: RoutingPolicy) -> ThresholdChoice:
    """The guaranteed auto threshold on the certify half."""
    conf, correct = code_units(charts, scored, policy)
    return choose_threshold(
        conf,
        correct,
        policy.target_precision,
        policy.delta,
        method=policy.method,
        min_accepted=policy.min_accepted,
    )
