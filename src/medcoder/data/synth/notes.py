"""Note layouts: office progress note, ED note, inpatient consult, discharge summary, procedure note.

Each writer turns a :class:`Case` into text through a :class:`NoteWriter`, so every mention and
section keeps exact offsets. It returns the billing codes it documented (E/M, preventive,
procedure) with the sentence that supports each.
"""

from __future__ import annotations

import datetime as dt
import random

from medcoder.data.synth import em
from medcoder.data.synth.catalog import CodeSpec
from medcoder.data.synth.em import EmCode
from medcoder.data.synth.history import (
    write_allergies,
    write_family,
    write_meds,
    write_pmh,
    write_ros,
    write_social,
)
from medcoder.data.synth.parts import (
    HEADERS,
    cap,
    chronic_of,
    header,
    hypothetical_sentence,
    mention_list,
    negated_sentence,
    patient_phrase,
    split_distractors,
    surface,
    write_exam,
)
from medcoder.data.synth.selection import Case
from medcoder.data.synth.writer import NoteWriter

CC = {
    "cv": ("chest discomfort", "leg swelling"),
    "resp": ("cough", "trouble breathing", "cough and fever"),
    "gi": ("belly pain", "nausea and vomiting", "loose stools"),
    "gu": ("painful urination", "flank pain", "urinary symptoms"),
    "neuro": ("headache", "dizziness", "numbness"),
    "psych": ("mood concerns", "feeling anxious"),
    "msk": ("joint pain", "back pain"),
    "skin": ("skin lesion", "redness and swelling"),
    "ent": ("ear pain", "sore throat", "hearing change"),
    "eye": ("red eye", "vision change"),
    "endo": ("weakness and poor oral intake",),
    "heme": ("tiredness",),
    "inf": ("body aches", "feeling unwell"),
    "gen": ("feeling unwell",),
    "ob": ("prenatal visit",),
    "prev": ("annual physical",),
}
MECHANISM = (
    "a ground-level fall",
    "a fall from standing height",
    "a sports injury",
    "a low-speed motor vehicle collision",
    "tripping on stairs",
    "a fall from a bicycle",
)
_ATTACHED_KINDS = ("status",)
GENERIC_PLAN = {
    "symptom": (
        "Etiology unclear; will monitor and reassess.",
        "Symptomatic treatment; return precautions reviewed.",
    ),
    "status": ("Noted.", "Reviewed today."),
    "exam": (
        "Age-appropriate screening reviewed; immunizations up to date.",
        "Preventive counseling on diet, exercise and safety provided.",
    ),
    "pregnancy": (
        "Fundal height appropriate for dates; fetal heart tones 148.",
        "Prenatal labs reviewed; continue prenatal vitamins.",
    ),
}
TITLES = {
    "progress_note": ("OFFICE VISIT", "Progress Note", "OUTPATIENT PROGRESS NOTE"),
    "ed_note": ("EMERGENCY DEPARTMENT NOTE", "ED Provider Note"),
    "consult": ("INPATIENT CONSULTATION", "Consult Note"),
    "discharge_summary": ("DISCHARGE SUMMARY", "Hospital Discharge Summary"),
    "procedure_note": ("PROCEDURE NOTE", "Procedure Note"),
}


def _top(w: NoteWriter, rng: random.Random, case: Case, doc_id: str, date: dt.date, payer: str) -> None:
    w.section("header", None)
    w.write(f"{rng.choice(TITLES[case.doc_type])}\nDate of service: {date.isoformat()}\n")
    w.write(f"Patient: synthetic record {doc_id}, {case.age} y/o {case.sex.value}\nPayer: {payer}\n\n")


def _problems(case: Case) -> list[tuple[CodeSpec, list[CodeSpec]]]:
    """Problems for the assessment, each with the status/partner codes written on its line."""
    lines: list[tuple[CodeSpec, list[CodeSpec]]] = []
    attached: set[str] = set()
    for spec in case.codes:
        if (
            spec.allergy
            or spec.group in ("tobacco", "z3a")
            and spec.kind == "status"
            or spec.code in attached
        ):
            continue
        extras = [
            c
            for c in case.codes
            if c.code != spec.code
            and c.code not in attached
            and not c.allergy
            and (spec.pool in c.needs or c.pool in spec.with_pools)
            and c.kind in _ATTACHED_KINDS
        ]
        attached.update(c.code for c in extras)
        lines.append((spec, extras))
    return [(s, e) for s, e in lines if s.code not in attached or e]


def _assessment(
    w: NoteWriter, rng: random.Random, case: Case, dis: dict[str, list[CodeSpec]], inpatient: bool
) -> None:
    for i, (spec, extras) in enumerate(_problems(case), start=1):
        w.write(f"{i}. ")
        w.mention(cap(surface(rng, spec)), spec.code)
        for extra in extras:
            w.write(", " if extra.pool.startswith("bmi") else ". ")
            m = surface(rng, extra)
            w.mention(m if extra.pool.startswith("bmi") else cap(m), extra.code)
        w.write(". ")
        w.write(rng.choice(spec.plan or GENERIC_PLAN.get(spec.kind, GENERIC_PLAN["status"])) + " ")
        if i == 1:
            for d in dis["negated"]:
                negated_sentence(w, rng, d, inpatient)
            for d in dis["hypothetical"]:
                hypothetical_sentence(w, rng, d)
        w.write("\n")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def complaint(rng: random.Random, case: Case) -> str:
    """The presenting complaint in the patient's words, chosen once per note."""
    p = case.primary
    if p.kind == "injury":
        return f"injury after {rng.choice(MECHANISM)}"
    if p.kind == "exam":
        return rng.choice(("annual physical", "well visit"))
    if p.kind == "chronic" and case.setting == "op":
        return rng.choice(("follow-up of chronic conditions", "medication refill", "routine follow-up"))
    if p.kind == "symptom":
        return rng.choice(p.mentions)
    return rng.choice(CC.get(p.system, CC["gen"]))


def _hpi(
    w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str], setting_word: str, cc: str
) -> None:
    header(w, style, "hpi")
    p = case.primary
    w.write(cap(patient_phrase(case, rng)))
    chronic = [c for c in chronic_of(case) if c is not p]
    if chronic and p.kind != "pregnancy":
        w.write(" with a history of ")
        mention_list(w, rng, chronic[:3])
    if p.kind == "pregnancy" and case.weeks:
        z3a = next(c for c in case.codes if c.group == "z3a")
        w.write(f", {'G1P0' if p.gravida == 'primi' else rng.choice(('G2P1', 'G3P2', 'G2P1001'))}, at ")
        w.mention(surface(rng, z3a), z3a.code)
        w.write(" by early ultrasound, presents for a routine prenatal visit. ")
        w.write("Reports good fetal movement. " if case.weeks[0] >= 20 else "Mild morning nausea. ")
    elif p.kind == "exam":
        w.write(" presents for ")
        w.mention(surface(rng, p), p.code)
        w.write(". No acute complaints. ")
    elif p.kind == "injury":
        if p.encounter == "D":
            w.write(" returns for follow-up of ")
            w.mention(surface(rng, p), p.code)
            w.write(f" sustained {rng.randint(2, 6)} weeks ago ({cc}). Pain is improving. ")
        else:
            w.write(
                f" presents {setting_word} with {cc} {rng.randint(1, 12)} hours ago; reports pain and swelling. "
            )
    elif p.kind == "chronic":
        w.write(f" presents {setting_word} for follow-up of ")
        w.mention(surface(rng, p), p.code)
        w.write(
            f". {rng.choice(('Doing well overall.', 'Reports adherence to medications.', 'Some difficulty with diet.'))} "
        )
    elif p.kind == "symptom":
        w.write(f" presents {setting_word} with ")
        w.mention(surface(rng, p), p.code)
        w.write(f" for the past {_days(rng.randint(1, 10))}. ")
    else:
        w.write(f" presents {setting_word} with {cc} for {_days(rng.randint(1, 7))}. ")
    w.write("\n\n")


def _cc(w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str]) -> str:
    header(w, style, "cc")
    cc = complaint(rng, case)
    if case.primary.kind == "symptom":
        w.mention(cap(cc), case.primary.code)
        w.write(".\n\n")
    else:
        w.write(cap(cc) + ".\n\n")
    return cc


def write_office(
    w: NoteWriter, rng: random.Random, case: Case, medicare: bool, time_rate: float
) -> list[EmCode]:
    style = rng.choice(HEADERS)
    dis = split_distractors(case)
    cc = _cc(w, rng, case, style)
    _hpi(w, rng, case, style, "to clinic", cc)
    write_pmh(w, rng, case, style, dis["historical"], dis["negated_history"])
    write_meds(w, rng, case, style)
    write_allergies(w, rng, case, style)
    write_family(w, rng, style, dis["family"])
    write_social(w, rng, case, style)
    write_ros(w, rng, case, style, dis["negated_symptom"])
    write_exam(w, rng, case, style)
    header(w, style, "ap")
    _assessment(w, rng, case, dis, inpatient=False)
    codes: list[EmCode] = []
    p = case.primary
    if p.kind == "exam":
        codes.append(em.preventive(case.age, case.new_patient, medicare, gyn=p.code.startswith("Z01.4")))
    elif p.kind != "pregnancy":  # routine prenatal visits are billed in the global obstetric package
        code, mdm_text = em.office(rng, case.codes, case.new_patient, rng.random() < time_rate)
        codes.append(code)
        if mdm_text:
            w.write(mdm_text + "\n")
    else:
        w.write("Routine prenatal care; return in 4 weeks.\n")
    if any(c.code == "Z71.6" for c in case.codes) and p.kind != "pregnancy":
        codes.append(em.cessation(rng))
    for c in codes:
        w.mention(c.statement, c.code, system=c.system)
        w.write("\n")
    return codes


def write_ed(w: NoteWriter, rng: random.Random, case: Case) -> list[EmCode]:
    style = rng.choice(HEADERS)
    dis = split_distractors(case)
    cc = _cc(w, rng, case, style)
    _hpi(w, rng, case, style, "to the emergency department", cc)
    write_pmh(w, rng, case, style, dis["historical"], dis["negated_history"])
    write_meds(w, rng, case, style)
    write_allergies(w, rng, case, style)
    write_family(w, rng, style, dis["family"])
    write_social(w, rng, case, style)
    write_ros(w, rng, case, style, dis["negated_symptom"])
    write_exam(w, rng, case, style)
    w.section("ed_course", rng.choice(("ED Course and Medical Decision Making:\n", "MDM / ED COURSE:\n")))
    code = em.emergency(rng, case.codes)
    w.write(rng.choice(("Labs and imaging reviewed.\n", "Patient re-evaluated after treatment.\n", "")))
    _assessment(w, rng, case, dis, inpatient=False)
    w.mention(code.statement, code.code, system=code.system)
    w.write("\n\n")
    w.section("clinical_impression", rng.choice(("Clinical Impression:\n", "DIAGNOSES:\n")))
    for spec, _ in _problems(case)[:3]:
        w.write("- ")
        w.mention(cap(surface(rng, spec)), spec.code)
        w.write("\n")
    severe = any(c.kind == "severe" for c in case.codes)
    w.write("\n")
    w.section("disposition", "Disposition: ")
    w.write(
        "Admitted to medicine.\n"
        if severe
        else rng.choice(("Discharged home in stable condition.\n", "Home with return precautions.\n"))
    )
    return [code]


def write_consult(w: NoteWriter, rng: random.Random, case: Case) -> list[EmCode]:
    style = rng.choice(HEADERS)
    dis = split_distractors(case)
    w.section("reason_for_consultation", "Reason for Consultation:\n")
    w.write("Evaluation of ")
    w.mention(surface(rng, case.primary), case.primary.code)
    w.write(", requested by the hospitalist service.\n\n")
    _hpi(w, rng, case, style, "to the hospital", complaint(rng, case))
    write_pmh(w, rng, case, style, dis["historical"], dis["negated_history"])
    write_meds(w, rng, case, style)
    write_allergies(w, rng, case, style)
    write_family(w, rng, style, dis["family"])
    write_social(w, rng, case, style)
    write_ros(w, rng, case, style, dis["negated_symptom"])
    write_exam(w, rng, case, style)
    w.section("impression_and_recommendations", "Impression and Recommendations:\n")
    _assessment(w, rng, case, dis, inpatient=True)
    code = em.inpatient_initial(rng, case.codes)
    w.write("Thank you for this consultation; we will follow.\n")
    w.mention(code.statement, code.code, system=code.system)
    w.write("\n")
    return [code]
