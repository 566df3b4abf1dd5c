"""E/M level from total time or medical decision making (2 of 3 elements), for every family.

The family's ``basis`` (``data/em_families.yaml``) says how it is levelled: ``mdm_or_time`` (office,
hospital initial/subsequent/same-day, consults, nursing facility, home): the supported code is the
higher of the MDM level and the time level (minimum minutes met); ``mdm`` (ED); ``time``
(discharge day management, critical care); ``age`` (preventive medicine). Add-on lines (prolonged
services, 99292) and a preventive visit's separate problem visit (modifier 25) come with it.
"""

from __future__ import annotations

from medcoder.rules.em.addons import critical_care_lines, prolonged_lines, prolonged_not_paid_note
from medcoder.rules.em.assessment import EmAssessment
from medcoder.rules.em.explain import rationale
from medcoder.rules.em.extract import total_time
from medcoder.rules.em.families import FamilyChoice, choose_family, fallback_family
from medcoder.rules.em.mdm import ElementLevel, assess_mdm, mdm_labels, mdm_level
from medcoder.rules.em.preventive import age_of, band_code, band_label, problem_part, separate_problem
from medcoder.rules.em.records import EmFacts, EmLine
from medcoder.rules.em.tables import Family, families, family_of_code

__all__ = [
    "ElementLevel",
    "EmAssessment",
    "assess_em",
    "assess_family",
    "em_family",
    "mdm_level",
    "rationale",
]


def em_family(code: str) -> str | None:
    """The family name of a primary E/M code (``office_new``, ``hospital_initial``, ...), or None
    for a code this module does not level (add-ons such as 99417/99292 included)."""
    fam = family_of_code(code)
    return fam.name if fam else None


def _mdm_code(fam: Family, mdm: int) -> str | None:
    return next((r.code for r in reversed(fam.codes) if r.mdm is not None and r.mdm <= mdm), None)


def _time_code(fam: Family, minutes: int | None) -> str | None:
    if minutes is None:
        return None
    return next((r.code for r in reversed(fam.codes) if r.minutes is not None and r.minutes <= minutes), None)


def _base(choice: FamilyChoice, billed: str | None, fam: Family, **kw) -> EmAssessment:
    return EmAssessment(
        billed=billed,
        family=fam.name,
        family_label=fam.label,
        family_source=choice.source,
        family_decisions=choice.decisions,
        **kw,
    )


def _by_mdm_or_time(note: str, fam: Family, facts: EmFacts) -> dict:
    elements, mdm = assess_mdm(note)
    mdm_code = _mdm_code(fam, mdm)
    minutes, time_ev = (None, None) if fam.basis == "mdm" else total_time(note)
    time_code = _time_code(fam, minutes)
    candidates = [c for c in (time_code, mdm_code) if c]
    supported = max(candidates, key=fam.rank) if candidates else None
    add = prolonged_lines(fam, time_code, minutes, facts.payer) if time_code == supported else []
    if supported is None:
        basis = "none"
    elif supported == time_code and (time_code != mdm_code or add):
        basis = "time"
    else:
        basis = "mdm"
    notes = [fam.note] if fam.note else []
    if basis == "time" and (msg := prolonged_not_paid_note(fam, supported, minutes, facts.payer)):
        notes.append(msg)
    lines = ([EmLine(code=supported, reason=f"{basis}: {fam.label}")] if supported else []) + add
    return dict(
        minutes=minutes,
        time_code=time_code,
        time_evidence=time_ev,
        elements=elements,
        mdm_level=mdm,
        mdm_label=mdm_labels()[mdm],
        mdm_code=mdm_code,
        supported_code=supported,
        basis=basis,
        lines=tuple(lines),
        notes=tuple(notes),
    )


def _by_time(note: str, fam: Family, facts: EmFacts) -> dict:
    minutes, time_ev = total_time(note)
    code = _time_code(fam, minutes)
    notes = []
    if code is None and fam.default_without_time:
        code = fam.default_without_time
        notes.append(f"no total time documented: {code}, the lower-time code, is supported")
    lines = (EmLine(code=code, reason=f"time: {fam.label}"),) if code else ()
    return dict(
        minutes=minutes,
        time_code=code,
        time_evidence=time_ev,
        elements=(),
        mdm_level=None,
        mdm_label="not used (time-based family)",
        mdm_code=None,
        supported_code=code,
        basis="time" if code else "none",
        lines=lines,
        notes=tuple(notes),
    )


def _critical_care(
    note: str, fam: Family, facts: EmFacts, choice: FamilyChoice, billed: str | None
) -> EmAssessment:
    minutes, time_ev = total_time(note, critical_care=True)
    if minutes is None:
        minutes, time_ev = total_time(note)
    lines = critical_care_lines(fam, minutes, facts.payer)
    if lines:
        return _base(
            choice, billed, fam, minutes=minutes, time_code=lines[0].code, time_evidence=time_ev, elements=(),
            mdm_level=None, mdm_label="not used (critical care is by time)", mdm_code=None,
            supported_code=lines[0].code, basis="time", lines=tuple(lines),
        )  # fmt: skip
    other = fallback_family(choice, note, facts)
    why = (
        f"critical care time {minutes} min is under 30 min"
        if minutes is not None
        else "no critical care time documented"
    ) + f": not reported as critical care; levelled as {other.label} instead"
    inner = assess_family(note, FamilyChoice(family=other, decisions=choice.decisions), facts, billed=billed)
    return inner.model_copy(update={"fallback_from": fam.name, "notes": (why, *inner.notes)})


def _preventive(note: str, fam: Family, facts: EmFacts) -> dict:
    age, age_source, age_ev = age_of(note, facts)
    code = band_code(fam, age)
    notes = [] if code else ["age not known: the preventive age band cannot be chosen"]
    lines = []
    if code:
        where = f"age {age} from {age_source}" + (
            f" ({age_ev.text!r} [{age_ev.start}:{age_ev.end}])" if age_ev else ""
        )
        lines.append(EmLine(code=code, reason=f"preventive visit, {band_label(fam, code)}: {where}"))
    elements: tuple[ElementLevel, ...] = ()
    mdm = None
    cue = separate_problem(note)
    if cue is not None and fam.problem_family:
        office = families()[fam.problem_family]
        elements, mdm = assess_mdm(problem_part(note, cue))
        if elements[0].level >= 1:
            problem_code = _mdm_code(office, mdm)
            lines.append(
                EmLine(
                    code=problem_code,
                    modifiers=("25",),
                    reason=f"significant, separately identifiable problem-oriented service ({cue.text!r} "
                    f"[{cue.start}:{cue.end}]), levelled by MDM on the problem part only; modifier 25 on "
                    f"the problem-oriented code",
                )
            )
        else:
            notes.append(f"{cue.text!r}: the problem addressed is minor, not reported as a separate visit")
    return dict(
        minutes=None,
        time_code=None,
        time_evidence=None,
        elements=elements,
        mdm_level=mdm,
        mdm_label=mdm_labels()[mdm] if mdm is not None else "not used (preventive: by age)",
        mdm_code=None,
        supported_code=code,
        basis="age" if code else "none",
        lines=tuple(lines),
        notes=tuple(notes),
        age=age,
    )


def assess_family(
    note: str, choice: FamilyChoice, facts: EmFacts | None = None, *, billed: str | None = None
) -> EmAssessment:
    """Level ``note`` in the chosen family (``choice.family`` must not be None)."""
    facts = facts or EmFacts()
    fam = choice.family
    if fam is None:
        raise ValueError("no E/M family: pass a billed code, encounter metadata or a note with a visit cue")
    if fam.name == "critical_care":
        return _critical_care(note, fam, facts, choice, billed)
    if fam.basis == "age":
        return _base(choice, billed, fam, **_preventive(note, fam, facts))
    if fam.basis == "time":
        return _base(choice, billed, fam, **_by_time(note, fam, facts))
    return _base(choice, billed, fam, **_by_mdm_or_time(note, fam, facts))


def assess_em(note: str, billed: str | None = None, *, facts: EmFacts | None = None) -> EmAssessment:
    """Level the note: in the billed code's family, else in the family the facts and note cues
    give (:func:`medcoder.rules.em.families.choose_family`). Raises ValueError for a billed code
    it does not level, or when nothing says what kind of visit the note is."""
    return assess_family(note, choose_family(note, billed, facts), facts, billed=billed)
