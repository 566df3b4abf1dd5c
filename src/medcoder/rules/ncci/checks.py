"""Apply NCCI PTP, MUE and add-on code edits to an encounter on its date of service."""

from __future__ import annotations

import functools
from collections import defaultdict

from medcoder.rules.codes import ProcRange, parse_proc_range
from medcoder.rules.encounter import Encounter, EncounterCode
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.ncci.records import AOC_TYPE_MEANING, CONTRACTOR_DEFINED, MAI_MEANING, NcciTables
from medcoder.rules.resources import load_data

_KIND_LABEL = {"practitioner": "practitioner", "hospital_outpatient": "hospital outpatient"}


@functools.cache
def _modifier_rules() -> tuple[frozenset[str], frozenset[str], ProcRange, frozenset[str], ProcRange, str]:
    meta, body = load_data("ncci_modifiers.yaml")
    allowed = frozenset(str(m) for key in ("anatomic", "global_surgery", "other") for m in body[key])
    return (
        allowed,
        frozenset(str(m) for m in body["em_only"]),
        parse_proc_range(body["em_range"]),
        frozenset(str(m) for m in body["lab_only"]),
        parse_proc_range(body["lab_range"]),
        meta.version,
    )


def bypass_modifier(line1: EncounterCode, line2: EncounterCode) -> str | None:
    """The NCCI-associated modifier on either line that may bypass an indicator-1 edit, else None.

    24/25/57 count only on an E/M line and 91 only on a laboratory line (NCCI Policy Manual Ch. I).
    Column 2 modifiers are looked at first because CMS expects the modifier on the column 2 code.
    """
    allowed, em_only, em_range, lab_only, lab_range, _ = _modifier_rules()
    for line in (line2, line1):
        for mod in line.modifiers:
            if mod not in allowed:
                continue
            if mod in em_only and not em_range.contains(line.code):
                continue
            if mod in lab_only and not lab_range.contains(line.code):
                continue
            return mod
    return None


def check_ptp(encounter: Encounter, tables: NcciTables) -> list[Finding]:
    """PTP pairs among the encounter's CPT/HCPCS lines, using the provider type's table."""
    index = tables.ptp.get(encounter.provider_type)
    if index is None:
        return []
    source = f"NCCI PTP {_KIND_LABEL[encounter.provider_type]}"
    day = encounter.date_of_service.toordinal()
    lines = encounter.procedures()
    out: list[Finding] = []
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            if a.code == b.code:
                continue
            for l1, l2 in ((a, b), (b, a)):
                edit = index.active(l1.code, l2.code, day)
                if edit is None or edit.modifier_indicator == 9:
                    continue
                pair = (edit.column1, edit.column2)
                why = f" Rationale: {edit.rationale}." if edit.rationale else ""
                if edit.modifier_indicator == 0:
                    out.append(
                        Finding(
                            rule_id="NCCI.PTP",
                            severity=Severity.ERROR,
                            codes=pair,
                            source=source,
                            version=tables.version,
                            message=f"{edit.column2} is a component of {edit.column1} and is not separately payable on the "
                            f"same date; modifier indicator 0: no modifier bypasses this edit.{why}",
                            suggested_fix=f"Remove {edit.column2}, or bill it only if it was a separate date of service.",
                            details={"modifier_indicator": 0, "effective": str(edit.effective)},
                        )
                    )
                    continue
                mod = bypass_modifier(l1, l2)
                if mod:
                    out.append(
                        Finding(
                            rule_id="NCCI.PTP_BYPASSED",
                            severity=Severity.INFO,
                            codes=pair,
                            source=source,
                            version=tables.version,
                            message=f"PTP edit {edit.column1}/{edit.column2} (modifier indicator 1) is bypassed by "
                            f"modifier {mod}.{why}",
                            suggested_fix=f"Keep modifier {mod} only if the record documents a distinct service "
                            "(separate site, encounter or practitioner).",
                            details={"modifier_indicator": 1, "modifier": mod},
                        )
                    )
                else:
                    out.append(
                        Finding(
                            rule_id="NCCI.PTP",
                            severity=Severity.ERROR,
                            codes=pair,
                            source=source,
                            version=tables.version,
                            message=f"{edit.column2} is bundled into {edit.column1} on the same date (modifier indicator 1: "
                            f"an NCCI-associated modifier may bypass it when clinically appropriate).{why}",
                            suggested_fix=f"If documented as distinct, append 59 or XE/XS/XP/XU (or an anatomic modifier) "
                            f"to {edit.column2}; otherwise remove {edit.column2}.",
                            details={"modifier_indicator": 1, "effective": str(edit.effective)},
                        )
                    )
    return out


def check_mue(encounter: Encounter, tables: NcciTables) -> list[Finding]:
    """Units over the MUE value: per line for MAI 1, per date of service (lines summed) for MAI 2/3."""
    table = tables.mue.get(encounter.provider_type)
    if not table:
        return []
    source = f"NCCI MUE {_KIND_LABEL[encounter.provider_type]}"
    per_day: dict[str, int] = defaultdict(int)
    out: list[Finding] = []
    for line in encounter.procedures():
        per_day[line.code] += line.units
        edit = table.get(line.code)
        if edit is not None and edit.mai == 1 and line.units > edit.value:
            out.append(_mue_finding(edit, line.units, "on one claim line", source, tables.version))
    for code, units in per_day.items():
        edit = table.get(code)
        if edit is not None and edit.mai != 1 and units > edit.value:
            out.append(_mue_finding(edit, units, "on the date of service", source, tables.version))
    return out


def _mue_finding(edit, units: int, scope: str, source: str, version: str) -> Finding:
    mai = f"MAI {edit.mai} ({MAI_MEANING[edit.mai]})" if edit.mai else "MAI not given in this table"
    fix = (
        "MAI 2 is a policy limit: units above it are not payable even on appeal; correct the units."
        if edit.mai == 2
        else "Check the units; if more were medically necessary, document why (appeal possible)."
    )
    return Finding(
        rule_id="NCCI.MUE",
        severity=Severity.ERROR,
        codes=(edit.code,),
        source=source,
        version=version,
        message=f"{edit.code}: {units} units {scope} exceed the MUE of {edit.value}; {mai}."
        + (f" Rationale: {edit.rationale}." if edit.rationale else ""),
        suggested_fix=fix,
        details={"units": units, "mue": edit.value, "mai": edit.mai},
    )


def check_aoc(encounter: Encounter, tables: NcciTables) -> list[Finding]:
    """Add-on codes reported without an acceptable primary code on the same date."""
    if not tables.aoc:
        return []
    day = encounter.date_of_service
    codes = [line.code for line in encounter.procedures()]
    out: list[Finding] = []
    for addon in dict.fromkeys(codes):
        edits = [e for e in tables.aoc.get(addon, ()) if e.active_on(day)]
        if not edits:
            continue
        etype = min(e.edit_type for e in edits)
        listed = [e.primary for e in edits if e.primary != CONTRACTOR_DEFINED]
        others = [c for c in codes if c != addon]
        if any(p in others for p in listed):
            continue
        if etype == 2 and others:
            continue  # contractor decides which primaries are acceptable
        sev = Severity.ERROR if (etype == 1 or not others) else Severity.WARNING
        shown = ", ".join(listed[:8]) + (f" (and {len(listed) - 8} more)" if len(listed) > 8 else "")
        out.append(
            Finding(
                rule_id="NCCI.AOC",
                severity=sev,
                codes=(addon,),
                source="NCCI add-on code edits",
                version=tables.version,
                message=f"Add-on code {addon} (type {etype}: {AOC_TYPE_MEANING[etype]}) is reported without "
                + ("any primary procedure." if not others else "one of its listed primary codes."),
                suggested_fix=(
                    f"Report it with its primary procedure ({shown})."
                    if listed
                    else "Report it with the primary procedure it supplements."
                ),
                details={"edit_type": etype, "primary_codes": listed},
            )
        )
    return out


def check_ncci(encounter: Encounter, tables: NcciTables) -> list[Finding]:
    """PTP, MUE and add-on findings for the encounter."""
    return check_ptp(encounter, tables) + check_mue(encounter, tables) + check_aoc(encounter, tables)
