"""MIMIC-IV ICD-10 loader on a tiny made-up file in Edin et al.'s prepared layout (never real MIMIC)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medcoder.data.mimic import load_mimiciv_icd10, mimic_icd10cm
from medcoder.data.records import CodeLabel, CodeSystem, Setting
from medcoder.errors import InputFormatError


def _write_layout(folder: Path) -> Path:
    # Columns as written by prepare_data/prepare_mimiciv.py: diagnosis codes get a dot after the
    # third character (also "I10."), procedure codes stay undotted; target = icd10_proc + icd10_diag.
    data = pd.DataFrame(
        {
            "note_id": ["10000-DS-1", "10001-DS-7", "10002-DS-3"],
            "subject_id": [10000, 10001, 10002],
            "_id": [20000001, 20000002, 20000003],
            "text": ["patient admitted with sepsis", "chest pain ruled out", "hip fracture repaired"],
            "icd10_proc": [[], [], ["0QS604Z"]],
            "icd10_diag": [["A41.9", "I10.", "E11.22"], ["R07.9"], ["S72.001A", "W19.XXXA"]],
        }
    )
    data["target"] = data["icd10_proc"] + data["icd10_diag"]
    data["num_words"] = data["text"].str.count(" ") + 1
    data.to_feather(folder / "mimiciv_icd10.feather")
    pd.DataFrame({"_id": [20000001, 20000002, 20000003], "split": ["train", "val", "test"]}).to_feather(
        folder / "mimiciv_icd10_split.feather"
    )
    return folder


def test_loads_all_rows_with_dotted_codes(tmp_path: Path) -> None:
    docs = load_mimiciv_icd10(_write_layout(tmp_path))
    assert [d.id for d in docs] == ["20000001", "20000002", "20000003"]
    first = docs[0]
    assert first.source_id == "10000-DS-1" and first.setting == Setting.INPATIENT
    assert first.codes(CodeSystem.ICD10CM) == ["A41.9", "I10", "E11.22"]  # "I10." loses its dangling dot
    assert docs[2].labels == (
        CodeLabel(CodeSystem.ICD10CM, "S72.001A"),
        CodeLabel(CodeSystem.ICD10CM, "W19.XXXA"),
        CodeLabel(CodeSystem.ICD10PCS, "0QS604Z"),
    )


@pytest.mark.parametrize(
    ("split", "expected"),
    [("train", ["20000001"]), ("dev", ["20000002"]), ("val", ["20000002"]), ("test", ["20000003"])],
)
def test_split_file_selects_rows(tmp_path: Path, split: str, expected: list[str]) -> None:
    assert [d.id for d in load_mimiciv_icd10(_write_layout(tmp_path), split)] == expected


def test_target_only_file_tells_systems_apart_by_the_dot(tmp_path: Path) -> None:
    pd.DataFrame({"_id": [1], "text": ["x"], "target": [["0QS604Z", "S72.001A"]]}).to_parquet(
        tmp_path / "t.parquet"
    )
    (doc,) = load_mimiciv_icd10(tmp_path, data_filename="t.parquet")
    assert doc.labels == (
        CodeLabel(CodeSystem.ICD10PCS, "0QS604Z"),
        CodeLabel(CodeSystem.ICD10CM, "S72.001A"),
    )


def test_undotted_raw_mimic_codes_are_dotted() -> None:
    # MIMIC-IV hosp/diagnoses_icd stores ICD-10 codes without the dot.
    assert mimic_icd10cm("E1122") == "E11.22"
    assert mimic_icd10cm("S72001A") == "S72.001A"
    assert mimic_icd10cm("I10") == "I10"


def test_bad_code_names_the_row(tmp_path: Path) -> None:
    pd.DataFrame(
        {"_id": [1, 2], "text": ["a", "b"], "icd10_diag": [["E11.9"], ["E1.19"]], "icd10_proc": [[], []]}
    ).to_feather(tmp_path / "mimiciv_icd10.feather")
    with pytest.raises(InputFormatError, match="bad ICD-10-CM code 'E1.19'") as err:
        load_mimiciv_icd10(tmp_path)
    assert err.value.line == 2
