"""Evaluate medical necessity coverage rules and payer rules against an encounter."""

from __future__ import annotations

import datetime as dt

from medcoder.rules.codes import parse_icd_range, parse_proc_range
from medcoder.rules.encounter import Encounter, EncounterCode
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.packs.schema import ACTION_SEVERITY, Conditions, CoverageRule, Pack, PayerRule
from medcoder.terminology.coderefs import normalize_icd10cm


def _dx(encounter: Encounter) -> list[str]:
    out = []
    for d in encounter.diagnoses():
        try:
            out.append(normalize_icd10cm(d.code))
        except ValueError:
            continue
    return out


def _in_icd(codes: list[str], ranges: list[str]) -> list[str]:
    parsed = [parse_icd_range(r) for r in ranges]
    return [c for c in codes if any(r.contains(c) for r in parsed)]


def _proc_match(code: str, ranges: list[str]) -> bool:
    return any(parse_proc_range(r).contains(code) for r in ranges)


def _rule_in_force(rule: CoverageRule, day: dt.date) -> bool:
    return (rule.effective_from is None or rule.effective_from <= day) and (
        rule.effective_to is None or day <= rule.effective_to
    )


def _coverage(pack: Pack, rule: CoverageRule, encounter: Encounter) -> list[Finding]:
    if not _rule_in_force(rule, encounter.date_of_service):
        return []
    procs = [p.code for p in encounter.procedures() if _proc_match(p.code, rule.procedures)]
    if not procs:
        return []
    dx = _dx(encounter)
    covered = _in_icd(dx, rule.covered_diagnoses)
    if covered:
        return []
    non_covered = _in_icd(dx, rule.non_covered_diagnoses)
    h = pack.pack
    why = (
        f"the diagnoses reported ({', '.join(non_covered)}) are listed as not covered"
        if non_covered
        else "no reported diagnosis is on the covered list"
    )
    return [
        Finding(
            rule_id=f"MN.{rule.id}",
            severity=Severity.ERROR,
            codes=tuple(dict.fromkeys(procs)) + tuple(dx),
            message=(rule.message + " " if rule.message else "")
            + f"{', '.join(dict.fromkeys(procs))}: {why} ({h.title}).",
            suggested_fix="Report the documented diagnosis that supports the test if there is one; otherwise obtain "
            "an Advance Beneficiary Notice (modifier GA) or expect a denial.",
            source=f"{h.source} [{h.id}]" + (f", {h.contractor}" if h.contractor else ""),
            version=h.version,
            details={"covered_diagnoses": rule.covered_diagnoses},
        )
    ]


def _lines(cond: Conditions, encounter: Encounter) -> list[EncounterCode]:
    procs = encounter.procedures()
    return [p for p in procs if _proc_match(p.code, cond.procedures_any)] if cond.procedures_any else procs


def conditions_hold(cond: Conditions, encounter: Encounter) -> bool:
    """Whether every condition given in ``cond`` holds for the encounter."""
    lines = _lines(cond, encounter)
    if cond.procedures_any and not lines:
        return False
    dx = _dx(encounter)
    checks = [
        not cond.diagnoses_any or bool(_in_icd(dx, cond.diagnoses_any)),
        not cond.diagnoses_none or not _in_icd(dx, cond.diagnoses_none),
        not cond.modifiers_any or any(m in cond.modifiers_any for p in lines for m in p.modifiers),
        not cond.modifiers_missing or any(not set(p.modifiers) & set(cond.modifiers_missing) for p in lines),
        cond.sex is None or encounter.patient.sex == cond.sex,
        not cond.place_of_service or (encounter.place_of_service or "") in cond.place_of_service,
        cond.units_over is None or any(p.units > cond.units_over for p in lines),
    ]
    if cond.age is not None:
        age = encounter.patient.age
        checks.append(
            age is not None
            and (cond.age.min is None or age >= cond.age.min)
            and (cond.age.max is None or age <= cond.age.max)
        )
    if cond.frequency is not None:
        codes = {p.code for p in lines}
        start = encounter.date_of_service - dt.timedelta(days=cond.frequency.days - 1)
        prior = sum(
            1
            for s in encounter.prior_services
            if s.code in codes and start <= s.date <= encounter.date_of_service
        )
        checks.append(prior + len(lines) > cond.frequency.max)
    return all(checks)


def _payer_rule(pack: Pack, rule: PayerRule, encounter: Encounter) -> list[Finding]:
    if not conditions_hold(rule.when, encounter):
        return []
    h = pack.pack
    codes = tuple(p.code for p in _lines(rule.when, encounter)) or tuple(_dx(encounter))
    return [
        Finding(
            rule_id=f"PAYER.{rule.id}",
            severity=ACTION_SEVERITY[rule.action],
            codes=codes,
            message=rule.message,
            suggested_fix=rule.fix,
            source=f"{h.source} [{h.id}]",
            version=h.version,
        )
    ]


def check_packs(encounter: Encounter, packs: list[Pack]) -> list[Finding]:
    """Findings from every pack that applies to the encounter's payer and date of service."""
    out: list[Finding] = []
    for pack in packs:
        if not pack.applies(encounter.payer, encounter.date_of_service):
            continue
        for rule in pack.coverage:
            out += _coverage(pack, rule, encounter)
        for prule in pack.rules:
            out += _payer_rule(pack, prule, encounter)
    return out
