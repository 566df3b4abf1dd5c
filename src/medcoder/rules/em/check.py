"""Compare billed E/M lines with what the note supports (the rules engine's E/M check).

Each billed primary E/M code is levelled in its own family. A billed level above the supported one
(or a code of another family: critical care under 30 minutes, a preventive code of the wrong age
band) is ``EM.LEVEL_NOT_SUPPORTED``; one below is ``EM.LEVEL_BELOW_SUPPORTED``; billed add-on units
(99292, 99417, G2212, 99418, G0316-G0318) beyond what the time supports are
``EM.ADDON_NOT_SUPPORTED``. When the encounter bills a preventive code and an office code, the
office code is levelled on the separately identifiable problem part of the note.
"""

from __future__ import annotations

from medcoder.rules.em.assessment import EmAssessment
from medcoder.rules.em.explain import rationale
from medcoder.rules.em.level import assess_em
from medcoder.rules.em.preventive import problem_part, separate_problem
from medcoder.rules.em.records import EmFacts
from medcoder.rules.em.tables import DATA_FILE, add_on_codes, family_of_code
from medcoder.rules.encounter import Encounter, EncounterCode
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.resources import load_data


def _finding(
    rule_id: str, severity: Severity, code: str, message: str, fix: str, details: dict | None = None
) -> Finding:
    meta = load_data(DATA_FILE)[0]
    return Finding(
        rule_id=rule_id,
        severity=severity,
        codes=(code,),
        source=meta.source,
        version=meta.version,
        details=details or {},
        message=message,
        suggested_fix=fix,
    )


def _level_finding(line: EncounterCode, a: EmAssessment) -> Finding | None:
    fam = family_of_code(line.code)
    assert fam is not None
    sup = a.supported_code
    details = {"assessment": a.model_dump(mode="json"), "rationale": rationale(a)}
    other_family = sup is not None and sup not in fam.all_codes()
    wrong_band = fam.basis == "age" and sup is not None and sup != line.code
    if sup is None or other_family or wrong_band or fam.rank(line.code) > fam.rank(sup):
        fix = (
            f"Bill {sup} or document the missing elements (total time or MDM)."
            if sup
            else "Document total time or the MDM elements."
        )
        if wrong_band:
            fix = f"Bill {sup}, the code of the patient's age band."
        return _finding(
            "EM.LEVEL_NOT_SUPPORTED", Severity.WARNING, line.code,
            f"{line.code} is billed but the documentation supports {sup or 'no level'}: {rationale(a)}.", fix, details,
        )  # fmt: skip
    if fam.rank(line.code) < fam.rank(sup):
        return _finding(
            "EM.LEVEL_BELOW_SUPPORTED", Severity.INFO, line.code,
            f"{line.code} is billed; the documentation supports {sup} ({a.basis}): {rationale(a)}.",
            f"Review whether {sup} is the correct level.", details,
        )  # fmt: skip
    return None


def _addon_findings(addons: list[EncounterCode], assessed: list[EmAssessment]) -> list[Finding]:
    out = []
    for line in addons:
        supported = sum(ln.units for a in assessed for ln in a.lines if ln.code == line.code)
        if line.units > supported:
            why = "; ".join(rationale(a) for a in assessed)
            out.append(
                _finding(
                    "EM.ADDON_NOT_SUPPORTED",
                    Severity.WARNING,
                    line.code,
                    f"{line.code} x{line.units} is billed but the documented time supports {supported} unit(s): {why}.",
                    f"Bill {supported} unit(s) of {line.code} or document the total time."
                    if supported
                    else f"Remove {line.code} or document the total time that supports it.",
                )  # fmt: skip
            )
    return out


def check_em(encounter: Encounter) -> list[Finding]:
    """Findings for each billed E/M line against the level the note supports (needs ``note_text``)."""
    procs = encounter.procedures()
    primaries = [ln for ln in procs if family_of_code(ln.code) is not None]
    addons = [ln for ln in procs if ln.code in add_on_codes()]
    note = encounter.note_text
    if not note:
        return [
            _finding(
                "EM.NO_NOTE",
                Severity.INFO,
                ln.code,
                f"{ln.code}: no note text given, so the level was not checked.",
                "Pass the visit note to check the E/M level.",
            )  # fmt: skip
            for ln in primaries
        ]
    facts = EmFacts(
        age=encounter.patient.age, payer=encounter.payer,
        place_of_service=encounter.place_of_service, setting=encounter.setting.value,
    )  # fmt: skip
    with_preventive = any(family_of_code(ln.code).basis == "age" for ln in primaries)  # type: ignore[union-attr]
    cue = separate_problem(note) if with_preventive else None
    out: list[Finding] = []
    assessed: list[EmAssessment] = []
    for line in primaries:
        fam = family_of_code(line.code)
        assert fam is not None
        text = problem_part(note, cue) if cue is not None and fam.name.startswith("office_") else note
        a = assess_em(text, line.code, facts=facts)
        assessed.append(a)
        if line.code == fam.minimal:
            continue
        f = _level_finding(line, a)
        if f is not None:
            out.append(f)
    return out + (_addon_findings(addons, assessed) if assessed else [])
