"""E/M level from total time or medical decision making (2 of 3 elements), with rationale.

Office/outpatient (99202-99205 new, 99212-99215 established): the supported level is the higher
of the time level (minimum minutes met) and the MDM level. Emergency department (99281-99285):
MDM only. A billed level above the supported one is a finding; so is one clearly below it.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.extract import Evidence, data_evidence, problem_evidence, risk_evidence, total_time
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.resources import load_data


class ElementLevel(BaseModel):
    model_config = ConfigDict(frozen=True)
    element: str
    level: int  # 0..3
    label: str  # e.g. "moderate", "limited"
    reason: str
    evidence: tuple[Evidence, ...] = ()


class EmAssessment(BaseModel):
    """What the documentation supports for one billed E/M code."""

    model_config = ConfigDict(frozen=True)

    billed: str
    family: str  # office_new | office_established | emergency
    minutes: int | None
    time_code: str | None
    elements: tuple[ElementLevel, ...]
    mdm_level: int
    mdm_label: str
    mdm_code: str | None
    supported_code: str | None
    basis: str  # "time", "mdm" or "none"


@functools.cache
def _tables() -> dict:
    return load_data("em_2021.yaml")[1]


def em_family(code: str) -> str | None:
    """``office_new``, ``office_established``, ``emergency`` or None for a code this module does not level."""
    t = _tables()
    if code in t["office"]["new"]:
        return "office_new"
    if code in t["office"]["established"]:
        return "office_established"
    if code in t["emergency"] or code == t["emergency_minimal"]:
        return "emergency"
    return None


def _problems(ev: list[Evidence]) -> ElementLevel:
    kinds = [e.kind for e in ev]
    stable = [e for e in ev if e.kind == "chronic_stable"]
    if "high" in kinds:
        lvl, why = 3, "illness posing a threat to life or bodily function / severe exacerbation"
    elif "moderate" in kinds:
        lvl, why = 2, "chronic illness with exacerbation/progression, or acute illness with systemic symptoms"
    elif len(stable) >= 2:
        lvl, why = 2, f"{len(stable)} stable chronic illnesses"
    elif stable or "low" in kinds:
        lvl, why = 1, "1 stable chronic illness or an acute uncomplicated illness/injury"
    else:
        lvl, why = 0, "self-limited or minor problem (no higher-level problem documented)"
    labels = _tables()["element_levels"]["problems"]
    keep = tuple(e for e in ev if e.kind in {"high", "moderate", "chronic_stable", "low", "minimal"})
    return ElementLevel(element="problems", level=lvl, label=labels[lvl], reason=why, evidence=keep)


def _data(ev: list[Evidence]) -> ElementLevel:
    tests = [e for e in ev if e.kind == "test"]
    ext = [e for e in ev if e.kind == "external_notes"]
    hist = any(e.kind == "historian" for e in ev)
    interp = any(e.kind == "interpretation" for e in ev)
    disc = any(e.kind == "discussion" for e in ev)
    cat1 = len(tests) + len(ext)
    cat1_mod = cat1 + (1 if hist else 0)
    cats = sum([cat1_mod >= 3, interp, disc])
    if cats >= 2:
        lvl = 3
    elif cats >= 1:
        lvl = 2
    elif cat1 >= 2 or hist:
        lvl = 1
    else:
        lvl = 0
    why = (
        f"{len(tests)} unique test(s) reviewed/ordered, {len(ext)} external note source(s), "
        f"independent historian: {'yes' if hist else 'no'}, independent interpretation: "
        f"{'yes' if interp else 'no'}, discussion with external physician: {'yes' if disc else 'no'}"
    )
    labels = _tables()["element_levels"]["data"]
    return ElementLevel(element="data", level=lvl, label=labels[lvl], reason=why, evidence=tuple(ev))


def _risk(ev: list[Evidence]) -> ElementLevel:
    kinds = {e.kind for e in ev}
    lvl = 3 if "high" in kinds else 2 if "moderate" in kinds else 1 if "low" in kinds else 0
    why = {
        3: "decision regarding hospitalization / drug therapy needing intensive monitoring / DNR",
        2: "prescription drug management or SDOH limiting diagnosis/treatment",
        1: "over-the-counter drugs or low-risk management",
        0: "minimal risk (no higher-risk management documented)",
    }[lvl]
    labels = _tables()["element_levels"]["risk"]
    return ElementLevel(element="risk", level=lvl, label=labels[lvl], reason=why, evidence=tuple(ev))


def mdm_level(levels: list[int]) -> int:
    """The MDM level met by at least 2 of the 3 elements (the second-highest element level)."""
    return sorted(levels, reverse=True)[1]


def assess_em(note: str, billed: str) -> EmAssessment:
    """Level the note for the family of the billed code. Raises ValueError for a code it does not level."""
    family = em_family(billed)
    if family is None:
        raise ValueError(f"{billed} is not an office/outpatient (99202-99215) or ED (99281-99285) code")
    t = _tables()
    elements = (_problems(problem_evidence(note)), _data(data_evidence(note)), _risk(risk_evidence(note)))
    mdm = mdm_level([e.level for e in elements])
    if family == "emergency":
        table = {c: v for c, v in t["emergency"].items()}
    else:
        table = t["office"]["new" if family == "office_new" else "established"]
    mdm_code = max((c for c, v in table.items() if v["mdm"] <= mdm), default=None)
    minutes, time_code = None, None
    if family != "emergency":
        minutes, _ = total_time(note)
        if minutes is not None:
            time_code = max((c for c, v in table.items() if v["minutes"] <= minutes), default=None)
    candidates = [c for c in (time_code, mdm_code) if c]
    supported = max(candidates) if candidates else None
    basis = (
        "none"
        if supported is None
        else ("time" if supported == time_code and time_code != mdm_code else "mdm")
    )
    return EmAssessment(
        billed=billed,
        family=family,
        minutes=minutes,
        time_code=time_code,
        elements=elements,
        mdm_level=mdm,
        mdm_label=t["mdm_levels"][mdm],
        mdm_code=mdm_code,
        supported_code=supported,
        basis=basis,
    )


def rationale(a: EmAssessment) -> str:
    """One line per element plus time, for a coder."""
    parts = [f"{e.element}: {e.label} ({e.reason})" for e in a.elements]
    parts.append(f"MDM (2 of 3): {a.mdm_label} -> {a.mdm_code or 'none'}")
    if a.family != "emergency":
        parts.append(
            f"total time: {a.minutes} min -> {a.time_code or 'none'}"
            if a.minutes is not None
            else "total time: not documented"
        )
    return "; ".join(parts)


def check_em(encounter: Encounter) -> list[Finding]:
    """Compare each billed E/M code with the level the note supports (needs ``note_text``)."""
    meta = load_data("em_2021.yaml")[0]
    out: list[Finding] = []
    for line in encounter.procedures():
        if em_family(line.code) is None:
            continue
        if not encounter.note_text:
            out.append(
                Finding(
                    rule_id="EM.NO_NOTE",
                    severity=Severity.INFO,
                    codes=(line.code,),
                    source=meta.source,
                    version=meta.version,
                    message=f"{line.code}: no note text given, so the level was not checked.",
                    suggested_fix="Pass the visit note to check the E/M level.",
                )
            )
            continue
        a = assess_em(encounter.note_text, line.code)
        if a.billed == _tables()["emergency_minimal"]:
            continue
        details = {"assessment": a.model_dump(mode="json"), "rationale": rationale(a)}
        if a.supported_code is None or a.billed > a.supported_code:
            out.append(
                Finding(
                    rule_id="EM.LEVEL_NOT_SUPPORTED",
                    severity=Severity.WARNING,
                    codes=(line.code,),
                    source=meta.source,
                    version=meta.version,
                    details=details,
                    message=f"{line.code} is billed but the documentation supports {a.supported_code or 'no level'}: "
                    + rationale(a)
                    + ".",
                    suggested_fix=f"Bill {a.supported_code} or document the missing elements (total time or MDM)."
                    if a.supported_code
                    else "Document total time or the MDM elements.",
                )
            )
        elif a.billed < a.supported_code:
            out.append(
                Finding(
                    rule_id="EM.LEVEL_BELOW_SUPPORTED",
                    severity=Severity.INFO,
                    codes=(line.code,),
                    source=meta.source,
                    version=meta.version,
                    details=details,
                    message=f"{line.code} is billed; the documentation supports {a.supported_code} ({a.basis}): "
                    + rationale(a)
                    + ".",
                    suggested_fix=f"Review whether {a.supported_code} is the correct level.",
                )
            )
    return out
