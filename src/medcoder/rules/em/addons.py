"""Time-based add-on codes: prolonged services (99417 / G2212 / 99418 / G0316-G0318) and
critical care 99291 with +99292.

Prolonged services apply only when the family's top code is reached by total time: CPT gives
one unit for each full 15 minutes past the top code's minimum (99205 at 60 min: one 99417 at 75,
two at 90); Medicare gives one unit at its own threshold and one more per further 15 minutes
(G2212: 89 min with 99205, 69 with 99215). Critical care: 99291 for 30-74 minutes; 99292 per
30 minutes after 74, counted by CPT's midpoint table (one at 75-104, two at 105-134) or, for
Medicare, in full blocks only (one at 104, two at 134). Pure functions over the family tables.
"""

from __future__ import annotations

from medcoder.rules.em.records import EmLine
from medcoder.rules.em.tables import Family, family_settings


def is_medicare(payer: str | None) -> bool:
    """Whether the payer string names Medicare ("MEDICARE", "Medicare Part B"; not Medicaid)."""
    return bool(payer) and "medicare" in payer.lower()


def prolonged_lines(family: Family, code: str, minutes: int | None, payer: str | None) -> list[EmLine]:
    """Prolonged-service add-on lines for ``code`` levelled by ``minutes`` (empty when none apply)."""
    pro = family.prolonged
    top = family.codes[-1]
    if pro is None or minutes is None or code != top.code or top.minutes is None:
        return []
    step = int(family_settings()["prolonged_step"])
    if is_medicare(payer):
        if pro.medicare_code is None or pro.medicare_first_at is None:
            return []
        if minutes < pro.medicare_first_at:
            return []
        units = 1 + (minutes - pro.medicare_first_at) // step
        why = (
            f"Medicare: {minutes} min total time; first unit at {pro.medicare_first_at} min with {code}, "
            f"one more per further {step} min"
        )
        return [EmLine(code=pro.medicare_code, units=units, reason=why)]
    units = (minutes - top.minutes) // step
    if units < 1:
        return []
    why = f"CPT: {minutes} min total time is {minutes - top.minutes} min past the {top.minutes}-min minimum of {code}; one unit per full {step} min"
    return [EmLine(code=pro.code, units=units, reason=why)]


def prolonged_not_paid_note(family: Family, code: str, minutes: int | None, payer: str | None) -> str | None:
    """A note when Medicare has no add-on for a family (consults) whose top code was reached by time."""
    pro = family.prolonged
    if pro and is_medicare(payer) and pro.medicare_code is None and code == family.codes[-1].code and minutes:
        return f"Medicare has no prolonged-service code for {code}; no add-on suggested"
    return None


def critical_care_lines(family: Family, minutes: int | None, payer: str | None) -> list[EmLine]:
    """99291 (and 99292 units) for the critical care time, or [] under 30 minutes / no time."""
    first = family.codes[0]
    if minutes is None or first.minutes is None or minutes < first.minutes:
        return []
    lines = [EmLine(code=first.code, reason=f"{minutes} min of critical care: first {first.minutes}-74 min")]
    add = family.add_on
    if add is None:
        return lines
    start = add.medicare_first_at if is_medicare(payer) else add.cpt_first_at
    if minutes >= start:
        units = 1 + (minutes - start) // add.step
        rule = (
            "Medicare: full 30-min blocks after 74 min" if is_medicare(payer) else "CPT table (midpoint rule)"
        )
        lines.append(
            EmLine(
                code=add.code,
                units=units,
                reason=f"{minutes} min: {units} x {add.code}, first at {start} min ({rule})",
            )
        )
    return lines
