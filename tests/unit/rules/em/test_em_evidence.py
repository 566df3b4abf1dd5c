"""MDM evidence extraction for the items the AMA table names, and total-time statements."""

from __future__ import annotations

import pytest

from medcoder.rules.em.extract import data_evidence, problem_evidence, risk_evidence, total_time
from medcoder.rules.em.mdm import data_level, problems_level, risk_level


@pytest.mark.parametrize(
    ("sentence", "level"),
    [
        ("Start amoxicillin for otitis media.", "moderate"),  # prescription drug management
        ("Increase metformin; continue lisinopril.", "moderate"),
        ("Discontinue atorvastatin because of myalgias.", "moderate"),
        ("Decision for minor surgery without identified risk factors: shave biopsy.", "low"),
        ("Decision for minor surgery with identified risk factors given anticoagulation.", "moderate"),
        ("Decision regarding elective major surgery: laparoscopic cholecystectomy next month.", "moderate"),
        ("Decision regarding major surgery with identified risk factors: CABG.", "high"),
        ("Decision for emergency surgery: appendectomy tonight.", "high"),
        ("Decision to admit to telemetry.", "high"),
        ("Decision not to hospitalize: safe for discharge with close follow-up.", "high"),
        ("Escalation of care: transfer to the ICU.", "high"),
        ("Patient is DNR; de-escalation of care per family.", "high"),
        ("Vancomycin with intensive monitoring for toxicity, trough before the 4th dose.", "high"),
        ("Heparin drip per protocol.", "high"),
        ("No prescription changes today.", "minimal"),  # negated
        ("Rest, fluids and OTC acetaminophen.", "low"),
    ],
)
def test_risk_items(sentence, level):
    assert risk_level(risk_evidence(sentence)).label == level


def test_data_items_and_unique_tests():
    note = (
        "History obtained from the mother because the child is nonverbal. CBC and BMP reviewed; CBC repeated "
        "and reviewed again. I independently interpreted the ECG: sinus tachycardia. Discussed with "
        "Dr. Ruiz (nephrology)."
    )
    ev = data_evidence(note)
    kinds = [e.kind for e in ev]
    # CBC counted once; the interpreted ECG counts as an interpretation, not also as a reviewed
    # test (conservative: no review verb in its sentence) -> 2 unique tests.
    assert sorted(e.text.upper() for e in ev if e.kind == "test") == ["BMP", "CBC"]
    assert {"historian", "interpretation", "discussion"} <= set(kinds)
    # 2 tests + historian = 3 items (category 1), interpretation, discussion -> 3 categories -> extensive.
    assert data_level(ev).label == "extensive"
    assert all(note[e.start : e.end] == e.text for e in ev)


def test_test_results_count_as_reviewed():
    ev = data_evidence("A1c 8.1 today, eGFR of 52. Potassium normal.")
    assert [e.text for e in ev if e.kind == "test"] == ["A1c", "eGFR"]
    assert data_level(ev).label == "limited"  # 2 unique tests -> limited


def test_problem_scope_skips_history_and_relatives():
    note = (
        "PAST MEDICAL HISTORY:\nHypertension. Asthma.\nFAMILY HISTORY:\nFather had coronary artery disease.\n"
        "ASSESSMENT:\nAcute uncomplicated sinusitis.\nHistory of stroke, no residual deficits."
    )
    ev = problem_evidence(note)
    assert {e.kind for e in ev} == {"low"}  # sinusitis only; PMH, family history and "history of" skipped
    assert problems_level(ev).label == "low"
    no_ap = "PAST MEDICAL HISTORY:\nHypertension.\nPLAN:\nDiabetes, stable. Hyperlipidemia, at goal."
    names = {e.kind for e in problem_evidence(no_ap) if e.kind.startswith("chronic:")}
    assert names == {"chronic:diabetes", "chronic:hyperlipidemia"}
    assert problems_level(problem_evidence(no_ap)).label == "moderate"  # 2 chronic illnesses


def test_two_minor_problems_are_low():
    ev = problem_evidence("Insect bite on the ankle. Abrasion of the knee, self-limited.")
    assert problems_level(ev).label == "low"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Total time spent on the date of the encounter: 41 minutes.", 41),
        ("I spent 1 hour 10 minutes on the date of service.", 70),
        ("Total time: 1.5 hours.", 90),
        ("Spent more than 30 minutes on discharge planning.", 31),
        ("Symptoms for 20 minutes before arrival.", None),  # not a time statement
    ],
)
def test_total_time_statements(text, minutes):
    found, ev = total_time(text)
    assert found == minutes
    if ev is not None:
        assert text[ev.start : ev.end] == ev.text


def test_critical_care_time_is_read_separately():
    note = "Total time spent: 20 minutes. Critical care time: 45 minutes, exclusive of procedures."
    assert total_time(note)[0] == 20
    assert total_time(note, critical_care=True)[0] == 45
