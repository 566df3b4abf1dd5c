"""History sections: past medical history, medications, allergies, family and social history, ROS."""

from __future__ import annotations

import random
from collections.abc import Sequence

from medcoder.data.records import Sex
from medcoder.data.synth.catalog import CodeSpec
from medcoder.data.synth.parts import cap, chronic_of, header, negated_sentence, surface
from medcoder.data.synth.selection import Case
from medcoder.data.synth.writer import NoteWriter

GOVERNED = {
    "Z79.01": (("apixaban", "warfarin", "rivaroxaban"), "afib"),
    "Z79.82": (("aspirin",), "cad"),
    "Z79.4": (("insulin",), "dm2"),
    "Z79.84": (("metformin", "glipizide", "empagliflozin"), "dm2"),
}
DEFAULT_MED = {
    "Z79.01": "apixaban 5 mg PO BID",
    "Z79.82": "aspirin 81 mg PO daily",
    "Z79.4": "insulin glargine 20 units SC nightly",
    "Z79.84": "metformin 1000 mg PO BID",
}


def write_pmh(
    w: NoteWriter,
    rng: random.Random,
    case: Case,
    style: dict[str, str],
    historical: list[CodeSpec],
    denied: Sequence[CodeSpec] = (),
) -> None:
    header(w, style, "pmh")
    chronic = chronic_of(case)
    for spec in chronic:
        w.write("- ")
        w.mention(cap(surface(rng, spec)), spec.code)
        w.write("\n")
    for spec in historical:
        w.write("- ")
        tmpl = rng.choice(
            (
                "History of {m}, resolved.",
                "Remote {m}, treated, fully resolved.",
                "{M} in {y}, resolved without sequelae.",
            )
        )
        before, after = tmpl.split("{m}") if "{m}" in tmpl else tmpl.split("{M}")
        w.write(before)
        m = rng.choice(spec.mentions)
        w.mention(cap(m) if "{M}" in tmpl else m, spec.code, "historical")
        w.write(after.replace("{y}", str(rng.randint(2005, 2022))) + "\n")
    if not chronic and not historical:
        w.write(rng.choice(("No significant past medical history.", "Otherwise healthy.", "None.")) + "\n")
    for spec in denied:
        negated_sentence(w, rng, spec, inpatient=False)
    w.write("\n" if not denied else "\n\n")


def _drug(med: str) -> str:
    name = med.split()[0].lower()
    return "statin" if name.endswith("statin") else name


def med_list(rng: random.Random, case: Case, oral_only: bool = False) -> list[str]:
    """One or two medicines per present condition, consistent with the Z79 status codes.

    ``oral_only`` (office visits, discharge lists) leaves out IV infusions; one drug per name/class.
    """
    present = {c.code for c in case.codes}
    meds: list[str] = []
    for spec in case.codes:
        allowed = []
        for m in spec.meds:
            gov = next(
                (
                    code
                    for code, (kws, pool) in GOVERNED.items()
                    if pool == spec.pool and m.lower().startswith(kws)
                ),
                None,
            )
            if (gov is None or gov in present) and not (oral_only and (" IV " in m or "infusion" in m)):
                allowed.append(m)
        for m in rng.sample(allowed, min(len(allowed), rng.randint(1, 2))):
            if _drug(m) not in {_drug(x) for x in meds}:
                meds.append(m)
    for code, (kws, _pool) in GOVERNED.items():
        if code in present and not any(m.lower().startswith(kws) for m in meds):
            meds.append(DEFAULT_MED[code])
    return meds


def write_meds(
    w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str], key: str = "meds"
) -> None:
    if key == "meds":
        header(w, style, "meds")
    meds = med_list(rng, case, oral_only=key != "meds" or case.setting in ("op", "ed"))
    w.write("".join(f"- {m}\n" for m in meds) if meds else "None.\n")
    w.write("\n")


def write_allergies(w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str]) -> None:
    header(w, style, "allergies")
    allergies = [c for c in case.codes if c.allergy]
    if not allergies:
        w.write(rng.choice(("NKDA.", "No known drug allergies.", "No known allergies.")) + "\n\n")
        return
    for i, spec in enumerate(allergies):
        if i:
            w.write("; ")
        w.mention(surface(rng, spec), spec.code)
    w.write(".\n\n")


_RELATIVES = {
    Sex.FEMALE: ("Mother", "Sister", "Maternal grandmother"),
    Sex.MALE: ("Father", "Brother", "Paternal grandfather"),
}


def write_family(w: NoteWriter, rng: random.Random, style: dict[str, str], family: list[CodeSpec]) -> None:
    header(w, style, "fh")
    if not family:
        w.write(rng.choice(("Noncontributory.", "No significant family history.")) + "\n\n")
        return
    for spec in family:
        rel_sex = spec.sex or rng.choice((Sex.FEMALE, Sex.MALE))
        rel = rng.choice(_RELATIVES[rel_sex])
        tmpl = rng.choice(("{r} with {m}.", "{r} had {m}.", "{r}: {m}, diagnosed at age {a}."))
        before, after = tmpl.replace("{r}", rel).split("{m}")
        w.write(before)
        w.mention(rng.choice(spec.mentions), spec.code, "family")
        w.write(after.replace("{a}", str(rng.randint(40, 75))) + " ")
    w.write("\n\n")


def write_social(w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str]) -> None:
    header(w, style, "sh")
    tobacco = next((c for c in case.codes if c.group == "tobacco"), None)
    if case.age < 14:
        w.write(
            f"Lives with parents; {rng.choice(('attends school', 'in daycare', 'up to date on vaccines'))}.\n\n"
        )
        return
    w.write("Tobacco: ")
    if tobacco is not None:
        w.mention(surface(rng, tobacco), tobacco.code)
        w.write(". ")
    else:
        w.write("never smoker. ")
    alcohol = next((c for c in case.codes if c.group == "alcohol"), None)
    if case.age < 18:
        w.write("Alcohol: none. ")
    elif alcohol is None:
        w.write(f"Alcohol: {rng.choice(('none', 'social', '1-2 drinks per week', 'rare'))}. ")
    if case.age < 18:
        life = ("Lives with parents; in high school.", "Lives with family; plays soccer.")
    elif case.age >= 65:
        life = ("Retired; lives with spouse.", "Retired; lives alone.", "Lives with daughter.")
    else:
        life = (
            "Lives with spouse.",
            "Lives alone.",
            "Works as a teacher.",
            "Works in construction.",
            "Works in an office.",
        )
    w.write(rng.choice(life) + "\n\n")


def write_ros(
    w: NoteWriter, rng: random.Random, case: Case, style: dict[str, str], negated: list[CodeSpec]
) -> None:
    header(w, style, "ros")
    if negated:
        w.write(rng.choice(("Denies ", "Negative for ", "Patient denies ")))
        for i, spec in enumerate(negated):
            if i:
                w.write(", " if i < len(negated) - 1 else " and ")
            w.mention(rng.choice(spec.mentions), spec.code, "negated")
        w.write(". ")
    w.write(
        rng.choice(
            (
                "All other systems reviewed and negative.",
                "Otherwise a 10-point review of systems is negative.",
                "Remainder of ROS negative except as noted in HPI.",
            )
        )
    )
    w.write("\n\n")
