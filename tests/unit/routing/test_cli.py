"""The routing CLI registers `calibrate` and the `routing` group without importing heavy libraries."""

from __future__ import annotations

import sys

import typer
from typer.testing import CliRunner

from medcoder.routing.cli import register


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
    assert res.exit_code == 2 and "does not exist" in res.output.replace("\n", " ")


def test_cli_module_imports_no_torch():
    import importlib

    for name in [m for m in sys.modules if m == "medcoder.routing.cli"]:
        del sys.modules[name]
    importlib.import_module("medcoder.routing.cli")
    # torch may already be imported by other tests; the module itself only needs typer at top level
    src = open(sys.modules["medcoder.routing.cli"].__file__, encoding="utf-8").read().split("def ")[0]
    assert "import torch" not in src and "sklearn" not in src
