"""Consultations (office 99242-99245, inpatient 99252-99255) and critical care 99291/+99292.

Consults (AMA 2023): office MDM straightforward/low/moderate/high -> 99242/3/4/5, 20/30/40/55 min;
inpatient 99252/3/4/5, 35/45/60/80 min. Prolonged: 99417 with 99245 (from 70 min), 99418 with
99255 (from 95 min); Medicare pays no consult codes, so no add-on for Medicare.
Critical care: under 30 min is not critical care; 30-74 min 99291; 99292 by CPT's table at
75-104 min x1, 105-134 x2; by CMS only for full 30-min blocks after 74: x1 at 104, x2 at 134.
"""

from __future__ import annotations

import pytest

from medcoder.rules.em import EmFacts, assess_em, check_em
from medcoder.rules.findings import Severity

# Acute uncomplicated sinusitis -> problems low; no data; OTC rinses -> risk low. MDM low.
CONSULT_LOW = "Consultation requested by Dr. Shah for acute uncomplicated sinusitis. OTC saline rinses."
# Worsening GERD (chronic, progressing) -> problems moderate; CBC + lipase ordered -> limited;
# increase omeprazole -> Rx management, risk moderate. MDM moderate.
CONSULT_MOD = (
    "Consultation requested by Dr. Shah for worsening GERD. CBC and lipase ordered. "
    "Increase omeprazole to 40 mg twice daily."
)
# "A threat to life" -> problems high; CBC, BMP, TSH reviewed (3 tests, category 1) + independent
# ECG interpretation (category 2) = 2 categories -> data extensive; decision regarding major
# surgery with identified risk factors -> risk high. MDM high.
CONSULT_HIGH = (
    "Consultation requested by Dr. Shah. Uncontrolled atrial fibrillation, a threat to life with "
    "planned surgery. CBC, BMP and TSH reviewed; I independently interpreted the ECG: rapid AF. "
    "Decision regarding major surgery with identified risk factors: proceed after rate control."
)


def levels(a):
    return {e.element: e.label for e in a.elements}


@pytest.mark.parametrize(
    ("note", "elements", "office", "inpatient"),
    [
        (CONSULT_LOW, {"problems": "low", "data": "minimal", "risk": "low"}, "99243", "99253"),
        (CONSULT_MOD, {"problems": "moderate", "data": "limited", "risk": "moderate"}, "99244", "99254"),
        (CONSULT_HIGH, {"problems": "high", "data": "extensive", "risk": "high"}, "99245", "99255"),
    ],
)
def test_consults_by_mdm(note, elements, office, inpatient):
    out = assess_em(note, facts=EmFacts(encounter_class="AMB"))
    assert out.family == "consult_office" and out.family_source == "metadata+note"
    assert levels(out) == elements and out.supported_code == office and out.basis == "mdm"
    inp = assess_em(note, facts=EmFacts(place_of_service="21"))
    assert inp.family == "consult_inpatient" and inp.supported_code == inpatient
    assert any("Medicare does not pay consultation codes" in n for n in out.notes)


@pytest.mark.parametrize(
    ("pos", "minutes", "code", "add_on"),
    [
        ("11", 19, "99242", None),  # MDM straightforward -> 99242 anyway
        ("11", 30, "99243", None),
        ("11", 40, "99244", None),
        ("11", 54, "99244", None),
        ("11", 55, "99245", None),
        ("11", 70, "99245", ("99417", 1)),
        ("21", 44, "99252", None),
        ("21", 45, "99253", None),
        ("21", 60, "99254", None),
        ("21", 80, "99255", None),
        ("21", 94, "99255", None),
        ("21", 95, "99255", ("99418", 1)),
    ],
)
def test_consult_time(pos, minutes, code, add_on):
    note = f"Consultation requested by Dr. Shah. Total time spent: {minutes} minutes."
    a = assess_em(note, facts=EmFacts(place_of_service=pos))
    assert a.supported_code == code and [(x.code, x.units) for x in a.add_ons()] == (
        [add_on] if add_on else []
    )


def test_medicare_consult_has_no_add_on():
    a = assess_em(
        "Consultation requested by Dr. Shah. Total time spent: 70 minutes.",
        facts=EmFacts(encounter_class="AMB", payer="MEDICARE"),
    )
    assert a.supported_code == "99245" and a.add_ons() == ()
    assert any("Medicare has no prolonged-service code for 99245" in n for n in a.notes)


CC = "ED course: septic shock on norepinephrine. Critical care time: {m} minutes, exclusive of separately billable procedures."


@pytest.mark.parametrize(
    ("minutes", "payer", "lines"),
    [
        (30, None, [("99291", 1)]),
        (74, None, [("99291", 1)]),
        (75, None, [("99291", 1), ("99292", 1)]),  # CPT table: 75-104 -> one 99292
        (104, None, [("99291", 1), ("99292", 1)]),
        (105, None, [("99291", 1), ("99292", 2)]),
        (75, "MEDICARE", [("99291", 1)]),  # CMS: full 30 min after 74 needed
        (103, "MEDICARE", [("99291", 1)]),
        (104, "MEDICARE", [("99291", 1), ("99292", 1)]),
        (133, "MEDICARE", [("99291", 1), ("99292", 1)]),
        (134, "MEDICARE", [("99291", 1), ("99292", 2)]),
    ],
)
def test_critical_care_units(minutes, payer, lines):
    a = assess_em(CC.format(m=minutes), facts=EmFacts(encounter_class="EMER", payer=payer))
    assert a.family == "critical_care" and a.family_source == "metadata+note" and a.basis == "time"
    assert a.minutes == minutes and [(x.code, x.units) for x in a.lines] == lines


def test_critical_care_under_30_minutes_is_levelled_by_the_setting():
    a = assess_em(CC.format(m=29), facts=EmFacts(encounter_class="EMER"))
    # ED MDM: septic shock -> problems high, no data, no risk phrase -> straightforward -> 99282.
    assert a.family == "emergency" and a.fallback_from == "critical_care" and a.supported_code == "99282"
    assert "critical care time 29 min is under 30 min" in a.notes[0]
    inpatient = assess_em(
        "ICU progress note. Critical care time: 25 minutes. Total time spent: 36 minutes.",
        facts=EmFacts(encounter_class="IMP"),
    )
    # Levelled as a subsequent hospital visit, by its total time (35-49 min -> 99232).
    assert (
        inpatient.family == "hospital_subsequent"
        and inpatient.supported_code == "99232"
        and inpatient.basis == "time"
    )


def test_billed_critical_care_under_30_minutes_is_a_finding(enc):
    (f,) = check_em(enc(["R65.21"], [("99291",)], note_text=CC.format(m=25), setting="emergency"))
    assert f.rule_id == "EM.LEVEL_NOT_SUPPORTED" and f.severity is Severity.WARNING
    assert "supports 99282" in f.message and "under 30 min" in f.message
    (addon,) = check_em(
        enc([], [("99291",), ("99292", (), 1)], note_text=CC.format(m=74), setting="emergency")
    )
    assert addon.rule_id == "EM.ADDON_NOT_SUPPORTED" and addon.codes == ("99292",)
