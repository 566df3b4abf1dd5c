"""Hospital inpatient/observation care: initial 99221-99223, subsequent 99231-99233, same-day
99234-99236, discharge 99238/99239, and 99418 / G0316 prolonged services.

Tables (AMA 2023): initial 99221/2/3 = MDM straightforward-or-low/moderate/high, 40/55/75 min;
subsequent 99231/2/3 = same MDM, 25/35/50 min; same-day 99234/5/6 = same MDM, 45/70/85 min;
discharge by time only: 30 min or less 99238, more than 30 min 99239. 99418: one unit per full
15 min past the top code's minimum; Medicare G0316 from 90 (99223), 65 (99233), 110 (99236) min.
"""

from __future__ import annotations

import pytest

from medcoder.rules.em import EmFacts, assess_em, check_em
from medcoder.rules.findings import Severity

INPATIENT = EmFacts(encounter_class="IMP")

# Acute uncomplicated illness -> problems low; 1 test (BMP) -> data minimal; rest/fluids -> risk low.
# MDM low -> 99221 (99221 covers straightforward or low).
INIT_LOW = (
    "History and physical. Acute uncomplicated illness: dehydration from viral gastroenteritis, "
    "tolerating fluids. BMP reviewed. Oral rehydration, rest, fluids."
)
# Pyelonephritis with systemic symptoms -> problems moderate; urinalysis + urine culture + CBC
# ordered = 3 unique tests -> data moderate; start ceftriaxone -> risk moderate. MDM moderate.
INIT_MOD = (
    "History and physical. Pyelonephritis with fever and systemic symptoms. Urinalysis, urine culture "
    "and CBC ordered. Start ceftriaxone 1 g daily."
)
# Sepsis, threat to life -> problems high; 4 tests -> data moderate (category 1 only); admit to
# telemetry -> risk high. MDM = 2nd highest of (3, 2, 3) = high.
INIT_HIGH = (
    "History and physical. Sepsis from pneumonia, a threat to life. Blood cultures, lactate and "
    "procalcitonin ordered; chest x-ray reviewed. Admit to telemetry; vancomycin trough monitoring."
)
# Acute uncomplicated cystitis -> low; urinalysis -> minimal; supportive care -> low. MDM low.
SUB_LOW = (
    "Hospital day 2, progress note. Acute uncomplicated cystitis, improving. Urinalysis reviewed. "
    "Continue supportive care."
)
# Pneumonia -> problems moderate; CBC + BMP -> data limited; stop ceftriaxone / start cefpodoxime
# -> risk moderate. MDM moderate.
SUB_MOD = (
    "Progress note, hospital day 3. Community-acquired pneumonia, improving on antibiotics. "
    "CBC and BMP reviewed. Stop ceftriaxone; start cefpodoxime 200 mg twice daily."
)
# Acute respiratory failure -> problems high; 2 tests (no 3rd item) but independent interpretation
# and discussion with pulmonology = 2 categories -> data extensive; escalation to ICU -> risk high.
SUB_HIGH = (
    "Progress note, hospital day 4. Acute respiratory failure with hypoxia, worsening overnight. "
    "Chest x-ray and ABG reviewed; my interpretation of the chest x-ray: new left lower lobe opacity. "
    "Discussed with Dr. Kim (pulmonology). Escalation of care: transfer to the ICU."
)


def levels(a):
    return {e.element: e.label for e in a.elements}


@pytest.mark.parametrize(
    ("note", "family", "elements", "code"),
    [
        (INIT_LOW, "hospital_initial", {"problems": "low", "data": "minimal", "risk": "low"}, "99221"),
        (
            INIT_MOD,
            "hospital_initial",
            {"problems": "moderate", "data": "moderate", "risk": "moderate"},
            "99222",
        ),
        (INIT_HIGH, "hospital_initial", {"problems": "high", "data": "moderate", "risk": "high"}, "99223"),
        (SUB_LOW, "hospital_subsequent", {"problems": "low", "data": "minimal", "risk": "low"}, "99231"),
        (
            SUB_MOD,
            "hospital_subsequent",
            {"problems": "moderate", "data": "limited", "risk": "moderate"},
            "99232",
        ),
        (SUB_HIGH, "hospital_subsequent", {"problems": "high", "data": "extensive", "risk": "high"}, "99233"),
    ],
)
def test_hospital_by_mdm(note, family, elements, code):
    a = assess_em(note, facts=INPATIENT)
    # place from encounter_class=IMP, initial/subsequent from the note's "History and physical" /
    # "progress note" cue.
    assert a.family == family and a.family_source == "metadata+note"
    assert levels(a) == elements and a.supported_code == code and a.basis == "mdm"


@pytest.mark.parametrize(
    ("family_note", "minutes", "code"),
    [
        ("History and physical.", 39, None),
        ("History and physical.", 40, "99221"),
        ("History and physical.", 54, "99221"),
        ("History and physical.", 55, "99222"),
        ("History and physical.", 74, "99222"),
        ("History and physical.", 75, "99223"),
        ("Progress note.", 24, None),
        ("Progress note.", 25, "99231"),
        ("Progress note.", 34, "99231"),
        ("Progress note.", 35, "99232"),
        ("Progress note.", 49, "99232"),
        ("Progress note.", 50, "99233"),
    ],
)
def test_hospital_time_thresholds(family_note, minutes, code):
    a = assess_em(
        f"{family_note} Total time on the date of the encounter: {minutes} minutes.", facts=INPATIENT
    )
    assert a.minutes == minutes and a.time_code == code
    if code is not None:
        # The MDM is straightforward (-> 99221/99231), so time decides above the lowest code.
        assert a.supported_code == code


def test_time_beats_lower_mdm():
    a = assess_em(SUB_LOW + " Total time spent: 36 minutes.", facts=INPATIENT)
    assert (
        a.mdm_code == "99231" and a.time_code == "99232" and a.supported_code == "99232" and a.basis == "time"
    )


SAME_DAY = (
    "Observation status. Chest pain, acute uncomplicated; troponin reviewed. Admitted and discharged "
    "the same day. Total time on the date of service: {m} minutes."
)


@pytest.mark.parametrize(
    ("minutes", "code", "add_on"),
    [(44, "99234", None), (45, "99234", None), (70, "99235", None), (84, "99235", None),
     (85, "99236", None), (99, "99236", None), (100, "99236", ("99418", 1))],
)  # fmt: skip
def test_same_day_admit_and_discharge(minutes, code, add_on):
    # MDM: acute uncomplicated -> low problems, 1 test -> minimal, no risk -> straightforward -> 99234.
    a = assess_em(SAME_DAY.format(m=minutes), facts=EmFacts(encounter_class="OBSENC"))
    assert a.family == "hospital_same_day" and a.mdm_label == "straightforward"
    assert a.supported_code == code and [(x.code, x.units) for x in a.add_ons()] == (
        [add_on] if add_on else []
    )


@pytest.mark.parametrize(
    ("time_sentence", "minutes", "code"),
    [
        ("Time spent on discharge: 25 minutes.", 25, "99238"),
        ("Time spent on discharge: 30 minutes.", 30, "99238"),
        ("Time spent on discharge: 31 minutes.", 31, "99239"),
        ("Discharge day management took more than 30 minutes.", 31, "99239"),
        ("Discharged in stable condition.", None, "99238"),  # no time -> 99238
    ],
)
def test_discharge_by_time_only(time_sentence, minutes, code):
    a = assess_em(
        f"Discharge summary. Pneumonia resolved, discharged home. {time_sentence}",
        facts=EmFacts(setting="inpatient"),
    )
    assert a.family == "hospital_discharge" and a.family_source == "document+note"
    assert a.minutes == minutes and a.supported_code == code and a.basis == "time" and a.elements == ()


@pytest.mark.parametrize(
    ("note", "minutes", "payer", "add_on"),
    [
        ("History and physical.", 89, None, None),
        ("History and physical.", 90, None, ("99418", 1)),  # 99223 minimum 75 + 15
        ("History and physical.", 105, None, ("99418", 2)),
        ("History and physical.", 90, "MEDICARE", ("G0316", 1)),
        ("Progress note.", 64, None, None),
        ("Progress note.", 65, None, ("99418", 1)),  # 99233 minimum 50 + 15
        ("Progress note.", 80, "MEDICARE", ("G0316", 2)),
    ],
)
def test_inpatient_prolonged(note, minutes, payer, add_on):
    a = assess_em(
        f"{note} Total time spent: {minutes} minutes.", facts=EmFacts(encounter_class="IMP", payer=payer)
    )
    assert [(x.code, x.units) for x in a.add_ons()] == ([add_on] if add_on else [])


def test_billed_inpatient_code_above_supported_is_a_finding(enc):
    (f,) = check_em(enc(["N39.0"], [("99223",)], note_text=INIT_LOW, setting="inpatient"))
    assert f.rule_id == "EM.LEVEL_NOT_SUPPORTED" and f.severity is Severity.WARNING
    assert "supports 99221" in f.message and "MDM (2 of 3): low -> 99221" in f.message
    assert f.details["assessment"]["family"] == "hospital_initial"
    assert check_em(enc(["N39.0"], [("99221",)], note_text=INIT_LOW, setting="inpatient")) == []
    (under,) = check_em(enc(["A41.9"], [("99222",)], note_text=INIT_HIGH, setting="inpatient"))
    assert under.rule_id == "EM.LEVEL_BELOW_SUPPORTED" and "supports 99223" in under.message


def test_billed_discharge_and_prolonged_units_checked(enc):
    note = "Discharge summary. Time spent on discharge: 25 minutes."
    (f,) = check_em(enc(["J18.9"], [("99239",)], note_text=note, setting="inpatient"))
    assert f.rule_id == "EM.LEVEL_NOT_SUPPORTED" and "supports 99238" in f.message
    long = "Progress note. Total time spent: 70 minutes."  # 99233 + 99418 x1 (65-79 min)
    assert check_em(enc([], [("99233",), ("99418", (), 1)], note_text=long, setting="inpatient")) == []
    (addon,) = check_em(enc([], [("99233",), ("99418", (), 2)], note_text=long, setting="inpatient"))
    assert addon.rule_id == "EM.ADDON_NOT_SUPPORTED" and "supports 1 unit" in addon.message
