"""Preventive medicine visits: the age band code, and a separately identifiable problem visit.

Preventive codes are chosen by age on the date of service (whole years; under 1 year is the
infant band), never by MDM or time. When the note also documents a significant, separately
identifiable problem-oriented service (a ``separate_problem`` cue, then a problem with its own
assessment and plan), the problem part is levelled by MDM from that cue to the end of the note as
an office visit and reported with modifier 25; a problem too minor to level (problems element
minimal) is not reported separately.
"""

from __future__ import annotations

import functools
import re

from medcoder.rules.em.extract import Evidence
from medcoder.rules.em.families import find_cue
from medcoder.rules.em.records import EmFacts
from medcoder.rules.em.tables import Family, family_settings
from medcoder.rules.em.text import compile_ci


@functools.cache
def _patterns() -> dict[str, re.Pattern[str] | list[re.Pattern[str]]]:
    cues = family_settings()["cues"]
    return {
        "separate": [compile_ci(p) for p in cues["separate_problem"]],
        "years": compile_ci(cues["age_years"]),
        "months": compile_ci(cues["age_months"]),
    }


def age_of(note: str, facts: EmFacts) -> tuple[int | None, str, Evidence | None]:
    """Age in whole years, where it came from ("metadata" = the request's patient, "note"), and
    the note span when read from the text ("9-month-old" is age 0)."""
    if facts.age is not None:
        return facts.age, "metadata", None
    pats = _patterns()
    found = []
    for key in ("years", "months"):
        m = pats[key].search(note)  # type: ignore[union-attr]
        if m:
            found.append((m.start(), key, m))
    if not found:
        return None, "unknown", None
    _, key, m = min(found, key=lambda t: t[0])
    age = int(m.group(1)) if key == "years" else int(m.group(1)) // 12
    return age, "note", Evidence(element="age", kind=key, text=m.group(), start=m.start(), end=m.end())


def band_code(family: Family, age: int | None) -> str | None:
    """The family's code for ``age`` (the first band whose oldest age is at least ``age``)."""
    if age is None:
        return None
    for row in family.codes:
        if row.max_age is None or age <= row.max_age:
            return row.code
    return None


def band_label(family: Family, code: str) -> str:
    """ "age 40-64" style description of a code's band."""
    i = family.rank(code)
    low = 0 if i == 0 else (family.codes[i - 1].max_age or 0) + 1
    high = family.codes[i].max_age
    if high == 0:
        return "age under 1 year"
    return f"age {low}-{high}" if high is not None else f"age {low} and over"


def separate_problem(note: str) -> Evidence | None:
    """The cue of a separately identifiable problem-oriented service, if the note has one."""
    return find_cue(note, _patterns()["separate"], element="problems")  # type: ignore[arg-type]


def problem_part(note: str, cue: Evidence) -> str:
    """The note with everything before the cue's sentence blanked out (offsets are kept)."""
    newline, period = note.rfind("\n", 0, cue.start), note.rfind(". ", 0, cue.start)
    start = max(newline + 1 if newline >= 0 else 0, period + 2 if period >= 0 else 0)
    return re.sub(r"[^\n]", " ", note[:start]) + note[start:]
