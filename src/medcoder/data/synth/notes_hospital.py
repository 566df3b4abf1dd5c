"""Discharge summary and procedure note layouts (see :mod:`medcoder.data.synth.notes`)."""

from __future__ import annotations

import random

from medcoder.data.synth import em
from medcoder.data.synth.em import EmCode
from medcoder.data.synth.history import write_allergies, write_meds, write_pmh
from medcoder.data.synth.notes import _problems, complaint
from medcoder.data.synth.parts import (
    HEADERS,
    cap,
    chronic_of,
    mention_list,
    negated_sentence,
    patient_phrase,
    split_distractors,
    surface,
)
from medcoder.data.synth.selection import Case
from medcoder.data.synth.writer import NoteWriter


def write_discharge(w: NoteWriter, rng: random.Random, case: Case, los: int) -> list[EmCode]:
    style = rng.choice(HEADERS)
    dis = split_distractors(case)
    w.section("hospital_stay", None)
    w.write(f"Length of stay: {los} days.\n\n")
    w.section("discharge_diagnoses", rng.choice(("Discharge Diagnoses:\n", "DISCHARGE DIAGNOSES:\n")))
    w.write("Principal: ")
    w.mention(cap(surface(rng, case.primary)), case.primary.code)
    w.write("\nSecondary:\n")
    secondary = [c for c in case.codes[1:] if not c.allergy]
    for spec in secondary:
        w.write("- ")
        w.mention(cap(surface(rng, spec)), spec.code)
        w.write("\n")
    if not secondary:
        w.write("- None.\n")
    w.write("\n")
    w.section("history_of_present_illness", style["hpi"] + "\n")
    w.write(cap(patient_phrase(case, rng)))
    chronic = [c for c in chronic_of(case) if c is not case.primary]
    if chronic:
        w.write(" with ")
        mention_list(w, rng, chronic[:3])
    w.write(f" presented with {complaint(rng, case)}. ")
    if dis["negated_symptom"]:
        w.write(f"{'She' if case.sex.value == 'F' else 'He'} denied ")
        for i, spec in enumerate(dis["negated_symptom"]):
            if i:
                w.write(" or ")
            w.mention(rng.choice(spec.mentions), spec.code, "negated")
        w.write(". ")
    w.write("\n\n")
    if dis["historical"]:
        write_pmh(w, rng, case, style, dis["historical"])
    w.section("hospital_course", rng.choice(("Hospital Course:\n", "HOSPITAL COURSE:\n")))
    for i, (spec, extras) in enumerate(_problems(case)):
        w.mention(cap(surface(rng, spec)), spec.code)
        for extra in extras:
            w.write(", ")
            w.mention(surface(rng, extra), extra.code)
        w.write(": ")
        w.write(
            (rng.choice(spec.plan) if spec.plan else "Stable during admission; home regimen continued.") + " "
        )
        if i == 0:
            for d in dis["negated"]:
                negated_sentence(w, rng, d, inpatient=True)
        w.write("\n")
    w.write("\n")
    write_allergies(w, rng, case, style)
    w.section("discharge_medications", rng.choice(("Discharge Medications:\n", "DISCHARGE MEDICATIONS:\n")))
    write_meds(w, rng, case, style, key="discharge")
    w.section("condition_and_follow_up", "Condition at discharge: ")
    places = (
        ("home", "home with home health", "skilled nursing facility")
        if case.age >= 65
        else ("home", "home with family")
    )
    w.write(rng.choice(("stable.", "improved.", "good.")) + f" Disposition: {rng.choice(places)}. ")
    w.write(f"Follow up with primary care in {rng.choice((3, 5, 7, 14))} days.\n")
    code = em.discharge(rng)
    w.mention(code.statement, code.code, system=code.system)
    w.write("\n")
    return [code]


def write_procedure(w: NoteWriter, rng: random.Random, case: Case, medicare: bool) -> list[EmCode]:
    assert case.procedure is not None
    proc, dx = case.procedure, case.primary
    dis = split_distractors(case)
    w.section("preoperative_diagnosis", "Preoperative diagnosis: ")
    w.mention(cap(surface(rng, dx)), dx.code)
    w.write("\nPostoperative diagnosis: same.\n\n")
    w.section("procedure", "Procedure: ")
    code, system = proc.code(medicare)
    statement = proc.statement(rng, dx)
    w.mention(statement, code, system=system)
    w.write("\n\n")
    w.section("indications", "Indications: ")
    w.write(cap(patient_phrase(case, rng)) + (" presenting for " if dx.code.startswith("Z12") else " with "))
    w.mention(surface(rng, dx), dx.code)
    w.write(". Risks, benefits and alternatives were discussed and written consent obtained. ")
    for spec in dis["historical"]:
        w.write("Past history notable for ")
        w.mention(rng.choice(spec.mentions), spec.code, "historical")
        w.write(", resolved. ")
    w.write("\n\n")
    w.section("description", "Description of procedure:\n")
    w.write(proc.details(rng, dx) + "\n\n")
    w.section("findings", "Findings: ")
    finding = next((c for c in case.codes[1:] if c.code == "K57.30"), None)
    if finding is not None:
        w.write("Scattered sigmoid ")
        w.mention(surface(rng, finding), finding.code)
        w.write(". Otherwise normal mucosa.\n")
    else:
        w.write("As above. Estimated blood loss minimal.\n")
    w.write("Complications: none. The patient tolerated the procedure well.\n\n")
    w.section("plan", "Plan: ")
    w.write((rng.choice(dx.plan) if dx.plan else "Routine post-procedure care.") + "\n")
    return [em.EmCode(code, system, statement)]
