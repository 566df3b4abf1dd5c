"""Execute the notebooks in notebooks/ on a tiny synthetic corpus and a tiny trained model.

One module-scoped workspace in a temp dir stands in for the DVC outputs: ``data/synthetic``
splits, a model directory trained with the packaged tiny config (``medcoder.models.config.TINY_CONFIG``) and an MLflow SQLite
store. Each notebook is pointed at it through its ``MEDCODER_NB_*`` parameters.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from medcoder.models.config import TINY_CONFIG

sys.path.insert(0, str(Path(__file__).parent))
from nbrun import execute_notebook, probe  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
TINY = TINY_CONFIG
FRACTIONS = {"train": 0.7, "dev": 0.1, "cal": 0.1, "test": 0.1}
EXPERIMENT = "nb-test"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Workspace:
    data: Path
    model: Path
    mlflow: Path
    out: Path
    splits: dict


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from medcoder.data.io import write_jsonl
    from medcoder.data.splits import split_documents
    from medcoder.data.synth import generate_corpus
    from medcoder.models.config import load_config
    from medcoder.training.pipeline import train_model

    root = tmp_path_factory.mktemp("nb")
    data = root / "data" / "synthetic"
    data.mkdir(parents=True)
    splits = split_documents(generate_corpus(120, seed=0), FRACTIONS, seed=0)
    for name, docs in splits.items():
        write_jsonl(docs, data / f"{name}.jsonl")
    mlflow_dir = root / "mlflow"
    config = load_config(
        TINY,
        optim__max_epochs=3,
        tracking={"enabled": True, "dir": str(mlflow_dir), "experiment": EXPERIMENT},
    )
    result = train_model(config, splits["train"], splits["dev"], root / "model")
    assert result.tracking is not None
    return Workspace(data, result.model_dir, mlflow_dir, root / "executed", splits)


@pytest.fixture
def nb_env(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    workspace.out.mkdir(exist_ok=True)
    for key, value in {
        "MEDCODER_NB_DATA": workspace.data,
        "MEDCODER_NB_MODEL": workspace.model,
        "MEDCODER_NB_MLFLOW": workspace.mlflow,
        "MEDCODER_NB_OUT": workspace.out / "runs",
        "MEDCODER_NB_CONFIG": TINY,
        "MEDCODER_NB_EXPERIMENT": EXPERIMENT,
        "MEDCODER_NB_MAX_EPOCHS": 2,
        "MEDCODER_NB_METRICS": workspace.out / "absent-metrics.json",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }.items():
        monkeypatch.setenv(key, str(value))
    return workspace


def _icd_codes(doc) -> set[str]:
    return {c.code for c in doc.labels if c.system.value == "ICD-10-CM"}


def test_explore_dataset_runs_in_the_venv_kernel(nb_env: Workspace) -> None:
    before = set(REPO.glob("notebooks/*.ipynb"))
    run = execute_notebook(
        NOTEBOOKS / "01-explore-dataset.py",
        nb_env.out,
        probe(
            '{"exe": __import__("sys").executable, "sizes": {k: len(v) for k, v in splits.items()}, '
            '"top": top_codes["train docs"].tolist(), "n_codes": len(doc_counts)}'
        ),
        REPO,
    )
    # the kernel is this virtual environment's interpreter
    assert Path(run.probe["exe"]).resolve() == Path(sys.executable).resolve()
    assert run.probe["sizes"] == {k: len(v) for k, v in nb_env.splits.items()}
    # the top-codes table counts train documents per code, most frequent first
    counts = Counter(c for d in nb_env.splits["train"] for c in {(x.system.value, x.code) for x in d.labels})
    assert run.probe["n_codes"] == len(counts)
    assert run.probe["top"] == sorted(counts.values(), reverse=True)[:15]
    assert run.images >= 2  # codes-per-document histogram and the long-tail plot
    # the executed notebook goes to the temp dir, never next to the .py
    assert run.path.parent == nb_env.out
    assert set(REPO.glob("notebooks/*.ipynb")) == before


def test_train_and_compare_runs_from_mlflow(nb_env: Workspace) -> None:
    import mlflow

    run = execute_notebook(
        NOTEBOOKS / "02-train-and-compare-runs.py",
        nb_env.out,
        probe('{"rows": list(comparison.index), "best": best}'),
        REPO,
    )
    # both variants plus the workspace's own run are compared
    assert {"lr0.01-h32", "lr0.003-h16"} <= set(run.probe["rows"])
    assert len(run.probe["rows"]) == 3
    assert run.images >= 1
    # the runs really are in the MLflow store, with the variants' settings
    mlflow.set_tracking_uri(f"sqlite:///{nb_env.mlflow.resolve() / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=[EXPERIMENT])
    named = runs.set_index("tags.mlflow.runName")
    assert named.loc["lr0.01-h32", "params.optim.lr"] == "0.01"
    assert named.loc["lr0.003-h16", "params.laat.hidden"] == "16"
    assert named.loc["lr0.003-h16", "params.optim.max_epochs"] == "2"
    assert (nb_env.out / "runs" / "lr0.003-h16" / "weights.safetensors").exists()


def test_error_analysis_counts_add_up(nb_env: Workspace) -> None:
    run = execute_notebook(
        NOTEBOOKS / "03-error-analysis.py",
        nb_env.out,
        probe(
            '{"table": by_bucket.to_dict(), "pairs": len(pairs), "cat_ok": all('
            "icd.category(g) == icd.category(p) for g, p in pairs)}"
        ),
        REPO,
    )
    table = run.probe["table"]
    test_docs, train_docs = nb_env.splits["test"], nb_env.splits["train"]
    train_codes = set().union(*(_icd_codes(d) for d in train_docs))
    gold_total = sum(len(_icd_codes(d)) for d in test_docs)
    unseen_total = sum(len(_icd_codes(d) - train_codes) for d in test_docs)
    # every gold code of the test split lands in exactly one bucket
    assert sum(table["gold"].values()) == gold_total
    # codes never seen in train are outside the label space: only misses, never predicted
    assert table["gold"]["unseen"] == unseen_total
    assert table["misses"]["unseen"] == unseen_total
    assert table["true positives"]["unseen"] == 0
    assert table["false positives"]["unseen"] == 0
    assert run.probe["cat_ok"] is True
    assert "within-category confusions" in run.text
    assert run.images >= 1
