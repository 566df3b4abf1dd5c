"""ICD-10-CM facts checked against the published April 2026 tabular list (not against our own output)."""

from __future__ import annotations

import pytest

from medcoder.terminology.icd10cm import CodeRange, UnknownCodeError, get_icd10cm, normalize_icd10cm


@pytest.fixture(scope="module")
def cm():
    return get_icd10cm()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" e1122 ", "E11.22"),
        ("E11.22", "E11.22"),
        ("e11.22", "E11.22"),
        ("E11", "E11"),
        ("e11.", "E11"),
        ("s72001a", "S72.001A"),
        ("Z3A", "Z3A"),
        ("E11A", "E11.A"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_icd10cm(raw) == expected


@pytest.mark.parametrize(
    "junk", ["", "   ", "E1", "11.22", "E1.122", "E11..2", "E11.22.1", "E11.2222222", "E11-E13", "ÉE11"]
)
def test_normalize_rejects_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        normalize_icd10cm(junk)


def test_version_and_source(cm) -> None:
    assert cm.version == "2026-04-01"
    assert "simple-icd-10-cm" in cm.source


def test_billable_flags(cm) -> None:
    assert cm.is_billable("E11.22") and cm.is_billable("e1122")
    assert not cm.is_billable("E11")
    assert cm.is_valid("E11") and cm.is_valid("E11.22")
    # chapters and blocks are not codes
    assert not cm.is_valid("E08-E13") and not cm.is_valid("4")
    assert not cm.is_valid("E11.99") and not cm.is_valid("hello")


def test_descriptions_and_hierarchy(cm) -> None:
    assert cm.description("E11.22") == "Type 2 diabetes mellitus with diabetic chronic kidney disease"
    assert cm.description("E11") == "Type 2 diabetes mellitus"
    assert cm.chapter("E11.22") == "4"  # Chapter 4: Endocrine, nutritional and metabolic diseases
    assert cm.description("4").startswith("Endocrine, nutritional and metabolic diseases")
    assert cm.block("E11.22") == "E08-E13"
    assert cm.category("e1122") == "E11"
    assert cm.ancestors("E11.22") == ["E11.2", "E11", "E08-E13", "4"]
    assert "E11.9" in cm.children("E11") and "E11.22" in cm.children("E11.2")
    assert cm.billable_descendants("E11.2") == ["E11.21", "E11.22", "E11.29"]
    assert cm.billable_descendants("E11.22") == []


def test_block_with_category_of_same_name(cm) -> None:
    # B99 is both a block (B99-B99) and a category; the code lookups mean the category.
    assert cm.is_valid("B99") and not cm.is_billable("B99")
    assert cm.billable_descendants("B99") == ["B99.8", "B99.9"]
    assert cm.is_billable("B20")  # HIV disease: a billable 3-character category


def test_unknown_codes_raise_keyerror(cm) -> None:
    with pytest.raises(KeyError, match="E99.9"):
        cm.description("E99.9")
    with pytest.raises(UnknownCodeError):
        cm.is_billable("not a code")
    with pytest.raises(KeyError, match="block"):
        cm.is_billable("E08-E13")


def test_excludes1_type1_vs_type2(cm) -> None:
    notes = cm.excludes1("E11")
    assert "type 1 diabetes mellitus (E10.-)" in notes
    ranges = cm.excludes1_ranges("E11")
    assert CodeRange("E10", "E10") in ranges
    assert any(r.contains("E10.9") for r in ranges)
    assert any(r.contains("O24.410") for r in ranges)  # gestational diabetes (O24.4-)
    # inherited by the billable child E11.22 from its category
    assert any(r.contains("E10.22") for r in cm.excludes1_ranges("E11.22"))
    assert cm.excludes1("E11.22", inherited=False) == []
    # the chapter 4 note "(P70-P74)" is inherited too
    assert any(r.contains("P72.1") for r in cm.excludes1_ranges("E11.22"))


def test_excludes2_and_use_additional(cm) -> None:
    assert "fracture of lower leg and ankle (S82.-)" in cm.excludes2("S72.001A")
    rng = cm.use_additional_ranges("E11.22")
    assert CodeRange("N18.1", "N18.6") in rng and CodeRange("Z79.4", "Z79.4") in rng


def test_inclusion_terms(cm) -> None:
    assert "Gestational diabetes mellitus NOS" in cm.inclusion_terms("O24.4")


def test_seventh_character(cm) -> None:
    assert cm.is_valid("S72.001A") and cm.is_billable("S72.001A")
    assert cm.seventh_characters("S72.001")["A"] == "initial encounter for closed fracture"
    assert cm.seventh_characters("S72.001A")["S"] == "sequela"
    assert cm.needs_seventh_character("S72.001") and not cm.is_billable("S72.001")
    assert not cm.needs_seventh_character("S72.001A")
    assert not cm.needs_seventh_character("E11.22") and cm.seventh_characters("E11.22") == {}
    # placeholder X: S02.0 (fracture of vault of skull) is coded S02.0XXA
    assert cm.is_valid("S02.0XXA") and cm.needs_seventh_character("S02.0")


def test_code_range_semantics() -> None:
    r = CodeRange("E08", "E13")
    assert r.contains("E08") and r.contains("e11.22") and r.contains("E13.9")
    assert not r.contains("E14") and not r.contains("E07.9") and not r.contains("junk")
    s = CodeRange.single("O24.4")
    assert s.contains("O24.410") and not s.contains("O24.3") and not s.contains("O24")
    assert str(r) == "E08-E13" and str(s) == "O24.4"
    with pytest.raises(ValueError):
        CodeRange("E13", "E08")


def test_billable_code_count(cm) -> None:
    codes = cm.billable_codes()
    # CMS/NCHS: the FY2026 ICD-10-CM code set has 74,719 codes (the April 2026 update added none)
    assert len(codes) == 74_719 == len(set(codes))
    assert "E11.22" in codes and "E11" not in codes and "C00-C96" not in codes
