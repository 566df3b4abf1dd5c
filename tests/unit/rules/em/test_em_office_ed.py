"""Office/outpatient and ED leveling on hand-leveled notes, the README sample note, and the
prolonged-service add-ons 99417 (CPT) / G2212 (Medicare).

Tables (AMA): office new 99202-99205 = 15/30/45/60 min, established 99212-99215 = 10/20/30/40 min;
MDM straightforward/low/moderate/high -> 99202|99212 .. 99205|99215; ED 99282-99285 by MDM only.
99417: one unit per full 15 min past 60 (99205) or 40 (99215); G2212: first unit at 89 / 69 min,
then one per further 15 min.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.rules.em import EmFacts, assess_em
from medcoder.rules.em.explain import rationale

SAMPLE_NOTE = Path(__file__).parents[4] / "configs" / "demo" / "sample_note.txt"

# Acute uncomplicated pharyngitis -> problems low; 1 test (rapid strep) -> data minimal;
# OTC drug -> risk low; MDM = 2nd highest of (1, 0, 1) = low.
LOW = (
    "Established patient. Sore throat for two days: acute uncomplicated pharyngitis. "
    "Rapid strep test ordered and reviewed. Supportive care with OTC ibuprofen."
)
# 2 stable chronic illnesses (diabetes, hypertension) -> problems moderate; 1 result (A1c 7.2)
# -> data minimal; continue metformin = Rx drug management -> risk moderate; MDM moderate.
MODERATE = (
    "Follow-up of type 2 diabetes, stable. Hypertension, well controlled. A1c 7.2 today. "
    "Continue metformin and lisinopril."
)
# Severe COPD exacerbation -> problems high; chest x-ray + CBC + independent historian (3 items,
# category 1) and independent interpretation and discussion (3 categories) -> data extensive;
# decision to admit -> risk high; MDM high.
HIGH = (
    "Severe exacerbation of COPD with hypoxia. History obtained from the daughter. Ordered chest x-ray "
    "and CBC. My interpretation of the chest x-ray: hyperinflation, no infiltrate. Discussed "
    "management with Dr. Lee (pulmonology). Decision to admit to the hospital."
)


def levels(a):
    return {e.element: e.label for e in a.elements}


@pytest.mark.parametrize(
    ("note", "elements", "mdm", "code"),
    [
        (LOW, {"problems": "low", "data": "minimal", "risk": "low"}, "low", "99213"),
        (MODERATE, {"problems": "moderate", "data": "minimal", "risk": "moderate"}, "moderate", "99214"),
        (
            "Established patient. " + HIGH,
            {"problems": "high", "data": "extensive", "risk": "high"},
            "high",
            "99215",
        ),
    ],
)
def test_office_established_by_mdm(note, elements, mdm, code):
    a = assess_em(note, facts=EmFacts(encounter_class="AMB"))
    assert (
        a.family == "office_established" and a.family_source == "metadata+note"
    )  # "established patient"/"follow-up"
    assert levels(a) == elements and a.mdm_label == mdm
    assert a.supported_code == code and a.basis == "mdm" and a.minutes is None


@pytest.mark.parametrize(
    ("note", "code"), [(LOW, "99203"), (MODERATE, "99204"), (HIGH, "99205")]
)  # fmt: skip
def test_office_new_by_mdm_when_request_says_new(note, code):
    a = assess_em(note, facts=EmFacts(encounter_class="AMB", new_patient=True))
    assert a.family == "office_new" and a.family_source == "metadata"
    assert a.supported_code == code and a.basis == "mdm"


def test_readme_sample_note_is_moderate_99214():
    """A coder levels the sample note MDM moderate / 99214 (established)."""
    note = SAMPLE_NOTE.read_text(encoding="utf-8")
    a = assess_em(note, "99214")
    # 4 chronic illnesses addressed in the A/P (diabetes, CKD, hypertension, hyperlipidemia) ->
    # problems moderate; A1c and eGFR results + urine albumin/creatinine ratio ordered = 3 unique
    # tests -> data moderate; continue lisinopril/atorvastatin = Rx management -> risk moderate.
    assert levels(a) == {"problems": "moderate", "data": "moderate", "risk": "moderate"}
    assert a.mdm_label == "moderate" and a.mdm_code == "99214"
    # 32 minutes -> 99214 by time too (30-39); equal levels are reported as MDM.
    assert a.minutes == 32 and a.time_code == "99214" and a.supported_code == "99214" and a.basis == "mdm"
    unbilled = assess_em(note, facts=EmFacts(setting="outpatient"))
    assert unbilled.family == "office_established" and unbilled.supported_code == "99214"
    # Family history ("Father had coronary artery disease") is not a problem addressed.
    names = {e.kind for e in a.elements[0].evidence if e.kind.startswith("chronic:")}
    assert names == {"chronic:diabetes", "chronic:ckd", "chronic:hypertension", "chronic:hyperlipidemia"}


def test_rationale_quotes_the_note_with_offsets():
    a = assess_em(MODERATE, "99214")
    text = rationale(a)
    for part in ("problems: moderate", "data: minimal", "risk: moderate", "MDM (2 of 3): moderate -> 99214"):
        assert part in text
    start = MODERATE.index("Continue metformin")
    assert f"\u201cContinue metformin\u201d [{start}:{start + len('Continue metformin')}]" in text
    for el in a.elements:
        assert all(MODERATE[e.start : e.end] == e.text for e in el.evidence)


@pytest.mark.parametrize(
    ("billed", "minutes", "payer", "add_on"),
    [
        ("99205", 74, None, None),  # 14 min past 60: no full 15
        ("99205", 75, None, ("99417", 1)),  # 15 past 60
        ("99205", 90, None, ("99417", 2)),
        ("99215", 54, None, None),
        ("99215", 55, None, ("99417", 1)),
        ("99215", 70, None, ("99417", 2)),
        ("99205", 88, "MEDICARE", None),  # Medicare: first G2212 at 89
        ("99205", 89, "MEDICARE", ("G2212", 1)),
        ("99205", 104, "MEDICARE", ("G2212", 2)),
        ("99215", 68, "Medicare Part B", None),
        ("99215", 69, "Medicare Part B", ("G2212", 1)),
        ("99215", 84, "Medicare Part B", ("G2212", 2)),
        ("99215", 70, "MEDICAID", ("99417", 2)),  # Medicaid is not Medicare
    ],
)
def test_prolonged_office_units(billed, minutes, payer, add_on):
    note = f"Seasonal allergic rhinitis follow-up. Total time spent on the date of the encounter: {minutes} minutes."
    a = assess_em(note, billed, facts=EmFacts(payer=payer))
    assert a.supported_code == billed and a.basis == "time"
    assert [(ln.code, ln.units) for ln in a.add_ons()] == ([add_on] if add_on else [])


def test_prolonged_needs_the_top_code_by_time():
    # 99214 by time (30 min): no prolonged service however the MDM came out.
    a = assess_em("Total time spent: 39 minutes.", "99214")
    assert a.supported_code == "99214" and a.add_ons() == ()


# ED: problems low (acute uncomplicated), data minimal, risk low -> low -> 99283.
ED_LOW = "ED course: acute uncomplicated pharyngitis. Supportive care and OTC ibuprofen."
# ED: cellulitis -> problems moderate; CBC + BMP reviewed -> limited; start cephalexin -> moderate.
ED_MOD = "ED course: cellulitis of the left forearm. CBC and BMP reviewed. Start cephalexin 500 mg four times daily."


@pytest.mark.parametrize(
    ("note", "elements", "code"),
    [
        (ED_LOW, {"problems": "low", "data": "minimal", "risk": "low"}, "99283"),
        (ED_MOD, {"problems": "moderate", "data": "limited", "risk": "moderate"}, "99284"),
        (HIGH, {"problems": "high", "data": "extensive", "risk": "high"}, "99285"),
    ],
)
def test_ed_by_mdm_only(note, elements, code):
    a = assess_em(note + " Total time spent: 60 minutes.", facts=EmFacts(encounter_class="EMER"))
    assert a.family == "emergency" and a.family_source == "metadata"
    assert levels(a) == elements and a.supported_code == code and a.basis == "mdm"
    assert a.minutes is None  # ED is never levelled by time
