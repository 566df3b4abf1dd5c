"""`medcoder codes ...` through typer's runner (JSON output parsed, facts from the tabular list)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medcoder.terminology.cli import app
from medcoder.terminology.codesets import code_set_versions

runner = CliRunner()


def test_show_json() -> None:
    res = runner.invoke(app, ["show", "e1122", "--format", "json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["code"] == "E11.22" and info["billable"] is True
    assert info["block"]["code"] == "E08-E13" and info["category"] == "E11"
    assert "E10" in info["excludes1_ranges"]
    assert info["version"] == "2026-04-01"


def test_show_seventh_character_and_other_systems() -> None:
    info = json.loads(runner.invoke(app, ["show", "S72.001", "-f", "json"]).output)
    assert (
        info["needs_seventh_character"]
        and info["seventh_characters"]["A"] == "initial encounter for closed fracture"
    )
    assert "S72.001A" in [c["code"] for c in info["children"]]
    pcs = json.loads(runner.invoke(app, ["show", "0DTJ4ZZ", "-f", "json"]).output)
    assert pcs["system"] == "ICD-10-PCS" and pcs["complete"] is True
    cpt = json.loads(runner.invoke(app, ["show", "99213", "-f", "json"]).output)
    assert cpt["system"] == "CPT"


def test_show_text_and_unknown() -> None:
    res = runner.invoke(app, ["show", "E11"])
    assert res.exit_code == 0 and "not billable" in res.output and "E11.9" in res.output
    res = runner.invoke(app, ["show", "QQQ"])
    assert res.exit_code == 1 and "QQQ" in res.output


def test_search_cpt_json() -> None:
    res = runner.invoke(app, ["search", "venipuncture", "--system", "CPT", "-k", "3", "-f", "json"])
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    assert hits[0]["code"] == "36415" and hits[0]["system"] == "CPT"
    assert runner.invoke(app, ["search", "x", "--system", "LOINC"]).exit_code == 1


def test_versions() -> None:
    v = code_set_versions()
    assert v["ICD-10-CM"] == "2026-04-01"
    assert v["ICD-10-PCS"] == "FY2025+FY2024"
    assert v["CPT"].startswith("medcoder-builtin")
    assert "V28" in v["CMS-HCC"]


def test_ambiguous_undotted_code_points_to_hcpcs() -> None:
    from conftest import require_shared

    require_shared("hcpcs", "HCPC2025_OCT_ANWEB.csv.gz")
    # J1100 is HCPCS dexamethasone 1 mg and, undotted, ICD-10-CM J11.00 (influenza with pneumonia)
    cm = json.loads(runner.invoke(app, ["show", "J1100", "-f", "json"]).output)
    assert cm["code"] == "J11.00" and cm["also_in"] == ["HCPCS"]
    hc = json.loads(runner.invoke(app, ["show", "J1100", "--system", "HCPCS", "-f", "json"]).output)
    assert hc["description"] == "Injection, dexamethasone sodium phosphate, 1 mg"


def test_build_index_then_search_with_it(tmp_path) -> None:
    res = runner.invoke(app, ["build-index", str(tmp_path / "idx"), "--system", "CPT"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["search", "chest x-ray two views", "--index", str(tmp_path / "idx"), "-s", "CPT",
                              "-k", "1", "-f", "json"])  # fmt: skip
    assert json.loads(res.output)[0]["code"] == "71046"
