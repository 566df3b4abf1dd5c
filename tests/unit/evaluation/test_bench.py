"""The CodiEsp benchmark end to end on a small slice of the real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.evaluation.bench import BenchConfig, parse_models, run_bench
from medcoder.evaluation.report import markdown_report, write_reports
from medcoder.models.config import TINY_CONFIG


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="task"):
        BenchConfig(task="X")
    with pytest.raises(ValueError, match="unknown model"):
        BenchConfig(models=("tfidf_lr", "bert"))
    assert parse_models(" tfidf_lr, dict,tfidf_lr ") == ("tfidf_lr", "dict")


def test_neural_variants_need_their_own_config(tmp_path: Path) -> None:
    from medcoder.evaluation.bench import build_model, neural_arch

    assert [neural_arch(n) for n in ("laat", "plm_icd-ft", "laat-wide", "dict", "bert-x")] == [
        "laat", "plm_icd", "laat", None, None
    ]  # fmt: skip
    with pytest.raises(ValueError, match="variant"):
        BenchConfig(models=("laat-wide",), config_dir=tmp_path)
    (tmp_path / "codiesp_laat-wide.yaml").write_text("model: laat\nlaat: {hidden: 32}\n")
    cfg = BenchConfig(models=("laat-wide",), config_dir=tmp_path, max_minutes=3)
    coder = build_model("laat-wide", cfg)
    assert coder.config.model == "laat" and coder.config.laat.hidden == 32
    assert coder.config.optim.max_minutes == 3 and coder.config.labels.systems == ["ICD-10-CM"]


def test_mention_prefix_trains_the_same_architecture_on_sentences(tmp_path: Path) -> None:
    from medcoder.evaluation.bench import build_model, neural_arch
    from medcoder.training.mention_coder import MentionNeuralCoder

    names = ("mention_plm_icd", "mention_laat-wide", "mention_lr", "mention_knn")
    assert [neural_arch(n) for n in names] == ["plm_icd", "laat", None, None]
    (tmp_path / "codiesp_mention_laat-wide.yaml").write_text("model: laat\nlaat: {hidden: 32}\n")
    cfg = BenchConfig(models=("mention_laat", "mention_laat-wide"), config_dir=tmp_path)
    coder = build_model("mention_laat-wide", cfg)
    assert isinstance(coder, MentionNeuralCoder) and coder.name == "mention_laat"
    assert coder.coder.config.laat.hidden == 32 and coder.coder.config.labels.systems == ["ICD-10-CM"]
    with pytest.raises(ValueError, match="mention_plm_icd-X"):
        BenchConfig(models=("mention_bert",), config_dir=tmp_path)


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
    tiny = TINY_CONFIG
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


def test_saved_runs_round_trip_and_reject_bad_files(tmp_path: Path) -> None:
    import numpy as np

    from medcoder.evaluation.bench import ModelRun, load_run, save_run

    run = ModelRun(
        name="knn",
        label_keys=("ICD-10-CM:I10", "ICD-10-CM:E11.9"),
        dev_scores=np.array([[0.1, 0.9]], dtype=np.float32),
        test_scores=np.array([[0.3, 0.2], [0.0, 1.0]], dtype=np.float32),
        train_seconds=2.5,
        fit_stats={"k": 10.0},
        created="2026-11-28T09:00:00+00:00",
    )
    save_run(run, tmp_path)
    back = load_run(tmp_path, "knn")
    assert back.label_keys == run.label_keys and back.fit_stats == {"k": 10.0}
    assert back.created == run.created and back.train_seconds == 2.5
    np.testing.assert_array_equal(back.test_scores, run.test_scores)
    with pytest.raises(FileNotFoundError, match="laat"):
        load_run(tmp_path, "laat")
    np.savez_compressed(tmp_path / "knn.npz", dev=np.zeros((1, 3)), test=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2 labels"):
        load_run(tmp_path, "knn")
    with pytest.raises(ValueError, match="runs_dir"):
        BenchConfig(reuse_runs=True)
    from medcoder.evaluation.bench import check_run_rows

    docs = {"dev": [object()], "test": [object(), object()]}
    check_run_rows(run, docs, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scores 2 test documents, this run has 3"):
        check_run_rows(run, {**docs, "test": [object()] * 3}, tmp_path)  # type: ignore[arg-type]


def test_ensemble_run_weights_come_from_dev() -> None:
    import numpy as np

    from medcoder.data.records import CodeLabel, CodeSystem, Document
    from medcoder.evaluation.bench import ModelRun, ensemble_run

    cm = CodeSystem.ICD10CM
    dev = [
        Document(id="d1", text="x", labels=(CodeLabel(cm, "I10"),)),
        Document(id="d2", text="y", labels=(CodeLabel(cm, "E11.9"),)),
    ]
    keys = ("ICD-10-CM:I10", "ICD-10-CM:E11.9")
    right = np.array([[0.9, 0.1], [0.2, 0.8]], dtype=np.float32)
    wrong = right[:, ::-1].copy()
    runs = [
        ModelRun(name="a", label_keys=keys, dev_scores=wrong, test_scores=wrong, train_seconds=1.0),
        ModelRun(name="b", label_keys=keys[::-1], dev_scores=right[:, ::-1], test_scores=right[:, ::-1],
                 train_seconds=2.0, peak_rss_mb=5.0),
    ]  # fmt: skip
    out = ensemble_run(runs, dev, BenchConfig(ensemble_steps=4))
    assert out.fit_stats["dev_map"] == 1.0 and out.fit_stats["weight_b"] > out.fit_stats["weight_a"]
    assert out.label_keys == keys  # union space in the first member's order
    assert (out.dev_scores.argmax(axis=1) == [0, 1]).all()
    assert out.train_seconds == 3.0 and out.peak_rss_mb == 5.0


@pytest.mark.slow
def test_bench_ensemble_and_reuse_on_a_slice(tmp_path: Path) -> None:
    root = require_shared("codiesp")
    common = dict(task="D", models=("tfidf_lr", "knn", "ensemble"), root=root, isolate=False, limit_docs=40)
    first = run_bench(BenchConfig(**common, runs_dir=tmp_path))
    ens = first["models"]["ensemble"]
    assert "error" not in ens
    members = [first["models"][m]["dev"]["map_official"] for m in ("tfidf_lr", "knn")]
    # the grid includes each member alone (weight 1), so the chosen fusion is at least as good on dev
    assert ens["dev"]["map_official"] >= max(members) - 1e-9
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "knn.json",
        "knn.npz",
        "tfidf_lr.json",
        "tfidf_lr.npz",
    ]
    again = run_bench(BenchConfig(**common, runs_dir=tmp_path, reuse_runs=True))
    for m in ("tfidf_lr", "knn", "ensemble"):
        assert again["models"][m]["test"]["map_official"] == first["models"][m]["test"]["map_official"]
    assert again["models"]["knn"]["created"] == first["models"]["knn"]["created"]


def test_cli_rejects_unknown_models_with_a_usage_error() -> None:
    from typer.testing import CliRunner

    from medcoder.cli import app

    result = CliRunner().invoke(app, ["bench", "codiesp", "--task", "D", "--models", "bert"])
    assert result.exit_code == 2
    assert "unknown model(s) ['bert']" in result.output
