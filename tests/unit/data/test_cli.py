"""The ``medcoder data`` commands, run through typer's test runner on a root with only this group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import require_shared
from medcoder.data.cli import register
from medcoder.data.io import read_documents, write_documents
from medcoder.data.records import CodeLabel, CodeSystem, Document

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:  # a callback keeps "data" as a named sub-command
        pass

    register(root)
    return root


def _corpus(tmp_path: Path) -> Path:
    docs = [
        Document(id="a", text="one two three", labels=(CodeLabel(CodeSystem.ICD10CM, "E11.9"),)),
        Document(
            id="b",
            text="four five",
            labels=(CodeLabel(CodeSystem.ICD10CM, "E11.9"), CodeLabel(CodeSystem.CPT, "99213")),
        ),
    ]
    return write_documents(docs, tmp_path / "in.jsonl")


def test_convert_jsonl_to_parquet_and_back(app, tmp_path: Path) -> None:
    src = _corpus(tmp_path)
    result = runner.invoke(app, ["data", "convert", str(src), str(tmp_path / "out.parquet")])
    assert result.exit_code == 0, result.output
    assert read_documents(tmp_path / "out.parquet") == read_documents(src)


def test_convert_reports_bad_line(app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{"id": "b"}\n', encoding="utf-8")
    result = runner.invoke(app, ["data", "convert", str(bad), str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert f"{bad}:2: missing required field 'text'" in result.output


def test_stats_json(app, tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "stats", str(_corpus(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)["splits"]["all"]
    assert stats["documents"] == 2 and stats["tokens"] == 5 and stats["labels"] == 3
    assert stats["system_labels"] == {"CPT": 1, "ICD-10-CM": 2}


@pytest.mark.slow  # loads the ICD-10-CM and ICD-10-PCS code sets for the mapping section
def test_card_codiesp(app, tmp_path: Path) -> None:
    require_shared("codiesp")
    result = runner.invoke(app, ["data", "card", "codiesp", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    card = (tmp_path / "codiesp.md").read_text(encoding="utf-8")
    assert "| documents | 500 | 250 | 250 |" in card
    assert "| train | 5,639 (1,767) | 1,550 (563) |" in card  # D rows (distinct codes) from the README
    assert "Distinct D codes: 2557, not in ICD-10-CM: 98." in card


def test_synth_writes_a_seeded_corpus(app, tmp_path: Path) -> None:
    out1, out2 = tmp_path / "s1.jsonl", tmp_path / "s2.jsonl"
    for out in (out1, out2):
        result = runner.invoke(app, ["data", "synth", "--n", "12", "--seed", "5", "--out", str(out)])
        assert result.exit_code == 0, result.output
    docs = read_documents(out1)
    assert len(docs) == 12 and len({d.id for d in docs}) == 12
    assert out1.read_bytes() == out2.read_bytes()  # same seed, same corpus


def test_card_synthetic_from_path(app, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["data", "card", "synthetic", "--path", str(_corpus(tmp_path)), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    card = (tmp_path / "synthetic.md").read_text(encoding="utf-8")
    assert "2 documents read from `in.jsonl`" in card and "## Known caveats" in card


def test_export_codiesp_spanish_keeps_spans(app, tmp_path: Path) -> None:
    require_shared("codiesp")
    result = runner.invoke(app, ["data", "export", "codiesp", str(tmp_path), "--language", "es"])
    assert result.exit_code == 0, result.output
    train = {d.id: d for d in read_documents(tmp_path / "train.jsonl")}
    assert len(train) == 500 and len(read_documents(tmp_path / "dev.jsonl")) == 250
    doc = train["S0004-06142005000700014-1"]
    (label,) = [lab for lab in doc.labels if lab.code == "N44.8"]
    assert [sp.text(doc.text) for sp in label.spans] == ["teste derecho aumentado de tamaño"]


def test_mimic_card_needs_root(app, tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "card", "mimiciv_icd10", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "--root" in result.output
