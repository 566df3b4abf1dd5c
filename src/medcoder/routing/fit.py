"""``calibrate_model``: calibrators, router and the certified auto threshold, saved into a model directory.

The calibration documents are split deterministically (SHA-256 of the document id) into two halves:

- the *fit* half trains the per-code calibrators and the router (and the router's own temperature,
  by cross-fitting inside that half);
- the *certify* half is used only to choose the auto threshold with the finite-sample guarantee
  (``medcoder.routing.guarantee``), so the guarantee sees data nothing was fitted on.

Files written into the model directory: ``calibrators.json``, ``router.safetensors``,
``router.json`` and ``routing.json`` (policy with the certified threshold and the evidence for it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.data.records import Document
from medcoder.routing.calibration import Calibrators, calibration_summary, fit_calibrators
from medcoder.routing.features import ChartBatch, build_batch, counts_vector, gold_outside
from medcoder.routing.guarantee import ThresholdChoice, choose_threshold
from medcoder.routing.policy import ChartInput, CodeCandidate, RoutingPolicy, chart_scores
from medcoder.routing.router import Router, RouterConfig

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


def rule_counts(doc: Document, codes: Sequence[str]) -> tuple[int, int, int]:
    """(errors, warnings, infos) from ``medcoder.rules`` for the suggested codes; zeros without a date."""
    if doc.encounter_date is None or not codes:
        return 0, 0, 0
    from medcoder.data.records import CodeSystem
    from medcoder.rules.encounter import Encounter, EncounterCode, PatientInfo
    from medcoder.rules.engine import RuleSet, validate

    enc_codes = []
    for pos, key in enumerate(codes, start=1):
        system, _, code = key.partition(":")
        enc_codes.append(
            EncounterCode(
                system=CodeSystem(system), code=code, position=pos if system == "ICD-10-CM" else None
            )
        )
    enc = Encounter(
        id=doc.id,
        date_of_service=doc.encounter_date,
        payer=doc.payer,
        setting=doc.setting,
        patient=PatientInfo(age=doc.patient.age, sex=doc.patient.sex),
        codes=tuple(enc_codes),
        note_text=doc.text,
    )
    found = validate(enc, rules=RuleSet(em=False, cdi=False, hcc=False))
    sev = [str(getattr(f.severity, "value", f.severity)) for f in found]
    return sev.count("error"), sev.count("warning"), sev.count("info")


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


def calibrate_model(
    model_dir: str | Path,
    cal_docs: Sequence[Document],
    policy: RoutingPolicy,
    train_counts: dict[str, int] | None = None,
    use_rules: bool = False,
    router_config: RouterConfig | None = None,
) -> dict[str, Any]:
    """Fit calibrators + router on the fit half, certify the threshold on the other, save all in ``model_dir``."""
    from medcoder.training.model_dir import load_model_dir

    model_dir = Path(model_dir)
    trained = load_model_dir(model_dir)
    keys = trained.label_space.keys()
    fit_docs, cert_docs = split_halves(cal_docs)
    if len(fit_docs) < 10 or len(cert_docs) < 10:
        raise ValueError(
            f"calibration split too small: {len(fit_docs)} fit / {len(cert_docs)} certify documents"
        )
    raw_fit = trained.predict_scores(fit_docs)
    gold_fit = trained.label_space.encode(fit_docs)
    calibrators = fit_calibrators(
        raw_fit,
        gold_fit,
        keys,
        train_counts,
        policy.calibration_method,
        policy.min_positives,
        policy.few_shot_max,
    )
    counts = counts_vector(keys, calibrators.train_counts)
    fit_scored = score_split(trained, fit_docs, calibrators, counts, use_rules, policy.few_shot_max, raw_fit)
    router = Router.fit(fit_scored.batch, router_config)
    cert_scored = score_split(trained, cert_docs, calibrators, counts, use_rules, policy.few_shot_max)
    choice = certify(chart_inputs(cert_scored, router, policy, keys, counts), cert_scored, policy)
    final = policy.with_threshold(choice.threshold)
    calibrators.save(model_dir / "calibrators.json")
    router.save(model_dir)
    summary = {
        "policy": final.to_dict(),
        "guarantee": choice.to_dict(),
        "split": {
            "fit_docs": len(fit_docs),
            "certify_docs": len(cert_docs),
            "rule": "sha256(doc id)[0] even -> fit",
        },
        "calibration_fit_half": {
            "before": calibration_summary(raw_fit, gold_fit, policy.n_bins),
            "after": calibration_summary(fit_scored.cal, gold_fit, policy.n_bins, candidate_from=raw_fit),
        },
        "temperature": calibrators.temperature,
        "router_temperatures": {"chart": router.chart_temperature, "code": router.code_temperature},
        "use_rules": use_rules,
    }
    (model_dir / "routing.json").write_text(
        json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8"
    )
    log.info(
        "certified auto threshold %.3f (lower bound %.4f on %d codes)",
        choice.threshold,
        choice.lower_bound,
        choice.n_accepted,
    )
    return summary


def load_routing(model_dir: str | Path) -> tuple[Calibrators, Router, RoutingPolicy]:
    """Calibrators, router and certified policy saved by ``calibrate_model``."""
    model_dir = Path(model_dir)
    if not (model_dir / "routing.json").exists():
        raise FileNotFoundError(
            f"{model_dir} has no routing.json: run `medcoder calibrate --model {model_dir} ...` first"
        )
    data = json.loads((model_dir / "routing.json").read_text(encoding="utf-8"))
    return (
        Calibrators.load(model_dir / "calibrators.json"),
        Router.load(model_dir),
        RoutingPolicy.from_dict(data["policy"]),
    )
