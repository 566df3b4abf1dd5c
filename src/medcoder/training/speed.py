"""Throughput of the neural coders next to the TF-IDF baseline, in one run on one machine.

``python -m medcoder.training.speed --n-train 300 --n-dev 100`` trains each model for a fixed
number of epochs on the synthetic corpus and prints training documents/s (median epoch, no
validation) and inference documents/s, with each model's ratio to the baseline's inference speed.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from pathlib import Path

import typer

log = logging.getLogger(__name__)


def measure(
    n_train: int, n_dev: int, epochs: int, seed: int, models: list[str]
) -> list[dict[str, float | str]]:
    """One row per model: train_docs_per_s, infer_docs_per_s, fit_seconds."""
    from medcoder.data.synth import generate_corpus
    from medcoder.models.baselines import TfidfLogRegCoder
    from medcoder.training.coder import build_coder

    docs = generate_corpus(n_train + n_dev, seed)
    train, dev = docs[:n_train], docs[n_train:]
    rows: list[dict[str, float | str]] = []
    base = TfidfLogRegCoder()
    t0 = time.perf_counter()
    base.fit(train, dev)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base.predict_scores(dev)
    rows.append(
        {
            "model": "tfidf_lr (baseline)",
            "train_docs_per_s": n_train / fit_s,
            "fit_seconds": fit_s,
            "infer_docs_per_s": n_dev / (time.perf_counter() - t0),
        }
    )
    config_dir = Path(__file__).resolve().parents[3] / "configs" / "model"
    for name in models:
        cfg_path = config_dir / f"{name}.yaml"
        coder = build_coder(name, cfg_path if cfg_path.exists() else None)
        coder.config.optim.max_epochs = epochs
        coder.config.optim.patience = epochs + 1
        coder.config.optim.max_minutes = None
        coder.fit(train, dev)
        t0 = time.perf_counter()
        coder.predict_scores(dev)
        rows.append(
            {
                "model": name,
                "train_docs_per_s": coder.fit_stats["train_docs_per_s"],
                "fit_seconds": coder.fit_stats["fit_seconds"],
                "infer_docs_per_s": n_dev / (time.perf_counter() - t0),
            }
        )
    ref = float(rows[0]["infer_docs_per_s"])
    for row in rows:
        row["infer_vs_baseline"] = float(row["infer_docs_per_s"]) / ref
    return rows


def main(
    n_train: int = typer.Option(300),
    n_dev: int = typer.Option(100),
    epochs: int = typer.Option(2),
    seed: int = typer.Option(0),
    models: str = typer.Option("laat,plm_icd"),
    out: Path | None = typer.Option(None, help="write the rows as JSON"),
) -> None:
    """Print a markdown table of training and inference throughput."""
    import torch

    logging.basicConfig(level=logging.INFO)
    rows = measure(n_train, n_dev, epochs, seed, [m for m in models.split(",") if m])
    typer.echo(
        f"machine: {platform.machine()}, torch threads {torch.get_num_threads()}, cuda {torch.cuda.is_available()}"
    )
    typer.echo("| model | train docs/s | fit s | inference docs/s | inference vs baseline |")
    typer.echo("|---|---|---|---|---|")
    for r in rows:
        typer.echo(
            f"| {r['model']} | {r['train_docs_per_s']:.1f} | {r['fit_seconds']:.0f} | "
            f"{r['infer_docs_per_s']:.1f} | {r['infer_vs_baseline']:.2f} |"
        )
    if out:
        out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
