"""The shared docs/BENCHMARKS.md is only changed inside this task's block of '## CodiEsp'."""

from __future__ import annotations

from pathlib import Path

from medcoder.evaluation.report import markdown_table, update_benchmarks_md

OTHER = "# Benchmarks\n\n## Terminology\n\nsearch: 1 ms\n\n## Rules\n\nNCCI: 2 s\n"


def test_adds_section_then_replaces_block(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(OTHER)
    update_benchmarks_md(path, "D", "old D table")
    update_benchmarks_md(path, "P", "P table")
    update_benchmarks_md(path, "D", "new D table")
    text = path.read_text()
    assert text.startswith(OTHER.rstrip("\n"))  # other sections untouched
    assert text.count("## CodiEsp") == 1
    assert "old D table" not in text and text.count("new D table") == 1 and "P table" in text
    assert text.index("new D table") < text.index("P table")


def test_block_goes_inside_existing_section(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# B\n\n## CodiEsp\n\nintro\n\n## Rules\n\nx\n")
    update_benchmarks_md(path, "D", "table")
    text = path.read_text()
    assert text.index("intro") < text.index("table") < text.index("## Rules")


def test_markdown_table_ratio_and_failures() -> None:
    report = {
        "map_depth": 50,
        "models": {
            "tfidf_lr": {"test": {"map_official": 0.25}, "dev": {"map_official": 0.2}},
            "combo": {"test": {"map_official": 0.30}, "dev": {"map_official": 0.22}},
            "laat": {"error": "stopped after 60 s (time budget)"},
        },
    }
    lines = markdown_table(report).splitlines()
    assert lines[2].startswith("| tfidf_lr | 0.200 | 0.250 | - | 1.00 |")
    assert lines[3].startswith("| combo | 0.220 | 0.300 | - | 1.20 |")
    assert "laat (failed: stopped after 60 s (time budget))" in lines[4]


def test_run_notes_name_the_ensemble_weights_and_reused_runs() -> None:
    from medcoder.evaluation.report import markdown_report, run_notes

    report = {
        "task": "D",
        "system": "ICD-10-CM",
        "documents": {"train": 1, "dev": 1, "test": 1},
        "map_depth": 50,
        "models": {
            "knn": {"test": {"map_official": 0.2}, "reused": True, "created": "2026-11-28T09:00:00+00:00"},
            "laat": {"test": {"map_official": 0.1}, "reused": False, "created": "2026-11-28T09:30:00+00:00"},
            "ensemble": {
                "test": {"map_official": 0.3},
                "fit_stats": {"weight_knn": 0.25, "weight_laat": 0.75, "fusion_rrf": 1.0, "candidates": 66.0},
            },
        },
    }
    assert run_notes(report) == [
        "- knn: scores reused from the saved run computed at 2026-11-28T09:00:00+00:00.",
        "- ensemble: reciprocal-rank fusion of knn 0.25, laat 0.75 (chosen by dev MAP among 66 candidates); "
        "train s and docs/s add up the members.",
    ]
    assert "reciprocal-rank fusion" in markdown_report(report)
