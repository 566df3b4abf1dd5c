"""Preventive medicine visits by age band, and preventive + separate problem visit (modifier 25).

Bands (AMA): new 99381 under 1 year, 99382 1-4, 99383 5-11, 99384 12-17, 99385 18-39,
99386 40-64, 99387 65 and over; established 99391-99397, same bands. Not levelled by MDM or time.
"""

from __future__ import annotations

import pytest

from medcoder.rules.em import EmFacts, assess_em, check_em
from medcoder.rules.findings import Severity

WELL = "Annual physical. Immunizations reviewed and up to date. Screening lipid panel ordered. Counselled on diet and exercise."


@pytest.mark.parametrize(
    ("age", "new", "established"),
    [
        (0, "99381", "99391"),
        (1, "99382", "99392"),
        (4, "99382", "99392"),
        (5, "99383", "99393"),
        (11, "99383", "99393"),
        (12, "99384", "99394"),
        (17, "99384", "99394"),
        (18, "99385", "99395"),
        (39, "99385", "99395"),
        (40, "99386", "99396"),
        (64, "99386", "99396"),
        (65, "99387", "99397"),
        (90, "99387", "99397"),
    ],
)
def test_age_band_edges(age, new, established):
    a = assess_em(WELL, facts=EmFacts(encounter_class="AMB", new_patient=True, age=age))
    assert a.family == "preventive_new" and a.family_source == "metadata+note"
    assert a.supported_code == new and a.basis == "age" and a.age == age
    b = assess_em(WELL, facts=EmFacts(encounter_class="AMB", new_patient=False, age=age))
    assert b.family == "preventive_established" and b.supported_code == established


def test_age_from_the_note_when_the_request_has_none():
    a = assess_em("Well-child visit for a 9-month-old, established patient. Growth and development normal.")
    assert a.family == "preventive_established" and a.family_source == "note"
    assert a.age == 0 and a.supported_code == "99391"
    assert "9-month-old" in a.lines[0].reason
    unknown = assess_em(WELL, facts=EmFacts(encounter_class="AMB"))
    assert unknown.supported_code is None and unknown.basis == "none" and "age not known" in unknown.notes[0]


# The problem part starts at "In addition to the preventive visit": hypertension not at goal ->
# problems moderate; BMP ordered (1 test) -> data minimal; increase lisinopril -> Rx management,
# risk moderate. MDM moderate -> established office 99214 with modifier 25. The screening lipid
# panel before the cue is preventive content and is not counted.
WITH_PROBLEM = (
    WELL + "\nIn addition to the preventive visit, a separately identifiable problem was addressed: "
    "hypertension, not at goal at 152/94 on home readings. BMP ordered. Increase lisinopril to 20 mg daily."
)


def test_preventive_with_separate_problem_visit_carries_modifier_25():
    a = assess_em(WITH_PROBLEM, facts=EmFacts(encounter_class="AMB", new_patient=False, age=52))
    assert a.supported_code == "99396" and a.basis == "age"
    assert {e.element: e.label for e in a.elements} == {
        "problems": "moderate",
        "data": "minimal",
        "risk": "moderate",
    }
    assert [(ln.code, ln.modifiers) for ln in a.lines] == [("99396", ()), ("99214", ("25",))]
    assert "separately identifiable" in a.lines[1].reason
    cut = WITH_PROBLEM.index("In addition")
    assert all(e.start >= cut for el in a.elements for e in el.evidence)  # only the problem part


def test_minor_problem_is_not_a_separate_visit():
    note = WELL + "\nAlso addressed: insect bite on the arm, reassurance."
    a = assess_em(note, facts=EmFacts(encounter_class="AMB", new_patient=False, age=30))
    assert [ln.code for ln in a.lines] == ["99395"]
    assert "minor" in a.notes[0]


def test_billed_preventive_wrong_band_and_office_code_on_the_problem_part(enc):
    patient = {"age": 52}
    (f,) = check_em(enc(["Z00.00"], [("99395",)], note_text=WELL, patient=patient))
    assert (
        f.rule_id == "EM.LEVEL_NOT_SUPPORTED"
        and f.severity is Severity.WARNING
        and "supports 99396" in f.message
    )
    both = [("99396",), ("99214", ("25",), 1)]
    assert check_em(enc(["Z00.00", "I10"], both, note_text=WITH_PROBLEM, patient=patient)) == []
    (over,) = check_em(
        enc(["Z00.00", "I10"], [("99396",), ("99215", ("25",), 1)], note_text=WITH_PROBLEM, patient=patient)
    )
    assert over.codes == ("99215",) and "supports 99214" in over.message
