"""CodeSets: one entry point over every system, with a user CPT file replacing the built-in set."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.data.records import CodeSystem
from medcoder.terminology.codesets import CodeSets


def test_validity_across_systems(tmp_path: Path) -> None:
    sets = CodeSets(hcpcs_path=tmp_path / "HCPC2025_OCT_ANWEB.csv")  # absent file: no HCPCS
    assert sets.is_valid(CodeSystem.ICD10CM, "E11.22") and not sets.is_valid("ICD-10-CM", "E11.99")
    assert sets.is_valid("ICD-10-PCS", "0DTJ4ZZ") and not sets.is_valid("ICD-10-PCS", "0DTJ")
    assert sets.is_valid("CPT", "99213")
    assert sets.hcpcs is None and not sets.is_valid("HCPCS", "J1100")
    assert sets.versions()["HCPCS"] == "not loaded"
    with pytest.raises(KeyError):
        sets.description("HCPCS", "J1100")
    with pytest.raises(ValueError):
        sets.is_valid("LOINC", "1234-5")


def test_user_cpt_file_replaces_builtin(tmp_path: Path) -> None:
    path = tmp_path / "cpt_licensed.csv"
    path.write_text("code,descriptor\n99213,Licensed descriptor\n", encoding="utf-8")
    sets = CodeSets(cpt_path=path)
    assert sets.description("CPT", "99213") == "Licensed descriptor"
    assert not sets.is_valid("CPT", "36415")  # only what the user's file holds
    assert sets.versions()["CPT"] == "cpt_licensed"
    assert sets.hcc("V24").version == "V24"
