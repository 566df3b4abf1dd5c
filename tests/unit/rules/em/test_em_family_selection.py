"""Family selection precedence: billed code > request metadata > document > note cues, and the
coding pipeline's ``_em`` step that passes them in."""

from __future__ import annotations

import pytest

from medcoder.coding.context import EncounterContext
from medcoder.coding.rules_step import _em
from medcoder.data.records import Document, Patient, Setting
from medcoder.rules.em import EmFacts, assess_em, choose_family

# A note whose cues say office + new patient + consult.
OFFICE_NOTE = "Office visit, new patient. Consultation requested by Dr. Shah for knee pain. Total time spent: 30 minutes."


def test_billed_code_beats_metadata_and_cues():
    a = assess_em(
        OFFICE_NOTE, "99223", facts=EmFacts(encounter_class="AMB", new_patient=True, setting="outpatient")
    )
    assert a.family == "hospital_initial" and a.family_source == "billed_code"
    assert a.family_decisions[0].detail == "billed 99223"


def test_metadata_beats_document_and_note():
    a = assess_em(OFFICE_NOTE, facts=EmFacts(encounter_class="EMER", setting="outpatient"))
    assert a.family == "emergency" and a.family_source == "metadata"
    # new_patient metadata beats the note's "established patient"
    b = assess_em(
        "Established patient. Total time spent: 30 minutes.",
        facts=EmFacts(place_of_service="11", new_patient=True),
    )
    assert b.family == "office_new" and b.family_source == "metadata" and b.supported_code == "99203"


def test_document_beats_note_cues():
    # Document says inpatient; the note's office cue is ignored, its consult cue is used.
    a = assess_em(OFFICE_NOTE, facts=EmFacts(setting="inpatient"))
    assert a.family == "consult_inpatient" and a.family_source == "document+note"
    # A strong doc_type beats the note's service cue.
    b = assess_em(
        "Progress note, hospital day 2.", facts=EmFacts(setting="inpatient", doc_type="discharge_summary")
    )
    assert b.family == "hospital_discharge" and b.family_source == "document"


def test_note_cues_alone():
    a = assess_em(OFFICE_NOTE)
    assert a.family == "consult_office" and a.family_source == "note"
    decisions = {d.aspect: d for d in a.family_decisions}
    assert decisions["place"].value == "office" and decisions["service"].value == "consult"
    ev = decisions["service"].evidence
    assert OFFICE_NOTE[ev.start : ev.end] == ev.text == "Consultation requested by"


@pytest.mark.parametrize(
    ("facts", "family"),
    [
        (EmFacts(place_of_service="12"), "home_established"),
        (EmFacts(place_of_service="31"), "nf_subsequent"),
        (EmFacts(place_of_service="23"), "emergency"),
        (EmFacts(place_of_service="21"), "hospital_subsequent"),
        (EmFacts(place_of_service="22"), "office_established"),
        (EmFacts(encounter_class="acute"), "hospital_subsequent"),  # case-insensitive
        (EmFacts(encounter_class="NF"), "nf_subsequent"),
    ],
)
def test_metadata_maps(facts, family):
    assert choose_family("Seen today.", facts=facts).family.name == family


def test_nothing_known_gives_no_family():
    choice = choose_family("Seen today for a cough.")
    assert choice.family is None and choice.source == "default"
    with pytest.raises(ValueError):
        assess_em("Seen today for a cough.")
    with pytest.raises(ValueError):
        assess_em("note", "93000")


def doc(text, **kw):
    return Document(id="em-1", text=text, **kw)


def test_pipeline_em_step_uses_context_metadata_and_quotes_the_note():
    note = "History and physical. Sepsis from pneumonia, a threat to life. Total time spent: 80 minutes."
    r = _em(doc(note, setting=Setting.UNKNOWN), EncounterContext(encounter_class="IMP"))
    assert r is not None and r.family == "hospital_initial" and r.family_source == "metadata+note"
    assert r.supported_code == "99223" and r.billed is None and r.basis == "time"
    assert [(ln.code, ln.units) for ln in r.lines] == [("99223", 1)]  # 80 < 90: no 99418
    problems = next(e for e in r.elements if e.element == "problems")
    assert problems.level == "high" and all(note[q.start : q.end] == q.text for q in problems.quotes)
    time = next(e for e in r.elements if e.element == "time")
    assert time.level == "80 min" and note[time.quotes[0].start : time.quotes[0].end] == time.quotes[0].text
    assert any(reason.startswith("place: hospital (metadata") for reason in r.family_reasons)


def test_pipeline_em_step_keeps_old_defaults():
    # An outpatient note without a billed code is still levelled as an established office visit,
    # an unknown-setting note without cues still gets no E/M result.
    r = _em(
        doc("Hypertension, stable. Continue lisinopril 10 mg.", setting=Setting.OUTPATIENT),
        EncounterContext(),
    )
    assert r is not None and r.family == "office_established" and r.family_source == "document"
    assert _em(doc("Cough for a week."), EncounterContext()) is None
    billed = _em(
        doc("Cough.", setting=Setting.EMERGENCY, patient=Patient(40)), EncounterContext(em_code="99285")
    )
    assert billed.family == "emergency" and billed.family_source == "billed_code" and billed.billed == "99285"
