"""E/M leveling: time thresholds and MDM (2 of 3) per the 2021 AMA office guidelines; ED by MDM.

Expected levels are worked out by hand from the AMA tables:
office new 99202/03/04/05 = 15/30/45/60 min, established 99212/13/14/15 = 10/20/30/40 min;
MDM straightforward/low/moderate/high -> 99202|99212 / 99203|99213 / 99204|99214 / 99205|99215,
ED 99282..99285 = straightforward..high.
"""

from __future__ import annotations

import pytest

from medcoder.rules.em import assess_em, check_em
from medcoder.rules.em.level import mdm_level
from medcoder.rules.findings import Severity

ALLERGY_41 = (
    "Follow-up of seasonal allergic rhinitis. Total time spent on the date of the encounter: 41 minutes."
)
CHRONIC_TWO = (
    "Type 2 diabetes, stable on metformin. Hypertension, well controlled.\n"
    "Plan: continue metformin 500 mg twice daily; prescription for lisinopril renewed."
)
ED_HIGH = (
    "COPD exacerbation with hypoxia. History obtained from the daughter. Ordered chest x-ray and CBC. "
    "My interpretation of the chest x-ray: hyperinflation, no infiltrate. Discussed management with Dr. Lee "
    "(pulmonology). Decision to admit to the hospital."
)
ED_LOW = "Sore throat for two days, acute uncomplicated pharyngitis. Supportive care and OTC ibuprofen."


def levels(a):
    return {e.element: e.label for e in a.elements}


@pytest.mark.parametrize(
    ("code", "minutes", "expected"),
    [
        ("99215", 41, "99215"),
        ("99215", 39, "99214"),
        ("99213", 20, "99213"),
        ("99213", 19, "99212"),
        ("99204", 45, "99204"),
        ("99204", 44, "99203"),
        ("99205", 60, "99205"),
        ("99202", 15, "99202"),
    ],
)
def test_time_thresholds(code, minutes, expected):
    note = f"Follow-up of seasonal allergic rhinitis. Total time spent today: {minutes} minutes."
    a = assess_em(note, code)
    assert a.minutes == minutes and a.time_code == expected


def test_time_path_supports_level_mdm_does_not():
    a = assess_em(ALLERGY_41, "99215")
    assert a.mdm_label == "straightforward" and a.mdm_code == "99212"
    assert a.time_code == "99215" and a.supported_code == "99215" and a.basis == "time"


def test_time_path_finding_when_time_short(enc):
    note = ALLERGY_41.replace("41", "38")
    (f,) = check_em(enc(["J30.2"], [("99215",)], note_text=note))
    assert f.rule_id == "EM.LEVEL_NOT_SUPPORTED" and f.severity is Severity.WARNING
    assert "supports 99214" in f.message and "total time: 38 min -> 99214" in f.message


def test_mdm_two_of_three_moderate():
    a = assess_em(CHRONIC_TWO, "99214")
    # problems: 2 stable chronic illnesses = moderate; data: none = minimal; risk: Rx management = moderate.
    assert levels(a) == {"problems": "moderate", "data": "minimal", "risk": "moderate"}
    assert a.mdm_label == "moderate" and a.mdm_code == "99214" and a.minutes is None
    assert "2 stable chronic illnesses" in a.elements[0].reason


def test_mdm_path_findings(enc):
    (f,) = check_em(enc(["E11.9", "I10"], [("99215",)], note_text=CHRONIC_TWO))
    assert "supports 99214" in f.message and f.details["assessment"]["basis"] == "mdm"
    assert check_em(enc(["E11.9", "I10"], [("99214",)], note_text=CHRONIC_TWO)) == []
    (under,) = check_em(enc(["E11.9", "I10"], [("99212",)], note_text=CHRONIC_TWO))
    assert under.rule_id == "EM.LEVEL_BELOW_SUPPORTED" and under.severity is Severity.INFO


def test_mdm_rule_is_second_highest_element():
    assert mdm_level([3, 0, 1]) == 1  # high problems, minimal data, low risk -> low
    assert mdm_level([2, 2, 0]) == 2
    assert mdm_level([3, 3, 3]) == 3


def test_evidence_spans_point_into_the_note():
    a = assess_em(CHRONIC_TWO, "99214")
    ev = [e for el in a.elements for e in el.evidence]
    assert {e.text.lower() for e in ev} >= {"stable", "well controlled", "prescription"}
    assert all(CHRONIC_TWO[e.start : e.end] == e.text for e in ev)


def test_negated_prescription_not_counted():
    a = assess_em("Hypertension, stable. No prescription changes today.", "99213")
    assert levels(a)["risk"] == "minimal"


def test_ed_levels_by_mdm(enc):
    a = assess_em(ED_HIGH, "99285")
    assert levels(a) == {"problems": "moderate", "data": "extensive", "risk": "high"}
    assert a.supported_code == "99285" and a.minutes is None
    low = assess_em(ED_LOW, "99285")
    assert (
        levels(low) == {"problems": "low", "data": "minimal", "risk": "low"} and low.supported_code == "99283"
    )
    (f,) = check_em(enc(["J02.9"], [("99285",)], note_text=ED_LOW, setting="emergency"))
    assert f.rule_id == "EM.LEVEL_NOT_SUPPORTED" and "supports 99283" in f.message


def test_no_note_is_reported_and_non_em_codes_ignored(enc):
    (f,) = check_em(enc(["I10"], [("99213",), ("93000",)]))
    assert f.rule_id == "EM.NO_NOTE" and f.codes == ("99213",)
    with pytest.raises(ValueError):
        assess_em("note", "93000")
