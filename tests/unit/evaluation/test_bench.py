"""The CodiEsp benchmark end to end on a small slice of the real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.evaluation.bench import BenchConfig, parse_models, run_bench
from medcoder.evaluation.report import markdown_report, write_reports


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="task"):
        BenchConfig(task="X")
    with pytest.raises(ValueError, match="unknown model"):
        BenchConfig(models=("tfidf_lr", "bert"))
    assert parse_models(" tfidf_lr, dict,tfidf_lr ") == ("tfidf_lr", "dict")


@pytest.mark.slow
def test_bench_on_a_slice(tmp_path: Path) -> None:
    root = require_shared("codiesp")
    cfg = BenchConfig(task="D", models=("most_frequent", "tfidf_lr"), root=root, isolate=False, limit_docs=40)
    report = run_bench(cfg)
    assert report["documents"] == {"train": 40, "dev": 40, "test": 40}
    mf, lr = report["models"]["most_frequent"], report["models"]["tfidf_lr"]
    for res in (mf, lr):
        for split in ("dev", "test"):
            fig = res[split]
            # every document has D codes and predictions: both denominators are the same 40 documents
            assert fig["map_all_gold"] == pytest.approx(fig["map_official"])
            assert 0.0 < fig["map_official"] <= 1.0
            assert fig["map_predicted_docs"] == 40 and fig["map_gold_docs"] == 40
        # a coder trained on train codes can never find a code unseen in train
        assert res["test"]["unseen_recall_at_threshold"] == 0.0
        assert res["test"]["unseen_gold_pairs"] > 0
        assert 0.0 <= res["thresholds"]["global"] <= 1.0
    # the most-frequent baseline gives every document the same ranking
    assert mf["n_labels"] == lr["n_labels"]
    json_path, md_path = write_reports({**report, "command": "test", "machine": "m", "date": "d"}, tmp_path)
    assert json.loads(json_path.read_text())["task"] == "D"
    assert "| tfidf_lr |" in md_path.read_text() and "| most_frequent |" in markdown_report(report)


@pytest.mark.slow
def test_bench_runs_a_neural_coder_from_the_training_factory(tmp_path: Path) -> None:
    root = require_shared("codiesp")
    tiny = Path(__file__).resolve().parents[3] / "configs" / "model" / "laat_tiny.yaml"
    (tmp_path / "codiesp_laat.yaml").write_text(tiny.read_text().replace("max_epochs: 10", "max_epochs: 1"))
    cfg = BenchConfig(
        task="D",
        models=("laat",),
        root=root,
        isolate=False,
        limit_docs=12,
        config_dir=tmp_path,
        max_minutes=2,
    )
    report = run_bench(cfg)
    res = report["models"]["laat"]
    assert "error" not in res
    assert 0.0 <= res["test"]["map_official"] <= 1.0
    assert res["train_seconds"] > 0 and res["inference_docs_per_s"] > 0
