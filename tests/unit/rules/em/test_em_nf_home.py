"""Nursing facility (initial 99304-99306, subsequent 99307-99310, discharge 99315/99316) and home
or residence visits (new 99341/2/4/5, established 99347-99350).

Tables (AMA 2023): NF initial MDM straightforward-or-low/moderate/high, 25/35/45 min; NF
subsequent straightforward/low/moderate/high, 10/15/25/35 min; NF discharge 30 min or less
99315, more 99316. Home new straightforward/low/moderate/high, 15/30/60/75 min; established
20/30/40/60 min. Prolonged: 99418 with 99306 (from 60) / 99310 (from 50); 99417 with 99345
(from 90) / 99350 (from 75); Medicare G0317 at 95 / 85 and G0318 at 140 / 110 min.
"""

from __future__ import annotations

import pytest

from medcoder.rules.em import EmFacts, assess_em

NF = EmFacts(encounter_class="SNF")

# Low: acute uncomplicated cystitis -> low; urinalysis -> minimal data; OTC -> low risk. MDM low.
LOW = "Acute uncomplicated cystitis. Urinalysis reviewed. OTC cranberry and fluids."
# Moderate: 2 stable chronic illnesses -> moderate; BMP + CBC -> limited; continue furosemide
# -> moderate. MDM moderate.
MOD = "Heart failure, stable. Type 2 diabetes, well controlled. BMP and CBC reviewed. Continue furosemide 20 mg daily."
# High: severe exacerbation -> high; digoxin level (toxicity monitoring) -> high risk; BMP + digoxin
# level + history from nursing staff = 3 items -> data moderate. MDM = (3, 2, 3) -> high.
HIGH = (
    "Severe exacerbation of heart failure. History obtained from the nursing staff. BMP reviewed; "
    "digoxin level ordered. Monitoring for drug toxicity; DNR confirmed with the family."
)
# Straightforward: insect bite -> minimal; nothing else.
MINIMAL = "Insect bite on the forearm, reassurance."


def levels(a):
    return {e.element: e.label for e in a.elements}


@pytest.mark.parametrize(
    ("lead", "note", "elements", "code"),
    [
        (
            "Initial nursing facility visit.",
            LOW,
            {"problems": "low", "data": "minimal", "risk": "low"},
            "99304",
        ),
        (
            "Initial nursing facility visit.",
            MOD,
            {"problems": "moderate", "data": "limited", "risk": "moderate"},
            "99305",
        ),
        (
            "Initial nursing facility visit.",
            HIGH,
            {"problems": "high", "data": "moderate", "risk": "high"},
            "99306",
        ),
        (
            "Subsequent nursing facility visit.",
            MINIMAL,
            {"problems": "minimal", "data": "minimal", "risk": "minimal"},
            "99307",
        ),
        (
            "Subsequent nursing facility visit.",
            LOW,
            {"problems": "low", "data": "minimal", "risk": "low"},
            "99308",
        ),
        (
            "Subsequent nursing facility visit.",
            MOD,
            {"problems": "moderate", "data": "limited", "risk": "moderate"},
            "99309",
        ),
        (
            "Subsequent nursing facility visit.",
            HIGH,
            {"problems": "high", "data": "moderate", "risk": "high"},
            "99310",
        ),
    ],
)
def test_nursing_facility_by_mdm(lead, note, elements, code):
    a = assess_em(f"{lead} {note}", facts=NF)
    assert a.family_source == "metadata+note" and a.family.startswith("nf_")
    assert levels(a) == elements and a.supported_code == code and a.basis == "mdm"


@pytest.mark.parametrize(
    ("lead", "minutes", "code", "payer", "add_on"),
    [
        ("Initial nursing facility visit.", 24, "99304", None, None),  # below 25: MDM 99304 still
        ("Initial nursing facility visit.", 35, "99305", None, None),
        ("Initial nursing facility visit.", 45, "99306", None, None),
        ("Initial nursing facility visit.", 60, "99306", None, ("99418", 1)),
        ("Initial nursing facility visit.", 95, "99306", "MEDICARE", ("G0317", 1)),
        ("Subsequent nursing facility visit.", 14, "99307", None, None),
        ("Subsequent nursing facility visit.", 15, "99308", None, None),
        ("Subsequent nursing facility visit.", 25, "99309", None, None),
        ("Subsequent nursing facility visit.", 35, "99310", None, None),
        ("Subsequent nursing facility visit.", 49, "99310", None, None),
        ("Subsequent nursing facility visit.", 50, "99310", None, ("99418", 1)),
        ("Subsequent nursing facility visit.", 84, "99310", "MEDICARE", None),
        ("Subsequent nursing facility visit.", 85, "99310", "MEDICARE", ("G0317", 1)),
    ],
)
def test_nursing_facility_time(lead, minutes, code, payer, add_on):
    a = assess_em(
        f"{lead} {MINIMAL} Total time spent: {minutes} minutes.",
        facts=EmFacts(encounter_class="NF", payer=payer),
    )
    assert a.supported_code == code and [(x.code, x.units) for x in a.add_ons()] == (
        [add_on] if add_on else []
    )


@pytest.mark.parametrize(
    ("sentence", "code"),
    [("Total time spent: 30 minutes.", "99315"), ("Total time spent: 31 minutes.", "99316"), ("", "99315")],
)
def test_nursing_facility_discharge(sentence, code):
    a = assess_em(f"Discharged home from the skilled nursing facility. {sentence}")
    # place and service both from note cues ("skilled nursing", "discharged home").
    assert a.family == "nf_discharge" and a.family_source == "note" and a.supported_code == code


@pytest.mark.parametrize(
    ("note", "new", "est"),
    [
        (LOW, "99342", "99348"),
        (MOD, "99344", "99349"),
        (HIGH, "99345", "99350"),
    ],
)
def test_home_by_mdm(note, new, est):
    a = assess_em(f"Home visit, new patient. {note}")
    assert a.family == "home_new" and a.family_source == "note" and a.supported_code == new
    b = assess_em(note, facts=EmFacts(place_of_service="12", new_patient=False))
    assert b.family == "home_established" and b.family_source == "metadata" and b.supported_code == est


@pytest.mark.parametrize(
    ("new", "minutes", "payer", "code", "add_on"),
    [
        (True, 14, None, "99341", None),
        (True, 30, None, "99342", None),
        (True, 59, None, "99342", None),
        (True, 60, None, "99344", None),
        (True, 75, None, "99345", None),
        (True, 90, None, "99345", ("99417", 1)),  # 99345 minimum 75 + 15
        (True, 139, "MEDICARE", "99345", None),
        (True, 140, "MEDICARE", "99345", ("G0318", 1)),
        (False, 20, None, "99347", None),
        (False, 30, None, "99348", None),
        (False, 40, None, "99349", None),
        (False, 60, None, "99350", None),
        (False, 75, None, "99350", ("99417", 1)),  # 99350 minimum 60 + 15
        (False, 110, "MEDICARE", "99350", ("G0318", 1)),
    ],
)
def test_home_time(new, minutes, payer, code, add_on):
    a = assess_em(
        f"{MINIMAL} Total time spent: {minutes} minutes.",
        facts=EmFacts(encounter_class="HH", new_patient=new, payer=payer),
    )
    assert a.supported_code == code and [(x.code, x.units) for x in a.add_ons()] == (
        [add_on] if add_on else []
    )
