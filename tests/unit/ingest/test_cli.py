"""`medcoder ingest` commands on files: dataset output and the rejection report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcoder.data.io import read_documents
from medcoder.ingest.cli import group

NOTE = (
    "Chief complaint: productive cough for three days.\n"
    "History of present illness: fever to 38.5 C, no chest pain, no recent travel or sick contacts.\n"
    "Assessment and plan: acute bronchitis; supportive care and return if worse.\n"
)


def test_dir_command_writes_dataset_and_report(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "note.txt").write_text(NOTE)
    (src / "broken.json").write_text("{")
    out, report = tmp_path / "docs.jsonl", tmp_path / "report.json"
    result = CliRunner().invoke(
        group, ["dir", str(src), "--out", str(out), "--report", str(report), "--include-held"]
    )
    assert result.exit_code == 0, result.output
    (doc,) = read_documents(out)
    assert doc.text == NOTE.strip() and doc.source == "text"
    assert [s.name for s in doc.sections] == [
        "chief_complaint",
        "history_of_present_illness",
        "assessment_and_plan",
    ]
    rep = json.loads(report.read_text())
    assert rep["summary"] == {"ready": 0, "held": 1, "rejected": 1}
    assert rep["rejected"][0]["reason"].startswith("malformed JSON")
    checks = {f["check"] for f in rep["held"][0]["findings"]}
    assert checks == {"status", "patient", "encounter"}  # a bare text file has no status/patient/encounter
    assert "cough" not in result.output  # counts and reasons only, never note text


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(group, ["ccda", str(tmp_path / "nope.xml")])
    assert result.exit_code != 0 and "not found" in result.output
