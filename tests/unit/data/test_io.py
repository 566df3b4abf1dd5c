"""JSONL / CSV / Parquet dataset files: round trips and errors that name the file and line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from medcoder.data.io import (
    document_from_dict,
    document_to_dict,
    read_documents,
    read_jsonl,
    write_documents,
    write_jsonl,
)
from medcoder.data.records import CodeLabel, CodeSystem, Document, Patient, Section, Setting, Sex, Span
from medcoder.errors import InputFormatError

TEXT = "Assessment: type 2 diabetes with CKD stage 3.\nPlan: metformin, señal ñ."


def _docs() -> list[Document]:
    full = Document(
        id="d1",
        text=TEXT,
        doc_type="progress_note",
        setting=Setting.OUTPATIENT,
        patient=Patient(age=67, sex=Sex.FEMALE),
        encounter_date=dt.date(2026, 3, 1),
        payer="medicare",
        sections=(Section("assessment", 0, 46), Section("plan", 47, len(TEXT))),
        source="ehr",
        source_id="enc-9",
        language="en",
        labels=(
            CodeLabel(CodeSystem.ICD10CM, "E11.22", (Span(12, 36), Span(37, 44, 0.75))),
            CodeLabel(CodeSystem.ICD10CM, "N18.30"),
            CodeLabel(CodeSystem.CPT, "99214"),
        ),
        hints=(CodeLabel(CodeSystem.ICD10CM, "E11.9"),),
    )
    bare = Document(id="d2", text="No labels here.")
    return [full, bare]


def test_dict_shape_matches_the_documented_jsonl_line() -> None:
    d = document_to_dict(_docs()[0])
    assert d["patient"] == {"age": 67, "sex": "F"}
    assert d["encounter_date"] == "2026-03-01"
    assert d["sections"][0] == {"name": "assessment", "start": 0, "end": 46}
    assert d["labels"][0] == {"system": "ICD-10-CM", "code": "E11.22", "spans": [[12, 36], [37, 44, 0.75]]}
    assert d["labels"][2] == {"system": "CPT", "code": "99214", "spans": []}
    assert d["hints"] == [{"system": "ICD-10-CM", "code": "E11.9", "spans": []}]


def test_minimal_dict_gets_record_defaults() -> None:
    doc = document_from_dict({"id": "x", "text": "hello"})
    assert doc == Document(id="x", text="hello")


def test_jsonl_round_trip(tmp_path: Path) -> None:
    docs = _docs()
    path = write_jsonl(docs, tmp_path / "docs.jsonl")
    assert read_jsonl(path) == docs
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert "señal" in first["text"]  # UTF-8 kept, not escaped


def test_csv_round_trip_keeps_codes_but_not_spans(tmp_path: Path) -> None:
    docs = _docs()
    back = read_documents(write_documents(docs, tmp_path / "docs.csv"))
    assert [d.id for d in back] == ["d1", "d2"]
    assert back[0].text == TEXT  # the newline inside the field survives
    assert back[0].patient == Patient(67, Sex.FEMALE)
    assert back[0].encounter_date == dt.date(2026, 3, 1)
    assert [(lab.system, lab.code, lab.spans) for lab in back[0].labels] == [
        (CodeSystem.ICD10CM, "E11.22", ()),
        (CodeSystem.ICD10CM, "N18.30", ()),
        (CodeSystem.CPT, "99214", ()),
    ]
    assert back[0].hints == (CodeLabel(CodeSystem.ICD10CM, "E11.9"),)
    assert back[1] == docs[1]


def test_parquet_round_trip(tmp_path: Path) -> None:
    docs = _docs()
    assert read_documents(write_documents(docs, tmp_path / "docs.parquet")) == docs


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"id": "a", "text": "x"})
    path = _write_lines(tmp_path / "bad.jsonl", [good, "", '{"id": "b", "text": '])
    with pytest.raises(InputFormatError) as err:
        read_jsonl(path)
    assert err.value.line == 3  # the blank line 2 still counts
    assert err.value.path == str(path)
    assert f"{path}:3: bad JSON" in str(err.value)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"text": "x"}, "missing required field 'id'"),
        ({"id": "a"}, "missing required field 'text'"),
        (
            {"id": "a", "text": "x", "labels": [{"system": "ICD-9-CM", "code": "250.00"}]},
            "unknown code system 'ICD-9-CM'",
        ),
        (
            {"id": "a", "text": "short", "labels": [{"system": "CPT", "code": "99213", "spans": [[2, 9]]}]},
            "beyond text of 5 chars",
        ),
        ({"id": "a", "text": "x", "setting": "hospital"}, "unknown setting 'hospital'"),
        ({"id": "a", "text": "x", "encounter_date": "03/01/2026"}, "not a YYYY-MM-DD date"),
        ({"id": "a", "text": "x", "patient": {"age": 200}}, "between 0 and 130"),
    ],
)
def test_invalid_record_names_the_problem(tmp_path: Path, record: dict, problem: str) -> None:
    path = _write_lines(
        tmp_path / "bad.jsonl", [json.dumps({"id": "ok", "text": "fine"}), json.dumps(record)]
    )
    with pytest.raises(InputFormatError, match=problem) as err:
        read_jsonl(path)
    assert err.value.line == 2


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    rec = json.dumps({"id": "a", "text": "x"})
    with pytest.raises(InputFormatError, match="duplicate document id 'a' \\(first on line 1\\)"):
        read_jsonl(_write_lines(tmp_path / "dup.jsonl", [rec, rec]))


def test_csv_error_names_the_physical_line_of_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,text,labels\n"
        'a,"two\nlines",ICD-10-CM:E11.9\n'  # one record over lines 2-3
        "b,plain,E11.9\n",  # line 4: label without a system
        encoding="utf-8",
    )
    with pytest.raises(InputFormatError, match="must look like SYSTEM:CODE") as err:
        read_documents(path)
    assert err.value.line == 4


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,body\na,x\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="lacks column\\(s\\) text"):
        read_documents(path)


def test_parquet_error_names_the_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["a", "b", None], "text": ["x", "y", "z"]}), path)
    with pytest.raises(InputFormatError, match="missing required field 'id'") as err:
        read_documents(path)
    assert err.value.line == 3


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="unsupported file type '.txt'"):
        read_documents(tmp_path / "notes.txt")


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,text\na,se\xf1al\n".encode("latin-1"))
    with pytest.raises(InputFormatError, match="not UTF-8") as err:
        read_documents(path)
    assert err.value.path == str(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x"}) + "\n", encoding="utf-8-sig")
    assert read_jsonl(path) == [Document(id="a", text="x")]
