"""ICD-10-CM coding conventions checked from the tabular list and the official guidelines.

Checks: invalid codes, non-billable codes (with their billable children), missing 7th
characters, Excludes1 pairs, manifestation codes listed first or without their etiology, "code
first" sequencing, "use additional code" pairings, weeks of gestation (Z3A) with pregnancy codes,
BMI without a weight diagnosis, age/sex conflicts, duplicates, and a code-set release that does
not cover the date of service.
"""

from __future__ import annotations

import datetime as dt
import functools

from medcoder.rules.codes import parse_icd_range
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.icd_demographics import age_findings, sex_findings
from medcoder.rules.resources import load_data
from medcoder.terminology.coderefs import CodeRange, normalize_icd10cm, ranges_from_notes
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm

MAX_LISTED = 8


def _src(icd: ICD10CM) -> tuple[str, str]:
    return "ICD-10-CM tabular list and Official Guidelines", icd.version


def _listing(codes: list[str]) -> str:
    head = ", ".join(codes[:MAX_LISTED])
    return head + (f" (and {len(codes) - MAX_LISTED} more)" if len(codes) > MAX_LISTED else "")


@functools.cache
def _conventions() -> dict:
    return load_data("icd10cm_conventions.yaml")[1]


def check_code_validity(raw: str, icd: ICD10CM) -> tuple[str | None, list[Finding]]:
    """Return the normalised code when it is billable, plus findings for invalid/incomplete codes."""
    src, ver = _src(icd)
    try:
        code = normalize_icd10cm(raw)
    except ValueError:
        code = None
    if code is None or not icd.is_valid(code):
        return None, [
            Finding(
                rule_id="ICD.INVALID",
                severity=Severity.ERROR,
                codes=(raw,),
                message=f"{raw} is not a valid ICD-10-CM code in the {icd.version} release.",
                suggested_fix="Check the code against the tabular list; it may be mistyped or deleted.",
                source=src,
                version=ver,
            )
        ]
    if icd.needs_seventh_character(code):
        chars = icd.seventh_characters(code)
        base = code.replace(".", "")
        stem = base if len(base) >= 6 or len(base) < 3 else base.ljust(6, "X")
        options = []
        for ch, meaning in chars.items():
            cand = normalize_icd10cm(stem + ch)
            if icd.is_valid(cand):
                options.append(f"{cand} ({meaning})")
        fix = "Add the 7th character for the encounter type" + (f": {_listing(options)}" if options else "")
        if options:
            fix += ". A placeholder X fills empty positions before the 7th character."
        msg = f"{code} requires a 7th character ({icd.description(code)})."
        if not icd.is_billable(code) and len(base) < 6:
            msg = f"{code} is incomplete: it needs further characters and a 7th character ({icd.description(code)})."
            fix = f"Choose a more specific code below {code}, then add its 7th character."
        return None, [
            Finding(
                rule_id="ICD.SEVENTH_CHAR_MISSING",
                severity=Severity.ERROR,
                codes=(code,),
                message=msg,
                suggested_fix=fix,
                source=src,
                version=ver,
                details={"seventh_characters": chars},
            )
        ]
    if not icd.is_billable(code):
        kids = icd.billable_descendants(code)
        return None, [
            Finding(
                rule_id="ICD.NOT_BILLABLE",
                severity=Severity.ERROR,
                codes=(code,),
                message=f"{code} ({icd.description(code)}) is a header, not a billable code.",
                suggested_fix=f"Report a billable code below it: {_listing(kids)}.",
                source=src,
                version=ver,
                details={"billable_children": kids},
            )
        ]
    return code, []


def _pairs_excludes1(codes: list[str], icd: ICD10CM) -> list[Finding]:
    src, ver = _src(icd)
    out, seen = [], set()
    for a in codes:
        ranges = icd.excludes1_ranges(a)
        for b in codes:
            if a == b or frozenset((a, b)) in seen:
                continue
            hit = next((r for r in ranges if r.contains(b) and not r.contains(a)), None)
            if hit is None:
                continue
            seen.add(frozenset((a, b)))
            out.append(
                Finding(
                    rule_id="ICD.EXCLUDES1",
                    severity=Severity.ERROR,
                    codes=(a, b),
                    message=f"{a} has an Excludes1 note for {hit}: {b} ({icd.description(b)}) "
                    f"is not reported with {a} ({icd.description(a)}).",
                    suggested_fix="Keep the one code the documentation supports. Both codes are allowed together "
                    "only when the two conditions are unrelated (Guideline I.A.12.a).",
                    source=src,
                    version=ver,
                )
            )
    return out


def _manifestations(ordered: list[str], icd: ICD10CM) -> list[Finding]:
    src, ver = _src(icd)
    phrase = _conventions()["manifestation_phrase"]
    out: list[Finding] = []
    for i, code in enumerate(ordered):
        first_ranges = icd.code_first_ranges(code)
        desc = icd.description(code)
        is_manif = phrase in desc.lower() or phrase in icd.description(icd.category(code)).lower()
        etiologies = [c for c in ordered if c != code and any(r.contains(c) for r in first_ranges)]
        if is_manif and i == 0:
            out.append(
                Finding(
                    rule_id="ICD.MANIFESTATION_FIRST",
                    severity=Severity.ERROR,
                    codes=(code,),
                    message=f"{code} ({desc}) is a manifestation code and cannot be first-listed.",
                    suggested_fix="List the underlying condition first"
                    + (f" (code first: {_listing([str(r) for r in first_ranges])})" if first_ranges else "")
                    + f", then {code}.",
                    source=src,
                    version=ver,
                )
            )
        if is_manif and not etiologies:
            out.append(
                Finding(
                    rule_id="ICD.ETIOLOGY_MISSING",
                    severity=Severity.WARNING,
                    codes=(code,),
                    message=f"{code} ({desc}) needs the underlying condition coded with it; none was found.",
                    suggested_fix="Add the etiology code named in the 'code first' note"
                    + (f": {_listing([str(r) for r in first_ranges])}" if first_ranges else "")
                    + ".",
                    source=src,
                    version=ver,
                    details={"code_first": icd.code_first(code)},
                )
            )
        if etiologies and not is_manif and all(ordered.index(e) > i for e in etiologies):
            out.append(
                Finding(
                    rule_id="ICD.CODE_FIRST_SEQUENCE",
                    severity=Severity.WARNING,
                    codes=(code, etiologies[0]),
                    message=f"{code} has a 'code first' note; {etiologies[0]} should be listed before it.",
                    suggested_fix=f"Sequence {etiologies[0]} before {code}.",
                    source=src,
                    version=ver,
                )
            )
    return out


def _use_additional(codes: list[str], icd: ICD10CM) -> list[Finding]:
    src, ver = _src(icd)
    out = []
    for code in codes:
        # Notes of the code and its category/subcategories only: chapter- and block-wide notes
        # (tobacco exposure for every circulatory code) would flag nearly every encounter.
        # Each node's note is one group, satisfied by any code it cites.
        lineage = [code] + [a for a in icd.ancestors(code) if icd.is_valid(a)]
        missing_notes: list[str] = []
        missing_ranges: list[CodeRange] = []
        for node in lineage:
            notes = [n for n in icd.use_additional(node, inherited=False) if n.strip()]
            ranges = ranges_from_notes(notes)
            if ranges and not any(r.contains(c) for r in ranges for c in codes if c != code):
                missing_notes += notes
                missing_ranges += ranges
        if not missing_ranges:
            continue
        out.append(
            Finding(
                rule_id="ICD.USE_ADDITIONAL",
                severity=Severity.INFO,
                codes=(code,),
                message=f"{code} has a 'use additional code' note and no such code is reported: "
                + " ".join(missing_notes),
                suggested_fix=f"If documented, add a code from: {_listing([str(r) for r in missing_ranges])}.",
                source=src,
                version=ver,
            )
        )
    return out


def _weeks_of_gestation(codes: list[str], icd: ICD10CM) -> list[Finding]:
    conf = _conventions()["weeks_of_gestation"]
    preg, weeks = parse_icd_range(conf["pregnancy_range"]), parse_icd_range(conf["weeks_range"])
    exempt = [parse_icd_range(r) for r in conf["not_required_for"]]
    words = conf["postpartum_words"]
    needing = [
        c
        for c in codes
        if preg.contains(c)
        and not any(r.contains(c) for r in exempt)
        and not any(w in icd.description(c).lower() for w in words)
    ]
    if not needing or any(weeks.contains(c) for c in codes):
        return []
    meta = load_data("icd10cm_conventions.yaml")[0]
    return [
        Finding(
            rule_id="ICD.Z3A_MISSING",
            severity=Severity.WARNING,
            codes=tuple(needing),
            message=f"Pregnancy code(s) {', '.join(needing)} reported without a Z3A weeks-of-gestation code.",
            suggested_fix="Add Z3A.xx for the weeks of gestation documented on the date of service "
            "(Z3A.00 if not specified).",
            source=meta.source,
            version=meta.version,
        )
    ]


def _bmi(codes: list[str]) -> list[Finding]:
    conf = _conventions()["bmi"]
    bmi = parse_icd_range(conf["bmi_range"])
    weight = [parse_icd_range(r) for r in conf["weight_diagnoses"]]
    bmis = [c for c in codes if bmi.contains(c)]
    if not bmis or any(r.contains(c) for r in weight for c in codes):
        return []
    meta = load_data("icd10cm_conventions.yaml")[0]
    return [
        Finding(
            rule_id="ICD.BMI_WITHOUT_WEIGHT_DX",
            severity=Severity.WARNING,
            codes=tuple(bmis),
            message=f"BMI code {', '.join(bmis)} is reported without an associated weight diagnosis "
            "(obesity, overweight, underweight, malnutrition).",
            suggested_fix="Report the BMI only with the provider's weight diagnosis; query the provider if clinically indicated.",
            source=meta.source,
            version=meta.version,
        )
    ]


def _codeset_window(day: dt.date, icd: ICD10CM) -> list[Finding]:
    win = _conventions()["codeset_window"]
    if win["effective_from"] <= day <= win["effective_to"]:
        return []
    src, ver = _src(icd)
    return [
        Finding(
            rule_id="ICD.CODESET_VERSION",
            severity=Severity.WARNING,
            codes=(),
            message=f"The date of service {day} is outside the ICD-10-CM {ver} release window "
            f"({win['effective_from']} to {win['effective_to']}); codes were checked against that release.",
            suggested_fix="Validate with the code set effective on the date of service.",
            source=src,
            version=ver,
        )
    ]


def check_icd10cm(encounter: Encounter, icd: ICD10CM | None = None) -> list[Finding]:
    """All ICD-10-CM convention findings for an encounter's diagnoses (in claim order)."""
    icd = icd or get_icd10cm()
    findings: list[Finding] = _codeset_window(encounter.date_of_service, icd)
    ordered: list[str] = []
    for dx in encounter.diagnoses():
        code, fs = check_code_validity(dx.code, icd)
        findings += fs
        if code is None:
            continue
        if code in ordered:
            src, ver = _src(icd)
            findings.append(
                Finding(
                    rule_id="ICD.DUPLICATE",
                    severity=Severity.WARNING,
                    codes=(code,),
                    message=f"{code} is reported more than once.",
                    suggested_fix="Report each diagnosis code once.",
                    source=src,
                    version=ver,
                )
            )
            continue
        ordered.append(code)
        findings += sex_findings(code, encounter.patient.sex)
        findings += age_findings(code, encounter.patient.age)
    findings += _pairs_excludes1(ordered, icd)
    findings += _manifestations(ordered, icd)
    findings += _use_additional(ordered, icd)
    findings += _weeks_of_gestation(ordered, icd)
    findings += _bmi(ordered)
    return findings


__all__ = ["CodeRange", "check_code_validity", "check_icd10cm"]
