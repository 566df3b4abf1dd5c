"""The realistic dev set: annotation validation, and the committed annotations are valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medcoder.data.realistic import AnnotationError, load_file, load_realistic, locate, sha256_text

from ...conftest import require_shared

TEXT = "ASSESSMENT:\nType 2 diabetes. Denies chest pain.\n"


def write(tmp_path: Path, ann: dict) -> Path:
    (tmp_path / "notes").mkdir(exist_ok=True)
    (tmp_path / "annotations").mkdir(exist_ok=True)
    (tmp_path / "notes" / "n1.txt").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "annotations" / "a.jsonl"
    path.write_text(json.dumps(ann) + "\n", encoding="utf-8")
    return path


def good() -> dict:
    return {
        "note_id": "n1", "source": "team", "text_sha256": sha256_text(TEXT), "note_type": "office_visit",
        "setting": "outpatient", "split": "dev", "coder": "t",
        "codes": [{"system": "ICD-10-CM", "code": "e11.9", "evidence": [locate(TEXT, "Type 2 diabetes")]}],
        "distractors": [{"kind": "negated", **locate(TEXT, "chest pain"), "code": "R07.9"}],
    }  # fmt: skip


def test_valid_annotation_loads(tmp_path: Path) -> None:
    (note,) = load_file(write(tmp_path, good()))
    assert note.codes[0].code == "E11.9" and note.codes[0].evidence[0].start == 12
    assert note.distractors[0].text == "chest pain"
    doc = note.document()
    assert doc.labels[0].spans[0].end == 27 and doc.setting.value == "outpatient"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a["codes"][0]["evidence"][0].update(text="type 2"), "annotation says 'type 2'"),
        (lambda a: a.update(split="test"), "split 'test'"),
        (lambda a: a.update(text_sha256="0" * 64), "text_sha256 does not match"),
        (lambda a: a["codes"][0].update(evidence=[]), "at least one evidence span"),
        (lambda a: a["distractors"][0].update(kind="maybe"), "kind 'maybe'"),
    ],
)
def test_invalid_annotation_names_note_and_field(tmp_path: Path, change, message: str) -> None:
    ann = good()
    change(ann)
    with pytest.raises(AnnotationError, match=message) as err:
        load_file(write(tmp_path, ann))
    assert "note n1" in str(err.value)


def test_committed_annotations_are_valid() -> None:
    require_shared("mtsamples")
    notes = load_realistic()
    assert len(notes) >= 40
    assert {n.split for n in notes} == {"dev", "holdout"}
