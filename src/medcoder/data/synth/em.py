"""E/M levels for the synthetic notes, chosen from the problems a note addresses.

The level follows the 2021/2023 AMA medical decision making (MDM) table in simplified form: the
number and complexity of problems sets the level, and the note states a matching risk. Office visits
may instead document total time on the date of the encounter; the time written always falls in the
range of the same level, so MDM and time agree. Only code numbers are used (CPT descriptors are
AMA-licensed); the ranges below are the published minimum total times.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import CodeSystem
from medcoder.data.synth.catalog import CodeSpec

MDM_NAMES = {1: "straightforward", 2: "low", 3: "moderate", 4: "high"}
RISK = {
    1: "minimal risk of morbidity from additional testing or treatment",
    2: "low risk (over-the-counter drug management)",
    3: "moderate risk (prescription drug management)",
    4: "high risk (decision regarding hospitalization or escalation of care)",
}
OFFICE_NEW = {1: "99202", 2: "99203", 3: "99204", 4: "99205"}
OFFICE_EST = {1: "99212", 2: "99213", 3: "99214", 4: "99215"}
# Total time on the date of the encounter, minutes (AMA 2021 office E/M thresholds).
OFFICE_TIME = {
    "99202": (15, 29),
    "99203": (30, 44),
    "99204": (45, 59),
    "99205": (60, 74),
    "99212": (10, 19),
    "99213": (20, 29),
    "99214": (30, 39),
    "99215": (40, 54),
}
ED = {1: "99282", 2: "99283", 3: "99284", 4: "99285"}
INPATIENT_INITIAL = {1: "99221", 2: "99221", 3: "99222", 4: "99223"}
DISCHARGE = ("99238", "99239")  # 30 minutes or less / more than 30 minutes
# Preventive medicine visits by age band (new, established).
PREVENTIVE = (
    (0, "99381", "99391"),
    (1, "99382", "99392"),
    (5, "99383", "99393"),
    (12, "99384", "99394"),
    (18, "99385", "99395"),
    (40, "99386", "99396"),
    (65, "99387", "99397"),
)
ALL_CPT = frozenset(
    [
        *OFFICE_NEW.values(),
        *OFFICE_EST.values(),
        *ED.values(),
        *INPATIENT_INITIAL.values(),
        *DISCHARGE,
        *[c for _, n, e in PREVENTIVE for c in (n, e)],
        "99406",
    ]
)

_PROBLEMS = ("status", "exam", "pregnancy")


@dataclass(frozen=True, slots=True)
class EmCode:
    """An E/M (or preventive) code and the sentence that supports it (its gold evidence)."""

    code: str
    system: CodeSystem
    statement: str


def mdm(specs: Sequence[CodeSpec]) -> tuple[int, str]:
    """(level 1-4, problem statement) of the problems a note addresses."""
    probs = [s for s in specs if s.kind not in _PROBLEMS]
    chronic = [s for s in probs if s.kind == "chronic"]
    acute = [s for s in probs if s.kind == "acute"]
    injury = [s for s in probs if s.kind == "injury"]
    minor = [s for s in probs if s.kind in ("minor", "symptom")]
    if any(s.kind == "severe" for s in probs):
        return 4, "an acute or chronic illness that poses a threat to life or bodily function"
    if len(chronic) >= 2:
        return 3, f"{len(chronic)} chronic illnesses addressed"
    if acute and (chronic or len(acute) >= 2):
        return 3, "an acute illness with systemic symptoms and a chronic comorbidity"
    if any(s.admit for s in acute):
        return 3, "an acute illness with systemic symptoms"
    if any("fracture" in s.description.lower() and s.encounter == "A" for s in injury):
        return 3, "an acute complicated injury"
    if chronic:
        return 2, "1 stable chronic illness"
    if acute or injury:
        return 2, "1 acute uncomplicated illness or injury"
    if len(minor) >= 2:
        return 2, "2 or more self-limited or minor problems"
    return 1, "1 self-limited or minor problem"


def _mdm_statement(rng: random.Random, level: int, problems: str) -> str:
    name = MDM_NAMES[level]
    return rng.choice(
        (
            f"Medical decision making: {name} complexity ({problems}; {RISK[level]}).",
            f"MDM: {name}. Problems: {problems}. Risk: {RISK[level]}.",
            f"Overall medical decision making is of {name} complexity given {problems} and {RISK[level]}.",
        )
    )


def office(
    rng: random.Random, specs: Sequence[CodeSpec], new_patient: bool, use_time: bool
) -> tuple[EmCode, str]:
    """Office visit code; returns (code with evidence, the MDM sentence to write before it).

    When ``use_time`` the evidence is a total-time sentence in the level's range, else the MDM sentence.
    """
    level, problems = mdm(specs)
    code = (OFFICE_NEW if new_patient else OFFICE_EST)[level]
    mdm_text = _mdm_statement(rng, level, problems)
    if not use_time:
        return EmCode(code, CodeSystem.CPT, mdm_text), ""
    lo, hi = OFFICE_TIME[code]
    minutes = rng.randint(lo, hi)
    time_text = rng.choice(
        (
            f"I spent a total of {minutes} minutes on the date of the encounter, including record review, "
            "examination, counseling and documentation.",
            f"Total time spent on the day of the visit: {minutes} minutes, more than half in counseling and care coordination.",
            f"{minutes} minutes of total time were spent on this patient's care today.",
        )
    )
    return EmCode(code, CodeSystem.CPT, time_text), mdm_text


def emergency(rng: random.Random, specs: Sequence[CodeSpec]) -> EmCode:
    level, problems = mdm(specs)
    return EmCode(ED[level], CodeSystem.CPT, _mdm_statement(rng, level, problems))


def inpatient_initial(rng: random.Random, specs: Sequence[CodeSpec]) -> EmCode:
    level, problems = mdm(specs)
    return EmCode(INPATIENT_INITIAL[level], CodeSystem.CPT, _mdm_statement(rng, level, problems))


def discharge(rng: random.Random) -> EmCode:
    minutes = rng.choice((20, 25, 30, 35, 40, 45, 50))
    code = DISCHARGE[0] if minutes <= 30 else DISCHARGE[1]
    return EmCode(code, CodeSystem.CPT, f"Total time spent on discharge day management: {minutes} minutes.")


def preventive(age: int, new_patient: bool, medicare: bool, gyn: bool) -> EmCode:
    """Preventive visit by age band; Medicare beneficiaries get the HCPCS wellness codes instead."""
    if medicare and age >= 65:
        if gyn:
            return EmCode(
                "G0101", CodeSystem.HCPCS, "Pelvic and clinical breast examination performed for screening."
            )
        return EmCode(
            "G0439",
            CodeSystem.HCPCS,
            "Subsequent Medicare annual wellness visit with personalized prevention plan.",
        )
    code = next(n if new_patient else e for lo, n, e in reversed(PREVENTIVE) if age >= lo)
    return EmCode(
        code,
        CodeSystem.CPT,
        "Age-appropriate preventive history, examination, counseling and anticipatory guidance completed.",
    )


def cessation(rng: random.Random) -> EmCode:
    minutes = rng.randint(4, 10)
    return EmCode("99406", CodeSystem.CPT, f"Smoking cessation counseling provided for {minutes} minutes.")
