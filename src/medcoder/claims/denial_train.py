"""Train and evaluate the denial model on Synthea claims adjudicated by the payer simulator.

Why this data: Synthea's explanations of benefit pay every line, so on their own they teach
nothing about denials. The simulator (:mod:`medcoder.claims.simulator`) adjudicates the same
claims with the project's rules (ICD-10-CM conventions, the shipped example payer packs), the
payer coverage policies in ``data/payer_policies.csv`` (Medicare and preventive visits, Part D
vaccines, Vaccines for Children) and a seeded base rate of administrative denials, so the history has denials with known causes. Every
denial in it is simulated; the model card says so, and the figures measure how well the model
recovers rule-driven denials before billing, not how a real payer behaves.

Uninsured (self-pay) encounters are left out: no claim goes to a payer. Synthea prices neither
the visit item nor vaccine administration; those lines are charged from the packaged example charge
master before adjudication, and lines still at 0.00 (codes it lacks) are left out: they are never
paid or denied and would only teach the model that 0.00 is safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd

from medcoder.claims.denial import (
    DenialEvaluation,
    evaluate_time_split,
    reliability_plot,
    rule_counts,
    simulator_rules,
)
from medcoder.claims.encounter import load_charge_master
from medcoder.claims.history import HistoryRecord, history_frame
from medcoder.claims.records import Claim
from medcoder.claims.simulator import PayerSimulator, claim_encounter, patient_age
from medcoder.claims.synthea import synthea_histories
from medcoder.paths import shared_data_dir
from medcoder.rules.engine import validate

log = logging.getLogger(__name__)

SELF_PAY = frozenset({"NOINSURANCE"})
"""Synthea's uninsured encounters: no claim goes to a payer, so they are not claim history."""
METRICS_FILE = "denial_metrics.json"
PLOT_FILE = "denial_reliability.png"


def synthea_bundles(root: Path | None = None) -> list[Path]:
    """Every Synthea bundle under ``shared/data/synthea_fhir`` (sorted, so runs are repeatable)."""
    base = (root or shared_data_dir()) / "synthea_fhir"
    paths = sorted(base.glob("*/*.json.gz")) + sorted(base.glob("*/*.json"))
    if not paths:
        raise FileNotFoundError(f"no Synthea bundles under {base} (see shared/data/synthea_fhir/README.md)")
    return paths


def priced(claim: Claim, fees: Mapping[str, Decimal]) -> Claim:
    """``claim`` with its unpriced (0.00) lines charged from the charge master where it has the code."""
    lines = tuple(
        dataclasses.replace(line, charge=fees[line.procedure] * line.units)
        if line.charge == 0 and line.procedure in fees else line
        for line in claim.lines
    )  # fmt: skip
    return dataclasses.replace(
        claim, lines=lines, total_charge=sum((ln.charge for ln in lines), Decimal("0.00"))
    )


def adjudicated_history(paths: Sequence[Path], *, seed: int) -> tuple[list[HistoryRecord], pd.DataFrame]:
    """Synthea claims re-adjudicated by the simulator, and per-claim rule finding counts."""
    rules = simulator_rules()
    simulator = PayerSimulator(rules, seed=seed)
    fees = load_charge_master()
    records, counts = [], []
    for original in synthea_histories(paths):
        if original.payer_id in SELF_PAY:
            continue
        record = dataclasses.replace(original, claim=priced(original.claim, fees))
        findings = validate(claim_encounter(record.claim, record.service_date), rules=rules)
        payment = simulator.adjudicate(record.claim, findings=findings, service_date=record.service_date)
        records.append(
            HistoryRecord(
                claim=record.claim, payment=payment, service_date=record.service_date,
                payer_name=record.payer_name, payer_id=record.payer_id, patient_key=record.patient_key,
                simulated_denial=payment.status == "4" or any(
                    a.group in ("CO", "PI") and a.reason != "45" for line in payment.lines for a in line.adjustments),
                source="synthea+simulator",
            )
        )  # fmt: skip
        errors, warnings = rule_counts(findings)
        counts.append({"claim_id": record.claim.claim_id, "rule_errors": errors, "rule_warnings": warnings})
    return records, pd.DataFrame(counts, columns=["claim_id", "rule_errors", "rule_warnings"])


def training_frame(records: Sequence[HistoryRecord], rule_counts: pd.DataFrame) -> pd.DataFrame:
    """One row per priced line with the claim's rule counts (zero-charge lines left out)."""
    frame = history_frame(records).merge(rule_counts.drop_duplicates("claim_id"), on="claim_id", how="left")
    ages = {r.claim.claim_id: patient_age(r.claim, r.service_date) for r in records}
    frame["patient_age"] = frame["claim_id"].map(ages).astype(float)
    return frame[frame["charge"] > 0].reset_index(drop=True)


def train_denial_model(out_dir: str | Path, *, seed: int = 0, train_share: float = 0.7) -> DenialEvaluation:
    """Fit on the earliest ``train_share`` of lines, evaluate on the rest, write model + card + plot."""
    out = Path(out_dir)
    records, counts = adjudicated_history(synthea_bundles(), seed=seed)
    frame = training_frame(records, counts)
    model, evaluation = evaluate_time_split(frame, train_share=train_share, seed=seed)
    card = {
        "model": "L2 logistic regression + Platt calibration (later slice); CARC: multinomial logistic",
        "trained_on": "Synthea FHIR claims (shared/data/synthea_fhir) re-adjudicated by medcoder.claims.simulator",
        "denials": "all simulated: rule-driven (ICD-10-CM conventions, example payer packs) + seeded administrative",
        "seed": seed,
        "n_claims": len(records),
        "n_lines": len(frame),
        "trained": dt.date.today().isoformat(),
        "evaluation": evaluation.to_dict(),
    }
    model.save(out, card)
    (out / METRICS_FILE).write_text(json.dumps(evaluation.to_dict(), indent=2) + "\n")
    reliability_plot(evaluation, out / PLOT_FILE)
    log.info("denial model: AUROC %.3f, Brier %.4f (base %.4f) on %d test lines",
             evaluation.auroc, evaluation.brier, evaluation.brier_baseline, evaluation.n_test)  # fmt: skip
    return evaluation
