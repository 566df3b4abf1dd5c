"""The engine end to end and the ``medcoder validate`` command on the example encounter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medcoder.errors import InputFormatError
from medcoder.rules import RuleSet, load_encounter, validate
from medcoder.rules.cli import register

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "configs" / "rules" / "example_encounter.json"
FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _cb() -> None:  # a callback keeps "validate" a sub-command, as in the real root app
        pass

    register(root)
    return root


def test_validate_example_encounter_findings():
    enc = load_encounter(EXAMPLE)
    fs = validate(enc, rules=RuleSet.default(example_packs=True))
    ids = [f.rule_id for f in fs]
    # Stated outcomes: E10.9 with E11.9 (Excludes1); 82306 without a covered vitamin D diagnosis;
    # BMI without weight diagnosis; 99215 billed but MDM moderate and 25 min support 99214;
    # prior HCC 37 not supported (only E11.9 -> HCC 38 now); CDI queries for I50.9 and Z68.41.
    for rid in (
        "ICD.EXCLUDES1",
        "MN.VITD-25OH",
        "ICD.BMI_WITHOUT_WEIGHT_DX",
        "EM.LEVEL_NOT_SUPPORTED",
        "HCC.RECAPTURE_GAP",
        "CDI.QUERY.TYPE",
        "CDI.QUERY.WEIGHT_DIAGNOSIS",
    ):
        assert rid in ids, rid
    sev = [f.severity.value for f in fs]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)  # errors first


def test_cli_json_with_fixture_ncci(app):
    res = CliRunner().invoke(
        app,
        [
            "validate",
            str(EXAMPLE),
            "--format",
            "json",
            "--example-packs",
            "--ptp",
            str(FIX / "ptp_practitioner_2026Q1.txt"),
            "--mue",
            str(FIX / "mue_practitioner_2026Q1.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["encounter"] == "example-office-visit-001"
    assert out["versions"]["ncci"] == "files" and out["versions"]["example-lcd-vitamin-d"] == "2026.1"
    assert {f["rule_id"] for f in out["findings"]} >= {"ICD.EXCLUDES1", "EM.LEVEL_NOT_SUPPORTED"}


def test_cli_table_and_strict_exit(app):
    res = CliRunner().invoke(app, ["validate", str(EXAMPLE), "--strict"])
    assert res.exit_code == 1 and "ICD.EXCLUDES1" in res.output


def test_cli_bad_input(app, tmp_path):
    bad = tmp_path / "enc.json"
    bad.write_text(json.dumps({"date_of_service": "2026-13-01"}))
    res = CliRunner().invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "date_of_service" in res.output
    with pytest.raises(InputFormatError, match="invalid JSON"):
        bad.write_text("{")
        load_encounter(bad)
