"""Section writers shared by the note types: history, medications, allergies, exam, distractors."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from medcoder.data.records import Sex
from medcoder.data.synth.catalog import CodeSpec
from medcoder.data.synth.selection import Case
from medcoder.data.synth.writer import NoteWriter

HEADERS = (
    {
        "cc": "Chief Complaint:",
        "hpi": "History of Present Illness:",
        "pmh": "Past Medical History:",
        "meds": "Medications:",
        "allergies": "Allergies:",
        "fh": "Family History:",
        "sh": "Social History:",
        "ros": "Review of Systems:",
        "exam": "Physical Exam:",
        "ap": "Assessment and Plan:",
    },
    {
        "cc": "CHIEF COMPLAINT:",
        "hpi": "HISTORY OF PRESENT ILLNESS:",
        "pmh": "PAST MEDICAL HISTORY:",
        "meds": "CURRENT MEDICATIONS:",
        "allergies": "ALLERGIES:",
        "fh": "FAMILY HISTORY:",
        "sh": "SOCIAL HISTORY:",
        "ros": "REVIEW OF SYSTEMS:",
        "exam": "PHYSICAL EXAMINATION:",
        "ap": "ASSESSMENT AND PLAN:",
    },
    {
        "cc": "CC:",
        "hpi": "HPI:",
        "pmh": "PMH:",
        "meds": "Meds:",
        "allergies": "Allergies:",
        "fh": "FHx:",
        "sh": "SHx:",
        "ros": "ROS:",
        "exam": "PE:",
        "ap": "A/P:",
    },
)
SECTION_NAMES = {
    "cc": "chief_complaint",
    "hpi": "history_of_present_illness",
    "pmh": "past_medical_history",
    "meds": "medications",
    "allergies": "allergies",
    "fh": "family_history",
    "sh": "social_history",
    "ros": "review_of_systems",
    "exam": "physical_exam",
    "ap": "assessment_and_plan",
}
# Medications whose long-term use has its own status code, and the condition pool they belong to.
NORMAL_EXAM = {
    "gen": "General: alert, in no acute distress.",
    "ent": "HEENT: oropharynx clear, tympanic membranes normal.",
    "cv": "Cardiovascular: regular rate and rhythm, no murmurs.",
    "resp": "Lungs: clear to auscultation bilaterally.",
    "gi": "Abdomen: soft, nontender, nondistended.",
    "msk": "Extremities: full range of motion, no edema.",
    "neuro": "Neuro: alert and oriented, no focal deficits.",
    "skin": "Skin: warm and dry, no rash.",
}


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def surface(rng: random.Random, spec: CodeSpec) -> str:
    """A mention of a present code: hand-written phrasing, sometimes the tabular wording."""
    if spec.synonyms and rng.random() < 0.2:
        return rng.choice(spec.synonyms)
    return rng.choice(spec.mentions)


def header(w: NoteWriter, style: dict[str, str], key: str) -> None:
    w.section(SECTION_NAMES[key], style[key] + "\n")


def patient_phrase(case: Case, rng: random.Random) -> str:
    if case.age == 0:
        n = rng.randint(3, 10) if case.primary.age == (0, 0) else rng.randint(2, 11)
        unit = "day" if case.primary.age == (0, 0) else "month"
        age = f"{n}-{unit}-old"
    else:
        age = f"{case.age}-year-old"
    child = case.age < 18
    if case.sex == Sex.FEMALE:
        who = rng.choice(("girl", "female")) if child else rng.choice(("woman", "female"))
    else:
        who = rng.choice(("boy", "male")) if child else rng.choice(("man", "male"))
    return f"{age} {who}"


def mention_list(w: NoteWriter, rng: random.Random, specs: Sequence[CodeSpec], sep: str = ", ") -> None:
    """Write present mentions separated by ``sep`` and 'and' before the last one."""
    for i, spec in enumerate(specs):
        if i:
            w.write(" and " if i == len(specs) - 1 and sep == ", " else sep)
        w.mention(surface(rng, spec), spec.code)


def chronic_of(case: Case) -> list[CodeSpec]:
    return [c for c in case.codes if c.kind == "chronic"]


_FEVER = re.compile(
    r"pneumonia|infect|sepsis|influenza|covid|abscess|cellulitis|pyelonephritis|bronchiolitis|otitis media"
    r"|pharyngitis|sinusitis|appendicitis|cholecystitis|diverticulitis|mononucleosis|croup|laryngitis",
    re.IGNORECASE,
)
ABNORMAL_EXAM = {
    "gen": "appears uncomfortable.",
    "ent": "erythema noted, see assessment.",
    "cv": "see assessment; no JVD.",
    "resp": "coarse breath sounds, no accessory muscle use.",
    "gi": "tenderness on palpation, no rebound.",
    "msk": "focal tenderness and swelling at the site of injury.",
    "neuro": "see assessment.",
    "skin": "lesion as described in the assessment.",
}


def vitals(rng: random.Random, case: Case) -> str:
    febrile = any(c.kind in ("acute", "severe") and _FEVER.search(c.description) for c in case.codes)
    htn = any(c.group == "htn" for c in case.codes)
    if case.age < 12:
        bp = f"{rng.randint(90, 112)}/{rng.randint(55, 70)}"
        hr = rng.randint(90, 130)
        wt = f"{max(3.5, round(3.5 + case.age * 3.1 + rng.uniform(-1, 2), 1))} kg"
    else:
        bp = (
            f"{rng.randint(138, 162)}/{rng.randint(84, 98)}"
            if htn
            else f"{rng.randint(106, 134)}/{rng.randint(62, 84)}"
        )
        hr = rng.randint(62, 98)
        wt = f"{rng.randint(52, 118)} kg"
    temp = round(rng.uniform(38.1, 39.4) if febrile else rng.uniform(36.4, 37.3), 1)
    hypoxic = any(c.kind == "severe" and c.system == "resp" for c in case.codes)
    spo2 = rng.randint(86, 92) if hypoxic else rng.randint(94, 100)
    return f"Vitals: T {temp} C, BP {bp}, HR {hr}, RR {rng.randint(14, 22)}, SpO2 {spo2}% on room air, weight {wt}."


def write_exam(w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str]) -> None:
    header(w, style, "exam")
    w.write(vitals(rng, case) + "\n")
    affected = {c.system: c for c in case.codes if c.kind in ("acute", "severe", "injury", "minor")}
    for system, normal in NORMAL_EXAM.items():
        spec = affected.get(system)
        if spec is None:
            w.write(normal + "\n")
        else:
            w.write(
                f"{normal.split(':')[0]}: {spec.exam or ABNORMAL_EXAM.get(system, 'see assessment below.')}\n"
            )
    w.write("\n")


def negated_sentence(w: NoteWriter, rng: random.Random, spec: CodeSpec, inpatient: bool) -> None:
    """A sentence that rules a condition out (assertion ``negated``)."""
    if spec.kind == "chronic":
        options: tuple[str, ...] = ("No history of {m}. ", "Denies any history of {m}. ")
    else:
        options = ("Workup negative for {m}. ", "{M} was ruled out. ")
        if spec.system in ("resp", "cv", "gi", "gu", "neuro"):
            options += ("Imaging without evidence of {m}. ",)
        if not inpatient:
            options += ("No evidence of {m} on today's evaluation. ",)
    tmpl = rng.choice(options)
    key = "{M}" if "{M}" in tmpl else "{m}"
    before, after = tmpl.split(key)
    w.write(before)
    m = rng.choice(spec.mentions)
    w.mention(cap(m) if key == "{M}" else m, spec.code, "negated")
    w.write(after)


def hypothetical_sentence(w: NoteWriter, rng: random.Random, spec: CodeSpec) -> None:
    """A rule-out or possible diagnosis that an outpatient/ED coder must not code."""
    tmpl = rng.choice(
        (
            "Rule out {m}; further workup ordered. ",
            "Differential includes {m}, pending results. ",
            "Cannot exclude {m}; will reassess at follow-up. ",
            "If symptoms worsen, consider {m} and return for evaluation. ",
        )
    )
    before, after = tmpl.split("{m}")
    w.write(before)
    w.mention(rng.choice(spec.mentions), spec.code, "hypothetical")
    w.write(after)


def split_distractors(case: Case) -> dict[str, list[CodeSpec]]:
    kinds = ("negated_symptom", "family", "historical", "hypothetical", "negated", "negated_history")
    out: dict[str, list[CodeSpec]] = {k: [] for k in kinds}
    for kind, spec in case.distractors:
        out[kind].append(spec)
    return out
