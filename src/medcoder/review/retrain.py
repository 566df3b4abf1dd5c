"""Retrain the index coder on reviewed charts, compare it with the old one, and promote it or not.

``retrain(base_model, feedback, out)``:

1. training documents: the data ``train_index_coder`` uses (CodiEsp-D train + realistic dev "fit"),
   where a reviewed chart supersedes a base document with the same id (the coder's final codes
   win) and a held-out reviewed chart is removed, plus the reviewed charts of the feedback's
   "train" part (``dataset.feedback_part``) with their final codes as labels;
2. coder-taught phrases (``models.taught``) from the codes coders added or substituted in those
   charts: candidates the index cannot propose;
3. fit, and the threshold tuned as ``train_index_coder`` tunes it (CodiEsp-D dev + realistic dev "tune");
4. chart routing re-certified into the new model directory (``coding.chart_certify``, default splits);
5. old and new scored on the SAME held-out groups: the feedback's "heldout" part, realistic dev
   "tune", CodiEsp-D dev (never CodiEsp test, never the realistic holdout). The threshold is tuned
   on the last two as well, for both versions alike: they measure "not worse", not final accuracy;
6. promoted when micro-F1 over all held-out charts and on every group is at least the old value
   minus ``tolerance``; ``promotion.json`` and ``model_card.md`` say why;
7. logged to MLflow and registered as a new version of ``medcoder-index-coder``; the alias
   ``champion`` moves to it only when promoted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medcoder.data.records import CodeSystem, Document
from medcoder.models.index_bundle import save_index_bundle
from medcoder.models.index_coder import IndexCoder
from medcoder.models.taught import TaughtPhrases
from medcoder.review.dataset import as_documents, feedback_part, load_feedback, taught_pairs
from medcoder.terminology.icd10cm import get_icd10cm
from medcoder.training.index_coder import micro_prf

log = logging.getLogger(__name__)

MODEL_NAME = "medcoder-index-coder"
PROMOTION_FILE = "promotion.json"
Certifier = Callable[[Path], Mapping[str, Any]]  # model dir -> chart routing report


@dataclass(frozen=True)
class RetrainConfig:
    heldout_share: float = 0.2
    tolerance: float = 0.0  # allowed micro-F1 drop (pooled and per group) for promotion
    min_support: int = 2
    max_words: int = 6
    track: bool = True
    tracking_dir: str = "training/mlflow"
    tracking_uri: str | None = None
    experiment: str = "medcoder-retrain"


@dataclass
class RetrainReport:
    out: str
    promoted: bool
    reasons: list[str]
    before: dict[str, dict]
    after: dict[str, dict]
    data: dict[str, int]
    taught: dict[str, Any]
    threshold: dict[str, float]
    seconds: dict[str, float] = field(default_factory=dict)
    mlflow: dict[str, Any] | None = None


def base_data() -> tuple[list[Document], list[Document], dict[str, list[Document]]]:
    """(training docs, threshold docs, default held-out groups) as ``train_index_coder`` splits them."""
    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir
    from medcoder.training.index_coder import realistic_notes, realistic_part

    train = load_codiesp(codiesp_dir(), "train", tasks=("D",))
    dev = load_codiesp(codiesp_dir(), "dev", tasks=("D",))
    real = realistic_notes("dev")
    fit_real = [n.document() for n in real if realistic_part(n.note_id) == "fit"]
    tune_real = [n.document() for n in real if realistic_part(n.note_id) == "tune"]
    return [*train, *fit_real], [*dev, *tune_real], {"realistic_dev_tune": tune_real, "codiesp_dev": dev}


def gold_icd(doc: Document) -> set[str]:
    return {lab.code.upper() for lab in doc.labels if lab.system is CodeSystem.ICD10CM}


def evaluate(coder: IndexCoder, groups: Mapping[str, Sequence[Document]]) -> dict[str, dict]:
    """Micro P/R/F1 (ICD-10-CM, suggested = ``predict``) per group and over all (``"all"``)."""
    pairs = {name: [({p.code for p in coder.predict(d.text)}, gold_icd(d)) for d in docs]
             for name, docs in groups.items() if docs}  # fmt: skip
    out = {name: {**micro_prf(p), "charts": len(p)} for name, p in pairs.items()}
    every = [x for p in pairs.values() for x in p]
    out["all"] = {**micro_prf(every), "charts": len(every)}
    return out


def promotion(
    before: Mapping[str, dict], after: Mapping[str, dict], tolerance: float
) -> tuple[bool, list[str]]:
    """Promote when F1 is not lower than before minus ``tolerance`` on all charts and on every group;
    the reasons list every group, then the decision."""
    reasons, worse = [], []
    for name in before:
        old, new = before[name]["f1"], after[name]["f1"]
        ok = new >= old - tolerance - 1e-12
        reasons.append(f"{name}: F1 {old:.4f} -> {new:.4f} ({new - old:+.4f}) {'ok' if ok else 'worse'}")
        worse += [] if ok else [name]
    if worse:
        return False, reasons + [f"not promoted: worse on {', '.join(worse)} beyond tolerance {tolerance}"]
    return True, reasons + [f"promoted: not worse on any held-out group (tolerance {tolerance})"]


def _billable(code: str) -> bool:
    try:
        return get_icd10cm().is_billable(code)
    except Exception:  # noqa: BLE001 - an unknown code is simply not billable
        return False


def certify_default(model_dir: Path) -> Mapping[str, Any]:
    """Re-certify chart routing as ``medcoder certify-charts`` does with its default splits; writes
    ``chart_routing.json``, ``chart_routing_report.json`` and the base model card into ``model_dir``."""
    from medcoder.coding.chart_certify import (
        certify_model,
        code_charts,
        default_splits,
        render_model_card,
        write_report,
    )
    from medcoder.models.index_bundle import IndexBundle

    splits = default_splits()
    cert, _, _ = certify_model(
        model_dir, splits["fit"], splits["calibration"],
        fit_set=f"realistic dev fit + CodiEsp dev tune half ({len(splits['fit'])} charts)",
        calibration_set=f"realistic dev tune + CodiEsp dev cal half ({len(splits['calibration'])} charts)",
    )  # fmt: skip
    cal = code_charts(IndexBundle.load(model_dir), splits["calibration"], "calibration", cert)
    report = write_report(cert, [cal], model_dir)
    (model_dir / "model_card.md").write_text(render_model_card(model_dir, report), encoding="utf-8")
    return report


def retrain(
    base_model: Path,
    feedback: Path,
    out: Path,
    heldout: Mapping[str, Sequence[Document]] | None = None,
    *,
    base_train: Sequence[Document] | None = None,
    tune: Sequence[Document] | None = None,
    config: RetrainConfig = RetrainConfig(),
    certify: Certifier | None = certify_default,
) -> RetrainReport:
    """Fit a new version from ``base_model``'s data + ``feedback``, compare, certify, register (module doc).

    ``base_train``, ``tune`` and ``heldout`` default to ``base_data()``; ``certify=None`` skips routing."""
    t0 = time.perf_counter()
    base_model, out = Path(base_model), Path(out)
    if base_train is None or tune is None or heldout is None:
        d_train, d_tune, d_held = base_data()
        base_train = d_train if base_train is None else base_train
        tune = d_tune if tune is None else tune
        heldout = d_held if heldout is None else heldout
    charts = load_feedback(feedback)
    part = {c.request_id: feedback_part(c.document_id, config.heldout_share) for c in charts}
    teach = [c for c in charts if part[c.request_id] == "train"]
    held = [c for c in charts if part[c.request_id] == "heldout"]
    groups = {"feedback_heldout": as_documents(held), **heldout}
    reviewed_ids = {c.document_id for c in charts}
    train_docs = [d for d in base_train if d.id not in reviewed_ids] + as_documents(teach)

    old = IndexCoder.load(base_model)
    taught = TaughtPhrases.learn(taught_pairs(teach), min_support=config.min_support,
                                 max_words=config.max_words, known=_billable)  # fmt: skip
    new = IndexCoder(old.matcher, taught=taught).fit(train_docs)
    new.tune_threshold(tune)
    t_fit = time.perf_counter()
    before, after = evaluate(old, groups), evaluate(new, groups)
    promoted, reasons = promotion(before, after, config.tolerance)
    data = {"base_docs": len(train_docs) - len(teach), "reviewed_train_charts": len(teach),
            "reviewed_heldout_charts": len(held), "tune_docs": len(tune),
            **{f"heldout_{k}": len(v) for k, v in groups.items()}}  # fmt: skip
    new.metrics = {"trained_on": data, "threshold_tuned_on": {"docs": len(tune)},
                   "retrained_from": str(base_model), "feedback": _card_version(feedback),
                   "heldout_before": before, "heldout_after": after}  # fmt: skip
    save_index_bundle(new, out, new.metrics)
    t_eval = time.perf_counter()
    if certify is not None:
        certify(out)
    t_cert = time.perf_counter()
    report = RetrainReport(
        out=str(out), promoted=promoted, reasons=reasons, before=before, after=after, data=data,
        taught={"phrases": len(taught), "dropped": taught.dropped,
                "codes": sorted({p.code for p in taught.phrases})},
        threshold={"before": old.threshold, "after": new.threshold},
        seconds={"fit_and_tune": round(t_fit - t0, 1), "evaluate": round(t_eval - t_fit, 1),
                 "certify": round(t_cert - t_eval, 1)},
    )  # fmt: skip
    card = out / "model_card.md"
    prefix = card.read_text(encoding="utf-8") if card.exists() else "# Model card: medcoder index coder\n"
    card.write_text(prefix.rstrip() + "\n\n" + render_changes(report, taught), encoding="utf-8")
    write_promotion(out, report, config.tolerance)
    if config.track:  # logs the directory (model card and promotion.json included), then records the version
        report.mlflow = register(out, report, base_model, config)
        write_promotion(out, report, config.tolerance)
    report.seconds["total"] = round(time.perf_counter() - t0, 1)
    return report


def write_promotion(out: Path, report: RetrainReport, tolerance: float) -> Path:
    """``promotion.json``: the decision, its reasons, held-out metrics before and after."""
    body = {"promoted": report.promoted, "reasons": report.reasons, "before": report.before,
            "after": report.after, "tolerance": tolerance, "mlflow": report.mlflow}  # fmt: skip
    path = out / PROMOTION_FILE
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    return path


def _card_version(feedback: Path) -> str | None:
    card = Path(feedback) / "card.json" if Path(feedback).is_dir() else Path(feedback).with_name("card.json")
    return json.loads(card.read_text(encoding="utf-8")).get("version") if card.exists() else None


def render_changes(report: RetrainReport, taught: TaughtPhrases) -> str:
    """The model card's "What changed" section: data, taught phrases, held-out metrics before/after."""
    lines = [
        "## What changed (retraining on reviewed charts)",
        f"- reviewed charts: {report.data['reviewed_train_charts']} taught this version, "
        f"{report.data['reviewed_heldout_charts']} held out; base documents {report.data['base_docs']}",
        f"- coder-taught phrases: {len(taught)} (dropped teachings: {taught.dropped or 'none'})",
        *(f"  - {' '.join(sorted(p.stems))} -> {p.code} (taught {p.support}x)" for p in taught.phrases[:30]),
        f"- decision threshold: {report.threshold['before']:.2f} -> {report.threshold['after']:.2f}",
        "",
        "| held-out group | charts | P before | P after | R before | R after | F1 before | F1 after | F1 delta |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, b in report.before.items():
        a = report.after[name]
        lines.append(f"| {name} | {b['charts']} | {b['precision']:.3f} | {a['precision']:.3f} | {b['recall']:.3f} "
                     f"| {a['recall']:.3f} | {b['f1']:.3f} | {a['f1']:.3f} | {a['f1'] - b['f1']:+.3f} |")  # fmt: skip
    lines += [
        "",
        f"**{'Promoted' if report.promoted else 'Not promoted'}.** " + "; ".join(report.reasons),
        "",
    ]
    return "\n".join(lines)


def register(out: Path, report: RetrainReport, base_model: Path, config: RetrainConfig) -> dict[str, Any]:
    """Log the run, register ``out`` as a new version of ``MODEL_NAME``; alias ``champion`` if promoted."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from medcoder.models.config import TrackingParams
    from medcoder.training.tracking import flat_metrics, git_sha, log_training_run, tracking_uri

    params = TrackingParams(enabled=True, uri=config.tracking_uri, dir=config.tracking_dir,
                            experiment=config.experiment)  # fmt: skip
    uri = tracking_uri(params)
    client = MlflowClient(uri)
    try:
        client.get_registered_model(MODEL_NAME)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(MODEL_NAME, description="medcoder index coder (default coder)")
    parent = hashlib.sha256((Path(base_model) / IndexCoder.FILE).read_bytes()).hexdigest()
    metrics = {**flat_metrics(report.before, "before."), **flat_metrics(report.after, "after."),
               "taught_phrases": float(report.taught["phrases"]), "promoted": float(report.promoted)}  # fmt: skip
    tags = {
        "parent_index_coder_sha256": parent,
        "promoted": str(report.promoted).lower(),
        "git_sha": git_sha(),
    }
    run = log_training_run(params, {"retrain": asdict(config), "data": report.data}, metrics, out, tags,
                           MODEL_NAME, run_name="retrain")  # fmt: skip
    if report.promoted:
        client.set_registered_model_alias(MODEL_NAME, "champion", str(run["model_version"]))
    return {**run, "champion": report.promoted}
