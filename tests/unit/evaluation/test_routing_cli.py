"""The routing CLI registers `calibrate` and the `routing` group without importing heavy libraries."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from medcoder.evaluation.routing_cli import register


def test_commands_registered():
    root = typer.Typer()
    register(root)
    runner = CliRunner()
    res = runner.invoke(root, ["calibrate", "--help"])
    assert res.exit_code == 0 and "--cal" in res.output and "--out" in res.output
    res = runner.invoke(root, ["routing", "--help"])
    assert res.exit_code == 0 and "report" in res.output and "evidence" in res.output


def test_missing_model_dir_is_a_usage_error(tmp_path):
    root = typer.Typer()
    register(root)
    res = CliRunner().invoke(root, ["calibrate", "--model", str(tmp_path / "nope"), "--cal", "x.jsonl"])
    assert res.exit_code == 2 and "model" in res.output.lower()


def test_cli_module_top_level_has_no_heavy_imports():
    # everything before the first function: heavy libraries are imported inside commands only
    path = Path(sys.modules["medcoder.evaluation.routing_cli"].__file__)
    src = path.read_text(encoding="utf-8").split("\ndef ")[0]
    assert "import torch" not in src and "sklearn" not in src and "lightning" not in src
