"""Denial prediction: a calibrated P(denied) and the likely CARC for each claim line, before billing.

Trained on remittance history (one row per claim line, :func:`medcoder.claims.history.history_frame`):
the procedure, its modifiers and units, the payer, the principal diagnosis' category and the
number of diagnoses, the charge, and, where the claim came from medcoder, the rule findings, the
model's lowest confidence on the claim's codes and whether a coder overrode a suggestion. Missing
columns (Synthea histories carry no model confidence) are filled with neutral values plus a
"missing" indicator, so one model serves both.

Model: one-hot categories (rare ones pooled) and scaled numbers into an L2 logistic regression,
then Platt (sigmoid) calibration on a later slice of the training period, because denial rates
move with time and a probability must mean what it says on the next month's claims. The likely
CARC is a second multinomial logistic regression fit on the denied lines only. Evaluation is on a
time split (train on the earliest share, test on the rest): AUROC, Brier score and a reliability
table (and plot). A claim's risk is the noisy-or of its lines' probabilities (lines are denied
largely independently in this data; the card says so).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from medcoder.claims.records import Claim
from medcoder.claims.simulator import claim_encounter, patient_age
from medcoder.rules.engine import RuleSet, validate
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.packs.loader import load_packaged_pack, packaged_packs

CATEGORICAL = (
    "procedure",
    "payer_id",
    "modifiers",
    "dx_category",
    "age_band",
    "payer_procedure",
    "payer_age",
)
AGE_BANDS = ((0, "0-2"), (3, "3-18"), (19, "19-49"), (50, "50-64"), (65, "65+"))
NUMERIC = ("log_charge", "units", "n_modifiers", "n_diagnoses", "rule_errors", "rule_warnings",
           "min_confidence", "confidence_missing", "overridden")  # fmt: skip
OPTIONAL_DEFAULTS = {"rule_errors": 0.0, "rule_warnings": 0.0, "overridden": 0.0}
PREBILL_THRESHOLD = 0.30
"""Default claim denial risk above which routing adds a "pre-bill check" reason."""
MODEL_FILE = "denial_model.joblib"
CARD_FILE = "denial_model.json"


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns from a history or new-claim frame (see the module docstring)."""
    out = pd.DataFrame(index=frame.index)
    out["procedure"] = frame["procedure"].astype(str)
    out["payer_id"] = frame["payer_id"].astype(str)
    out["modifiers"] = frame["modifiers"].map(
        lambda m: ":".join(m) if isinstance(m, (tuple, list)) else str(m or "")
    )
    principal = (
        frame["principal_diagnosis"] if "principal_diagnosis" in frame else pd.Series("", index=frame.index)
    )
    out["dx_category"] = principal.astype(str).str[:3]
    ages = frame["patient_age"] if "patient_age" in frame else pd.Series(np.nan, index=frame.index)
    out["age_band"] = ages.map(age_band)
    # payer coverage rules are payer x code (x age) interactions a linear model cannot form on its own
    out["payer_procedure"] = out["payer_id"] + "|" + out["procedure"]
    out["payer_age"] = out["payer_id"] + "|" + out["age_band"]
    out["log_charge"] = np.log1p(frame["charge"].astype(float).clip(lower=0))
    out["units"] = frame["units"].astype(float)
    out["n_modifiers"] = frame["n_modifiers"].astype(float)
    out["n_diagnoses"] = frame["n_diagnoses"].astype(float) if "n_diagnoses" in frame else 1.0
    for column, default in OPTIONAL_DEFAULTS.items():
        out[column] = frame[column].astype(float).fillna(default) if column in frame else default
    confidence = (
        frame["min_confidence"].astype(float)
        if "min_confidence" in frame
        else pd.Series(np.nan, index=frame.index)
    )
    out["confidence_missing"] = confidence.isna().astype(float)
    out["min_confidence"] = confidence.fillna(1.0)
    return out


def age_band(age: float | None) -> str:
    """The age band of a patient (``unknown`` when the age is missing)."""
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return "unknown"
    return next(label for lower, label in reversed(AGE_BANDS) if age >= lower)


def _pipeline(seed: int) -> Pipeline:
    encode = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5), list(CATEGORICAL)),
        ("num", StandardScaler(), list(NUMERIC)),
    ])  # fmt: skip
    return Pipeline(
        [("encode", encode), ("fit", LogisticRegression(C=1.0, max_iter=2000, random_state=seed))]
    )


@dataclass(frozen=True)
class Reliability:
    """One reliability bin: mean predicted probability against the observed denial rate."""

    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class DenialEvaluation:
    """Time-split evaluation of a denial model (test = the latest ``1 - train_share`` of lines)."""

    n_train: int
    n_test: int
    split_date: str
    denial_rate_train: float
    denial_rate_test: float
    auroc: float
    brier: float
    brier_baseline: float
    carc_top1: float
    reliability: tuple[Reliability, ...]

    def to_dict(self) -> dict:
        return asdict(self)


class DenialModel:
    """Calibrated line-level denial probability plus the most likely denial CARC."""

    def __init__(self, classifier: CalibratedClassifierCV, carc: Pipeline | None, default_carc: str) -> None:
        self.classifier = classifier
        self.carc = carc
        self.default_carc = default_carc

    @classmethod
    def fit(cls, history: pd.DataFrame, *, seed: int = 0, calibration_share: float = 0.25) -> DenialModel:
        """Fit on ``history`` (time-ordered: the last ``calibration_share`` calibrates)."""
        ordered = history.sort_values("service_date", kind="stable")
        y = ordered["denied"].astype(int).to_numpy()
        if y.sum() == 0 or y.sum() == len(y):
            raise ValueError("denial history needs both denied and paid lines to learn from")
        cut = int(len(ordered) * (1 - calibration_share))
        x = features(ordered)
        base = _pipeline(seed).fit(x.iloc[:cut], y[:cut])
        calibrator = CalibratedClassifierCV(FrozenEstimator(base), method="sigmoid")
        calibrator.fit(x.iloc[cut:], y[cut:])
        denied = ordered[ordered["denied"].astype(bool) & (ordered["denial_carc"].astype(str) != "")]
        carcs = denied["denial_carc"].astype(str)
        default = carcs.mode().iloc[0] if len(carcs) else ""
        carc_model = None
        if carcs.nunique() >= 2:
            carc_model = _pipeline(seed).fit(features(denied), carcs.to_numpy())
        return cls(calibrator, carc_model, default)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per line: ``p_denied`` and ``likely_carc``; the frame's index is kept."""
        x = features(frame)
        p = self.classifier.predict_proba(x)[:, 1]
        carc = self.carc.predict(x) if self.carc is not None else np.full(len(x), self.default_carc)
        return pd.DataFrame({"p_denied": p, "likely_carc": carc}, index=frame.index)

    def claim_risk(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per claim: noisy-or of its lines' denial probabilities and the riskiest line's CARC."""
        lines = self.predict(frame).assign(claim_id=frame["claim_id"].to_numpy())
        rows = []
        for claim_id, group in lines.groupby("claim_id", sort=False):
            risk = 1.0 - float(np.prod(1.0 - group["p_denied"].to_numpy()))
            worst = group["p_denied"].idxmax()
            rows.append(
                {"claim_id": claim_id, "p_denied": risk, "likely_carc": group.loc[worst, "likely_carc"]}
            )
        return pd.DataFrame(rows)

    def save(self, directory: str | Path, card: dict | None = None) -> Path:
        """Write the model (joblib) and its card (JSON) into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        joblib.dump({"classifier": self.classifier, "carc": self.carc, "default_carc": self.default_carc},
                    out / MODEL_FILE)  # fmt: skip
        (out / CARD_FILE).write_text(json.dumps(card or {}, indent=2, sort_keys=True) + "\n")
        return out / MODEL_FILE

    @classmethod
    def load(cls, directory: str | Path) -> DenialModel:
        data = joblib.load(Path(directory) / MODEL_FILE)
        return cls(data["classifier"], data["carc"], data["default_carc"])


def simulator_rules() -> RuleSet:
    """The rules the simulated payer applies: ICD-10-CM conventions and the example payer packs."""
    return RuleSet(
        icd=True, em=False, hcc=False, cdi=False, packs=[load_packaged_pack(n) for n in packaged_packs()]
    )


def rule_counts(findings: Sequence[Finding]) -> tuple[int, int]:
    """(errors, warnings) among rule findings: the denial model's rule features."""
    return sum(f.severity == Severity.ERROR for f in findings), sum(
        f.severity == Severity.WARNING for f in findings
    )


def claim_frame(
    claim: Claim,
    *,
    service_date: dt.date,
    rules: RuleSet | None = None,
    min_confidence: float | None = None,
    overridden: bool = False,
) -> pd.DataFrame:
    """A new claim as denial-model input rows (one per line), with the same rule features as training."""
    findings = validate(claim_encounter(claim, service_date), rules=rules or simulator_rules())
    errors, warnings = rule_counts(findings)
    return pd.DataFrame([{
        "service_date": pd.Timestamp(line.service_date or service_date), "claim_id": claim.claim_id,
        "payer_id": claim.payer.payer_id, "line_number": line.line_number, "procedure": line.procedure,
        "modifiers": ",".join(line.modifiers), "n_modifiers": len(line.modifiers), "units": float(line.units),
        "charge": float(line.charge), "principal_diagnosis": claim.diagnoses[0] if claim.diagnoses else "",
        "n_diagnoses": len(claim.diagnoses), "rule_errors": errors, "rule_warnings": warnings,
        "patient_age": patient_age(claim, service_date), "min_confidence": min_confidence,
        "overridden": float(overridden),
    } for line in claim.lines])  # fmt: skip


def reliability_table(y: Sequence[int], p: Sequence[float], bins: int = 10) -> tuple[Reliability, ...]:
    """Equal-width reliability bins (empty bins left out)."""
    y_arr, p_arr = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (p_arr >= lo) & ((p_arr < hi) | ((hi == 1.0) & (p_arr <= hi)))
        if mask.any():
            out.append(
                Reliability(
                    float(lo),
                    float(hi),
                    int(mask.sum()),
                    float(p_arr[mask].mean()),
                    float(y_arr[mask].mean()),
                )
            )
    return tuple(out)


def evaluate_time_split(
    history: pd.DataFrame, *, train_share: float = 0.7, seed: int = 0
) -> tuple[DenialModel, DenialEvaluation]:
    """Fit on the earliest ``train_share`` of lines (by service date), evaluate on the rest."""
    ordered = history.sort_values("service_date", kind="stable").reset_index(drop=True)
    cut = int(len(ordered) * train_share)
    train, test = ordered.iloc[:cut], ordered.iloc[cut:]
    model = DenialModel.fit(train, seed=seed)
    pred = model.predict(test)
    y = test["denied"].astype(int).to_numpy()
    p = pred["p_denied"].to_numpy()
    auroc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else math.nan
    base_rate = float(train["denied"].astype(int).mean())
    denied = test["denied"].astype(bool).to_numpy() & (test["denial_carc"].astype(str).to_numpy() != "")
    carc_top1 = (
        float(
            (
                pred["likely_carc"].to_numpy()[denied] == test["denial_carc"].astype(str).to_numpy()[denied]
            ).mean()
        )
        if denied.any()
        else math.nan
    )
    evaluation = DenialEvaluation(
        n_train=len(train), n_test=len(test), split_date=str(test["service_date"].iloc[0]) if len(test) else "",
        denial_rate_train=base_rate, denial_rate_test=float(y.mean()) if len(y) else math.nan,
        auroc=auroc, brier=float(brier_score_loss(y, p)), brier_baseline=float(brier_score_loss(y, np.full(len(y), base_rate))),
        carc_top1=carc_top1, reliability=reliability_table(y, p),
    )  # fmt: skip
    return model, evaluation


def reliability_plot(evaluation: DenialEvaluation, path: str | Path) -> Path:
    """A reliability diagram (predicted vs observed denial rate per bin) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    xs = [b.mean_predicted for b in evaluation.reliability]
    ys = [b.observed for b in evaluation.reliability]
    ax.plot(xs, ys, marker="o", label=f"model (Brier {evaluation.brier:.3f})")
    ax.set_xlabel("predicted P(denied)")
    ax.set_ylabel("observed denial rate")
    ax.set_title(f"Denial model, time split (AUROC {evaluation.auroc:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def prebill_reason(risk: float, carc: str, threshold: float = PREBILL_THRESHOLD) -> str | None:
    """The routing reason for a high-risk claim, or None under the threshold."""
    if risk < threshold:
        return None
    return f"pre-bill check: denial risk {risk:.2f} >= {threshold:.2f} (likely CARC {carc or 'unknown'})"
