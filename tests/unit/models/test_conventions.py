"""Coding conventions on hand-built code lists (no model involved)."""

from __future__ import annotations

from medcoder.data.records import Span
from medcoder.models.conventions import (
    LONG_TERM_DRUG_PROBABILITY,
    CodePrediction,
    apply_conventions,
    hypertension_combinations,
    long_term_drug_codes,
    most_specific,
    symptoms_outside_assessment,
)
from medcoder.nlp.mentions import clauses
from medcoder.terminology.icd10cm import get_icd10cm


def c(code: str, p: float = 0.9, start: int = 0, end: int = 1) -> CodePrediction:
    return CodePrediction(code, p, (Span(start, end),), "test")


def test_hypertension_with_ckd_heart_failure_or_both() -> None:
    assert [x.code for x in hypertension_combinations([c("I10", 0.9), c("N18.31", 0.4)])] == [
        "I12.9",
        "N18.31",
    ]
    combined = hypertension_combinations([c("I10", 0.9), c("N18.31", 0.4)])[0]
    assert combined.probability == 0.4 and len(combined.spans) == 2  # the weaker part, both spans
    assert hypertension_combinations([c("I10"), c("N18.6")])[0].code == "I12.0"
    assert hypertension_combinations([c("I10"), c("I50.22")])[0].code == "I11.0"
    assert hypertension_combinations([c("I10"), c("I50.22"), c("N18.4")])[0].code == "I13.0"
    assert hypertension_combinations([c("I10"), c("I50.22"), c("N18.6")])[0].code == "I13.2"
    assert [x.code for x in hypertension_combinations([c("I10"), c("E78.5")])] == ["I10", "E78.5"]


def test_most_specific_code_of_a_category() -> None:
    cm = get_icd10cm()
    assert [x.code for x in most_specific([c("N18.9"), c("N18.31")], cm)] == ["N18.31"]
    assert [x.code for x in most_specific([c("E11.9"), c("E11.22")], cm)] == ["E11.22"]
    assert [x.code for x in most_specific([c("N18.9"), c("E78.5")], cm)] == ["N18.9", "E78.5"]


def test_long_term_drugs_only_from_current_use() -> None:
    text = "MEDICATIONS:\nMetformin 500 mg twice daily.\nWarfarin was discontinued last year.\nNo insulin."
    got = long_term_drug_codes(text, clauses(text))
    assert [(x.code, x.probability) for x in got] == [("Z79.84", LONG_TERM_DRUG_PROBABILITY)]
    assert text[got[0].spans[0].start : got[0].spans[0].end] == "Metformin"


def test_symptoms_outside_assessment_dropped_when_assessment_is_definitive() -> None:
    text = "HPI:\nMild fatigue.\nASSESSMENT:\nHypertension."
    parts = clauses(text)
    fat, htn = text.index("fatigue"), text.index("Hypertension")
    coded = [c("R53.83", 0.8, fat, fat + 7), c("I10", 0.9, htn, htn + 12)]
    assert [x.code for x in symptoms_outside_assessment(coded, parts)] == ["I10"]
    # without a definitive assessment diagnosis the symptom stays
    assert [x.code for x in symptoms_outside_assessment(coded[:1], parts)] == ["R53.83"]
    assert [x.code for x in apply_conventions(text, parts, coded)] == ["I10"]


def test_status_phrases_by_scope() -> None:
    from medcoder.models.conventions import status_codes

    text = (
        "SOCIAL HISTORY:\nFormer smoker, quit 20 years ago.\nALLERGIES:\nPenicillin (rash).\n"
        "FAMILY HISTORY:\nFather had an MI at 52. No family history of diabetes.\n"
        "HPI:\nOn 2 L home oxygen. Denies stroke."
    )
    got = {c.code for c in status_codes(text, clauses(text))}
    # history of tobacco, penicillin allergy status, family history of ischaemic heart disease, oxygen;
    # not Z83.3 (negated family history), not Z82.3 (the patient's own denied stroke)
    assert got == {"Z87.891", "Z88.0", "Z82.49", "Z99.81"}


def test_history_codes_table() -> None:
    from medcoder.terminology.abbreviations import history_code

    assert history_code("family", "C50.911") == "Z80.3"
    assert history_code("family", "I21.9") == "Z82.49"
    assert history_code("family", "I63.9") == "Z82.3"
    assert history_code("family", "F31.9") == "Z81.8" and history_code("family", "F10.20") == "Z81.1"
    assert history_code("personal", "C61") == "Z85.46"
    assert history_code("family", "R52") is None
    cm = get_icd10cm()
    from medcoder.terminology.abbreviations import history_codes

    for rows in history_codes().values():
        for _, z in rows:
            assert cm.is_billable(z), z


def test_family_history_and_past_malignancy() -> None:
    from medcoder.models.conventions import family_history_codes, past_malignancy_codes

    fam = family_history_codes([("C50.919", Span(10, 23)), ("I21.9", Span(30, 32)), ("I25.10", Span(40, 43))])
    assert [(x.code, len(x.spans)) for x in fam] == [("Z80.3", 1), ("Z82.49", 2)]
    text = "History of prostate cancer, no evidence of recurrence. Colon cancer on chemotherapy."
    parts = clauses(text)
    got = past_malignancy_codes(text, parts, [c("C61", 0.7, 11, 26), c("C18.9", 0.8, 55, 67)])
    assert [(x.code, x.probability) for x in got] == [("Z85.46", 0.7), ("C18.9", 0.8)]


def test_long_term_drugs_skip_short_courses_and_allergies() -> None:
    text = "PLAN\nPrednisone 40 mg daily x 5 days.\nDVT prophylaxis with heparin.\nWarfarin 5 mg daily.\n\nALLERGIES\nLisinopril (angioedema)."
    got = {x.code: x for x in long_term_drug_codes(text, clauses(text))}
    assert set(got) == {"Z79.01"}  # warfarin; not the prednisone burst, not the allergy list
    from medcoder.models.conventions import status_codes

    assert {x.code for x in status_codes(text, clauses(text))} == {"Z88.8"}


def test_acquired_absence_only_from_past_surgery() -> None:
    from medcoder.models.conventions import status_codes

    past = "She had a hysterectomy in the past. History of left mastectomy."
    assert {x.code for x in status_codes(past, clauses(past))} == {"Z90.710", "Z90.10"}
    today = "PROCEDURE: Total abdominal hysterectomy performed today without complication."
    assert status_codes(today, clauses(today)) == []
