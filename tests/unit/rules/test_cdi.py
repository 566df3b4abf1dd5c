"""CDI query drafts: unspecified codes with more specific siblings, BMI without weight diagnosis."""

from __future__ import annotations

from medcoder.rules.cdi import cdi_queries, check_cdi


def q_by_code(enc_obj):
    return {q.code: q for q in cdi_queries(enc_obj)}


def test_axes_from_tabular_siblings(enc):
    qs = q_by_code(enc(["I50.9", "M17.10", "N18.9", "S72.009A", "H66.90"]))
    assert qs["I50.9"].axis == "type"  # I50.2 systolic, I50.3 diastolic, I50.4 combined
    assert qs["M17.10"].axis == "laterality"  # M17.11 right knee, M17.12 left knee
    assert qs["N18.9"].axis == "stage"  # N18.1 ... N18.6
    assert qs["S72.009A"].axis == "laterality"  # S72.001A right / S72.002A left, same 7th character
    assert (
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
        in qs["S72.009A"].options
    )
    assert qs["H66.90"].options[:3] == (
        "Otitis media, unspecified, right ear",
        "Otitis media, unspecified, left ear",
        "Otitis media, unspecified, bilateral",
    )


def test_query_is_non_leading_with_other_and_undetermined(enc):
    (q,) = cdi_queries(enc(["N18.9"], note_text="Known CKD. Chronic kidney disease noted on labs."))
    assert q.options[-2:] == ("Other (please specify)", "Clinically undetermined")
    assert "Chronic kidney disease, stage 4 (severe)" in q.options
    assert q.evidence == "Chronic kidney disease" and q.evidence_span == (11, 33)
    for word in ("payment", "reimburse", "should", "recommend"):
        assert word not in q.text.lower()


def test_specified_code_has_no_query(enc):
    assert cdi_queries(enc(["I50.22", "M17.11", "N18.4", "E11.9"])) == []


def test_bmi_query(enc):
    (q,) = cdi_queries(enc(["Z68.41"], note_text="Weight 260 lb, BMI 41.2."))
    assert q.axis == "weight diagnosis" and q.evidence == "BMI 41.2"
    assert "Morbid (severe) obesity due to excess calories" in q.options and "Underweight" in q.options
    assert cdi_queries(enc(["E66.01", "Z68.41"])) == []
    (f,) = check_cdi(enc(["Z68.41"]))
    assert f.rule_id == "CDI.QUERY.WEIGHT_DIAGNOSIS" and f.details["query"]["text"].startswith(
        "Clinical documentation query"
    )
