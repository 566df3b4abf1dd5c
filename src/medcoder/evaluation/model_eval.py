"""Evaluate a saved model directory on a held-out split and write its model card.

This is the DVC ``evaluate`` stage: the thresholds come from the model directory (tuned on dev at
training time), so the held-out split is only read to report figures, never to choose anything.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from medcoder.data.records import Document

log = logging.getLogger(__name__)


def evaluate_model_dir(
    model_dir: str | Path,
    test: Sequence[Document],
    train: Sequence[Document],
    *,
    map_depth: int = 50,
    few_shot_max: int = 9,
) -> dict[str, Any]:
    """Score ``test`` with the model in ``model_dir`` and compute the standard figures.

    Returns MAP (official CodiEsp semantics and over all gold documents), micro/macro P/R/F1 at
    the stored global and per-label thresholds, P@k, AUC and the same by label-frequency bucket
    (frequencies counted on ``train``), plus inference throughput.
    """
    from medcoder.evaluation.buckets import train_label_counts
    from medcoder.evaluation.scoring import split_figures
    from medcoder.models.bundle import ModelBundle

    model = ModelBundle.load(model_dir)
    thresholds = model.thresholds
    start = time.perf_counter()
    scores = model.predict_scores(list(test))
    seconds = time.perf_counter() - start
    figures = split_figures(
        test,
        scores,
        model.label_space,
        thresholds,
        train_counts=train_label_counts(train),
        map_depth=map_depth,
        few_shot_max=few_shot_max,
        is_valid=None,
    )
    return {
        "model": {k: model.versions.get(k) for k in ("model_name", "model_version", "created")},
        "code_sets": model.versions.get("code_sets"),
        "n_labels": len(model.label_space),
        "n_documents": len(test),
        "inference_docs_per_s": len(test) / seconds if seconds > 0 else None,
        "dev_metrics": model.metrics,
        "test": figures,
    }


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _routing_section(routing: Mapping[str, Any], figures_dir: str | None) -> list[str]:
    """Calibration and routing figures from ``medcoder calibrate``'s routing_report.json."""
    lines = ["", "## Calibration and routing (held-out split)", ""]
    rows = [(k, routing.get(k)) for k in ("calibration_before", "calibration_after")]
    if any(v for _, v in rows):
        lines += ["| scores | ECE | Brier | ECE candidates | Brier candidates |", "|---|---:|---:|---:|---:|"]
        for name, v in rows:
            if isinstance(v, Mapping):
                vals = [_fmt(v.get(k)) for k in ("ece", "brier", "ece_candidates", "brier_candidates")]
                lines.append(f"| {name.replace('calibration_', '')} | " + " | ".join(vals) + " |")
        lines.append("")
    keys = (
        "target_precision",
        "delta",
        "auto_threshold",
        "auto_precision",
        "auto_code_share",
        "auto_chart_share",
    )
    lines += [f"- {k}: {_fmt(routing.get(k))}" for k in keys if k in routing]
    if figures_dir:
        lines += ["", f"Reliability diagram: `{figures_dir}/reliability.png`; risk-coverage curve: "
                  f"`{figures_dir}/risk_coverage.png`."]  # fmt: skip
    lines += ["", "Evidence method figures (token F1, top-span overlap, cost): docs/BENCHMARKS.md."]
    return lines


def render_model_card(
    report: Mapping[str, Any],
    data_card: str | None = None,
    routing: Mapping[str, Any] | None = None,
    routing_figures: str | None = None,
) -> str:
    """A markdown model card from an evaluation report (what it is, figures, limits)."""
    test = report["test"]
    model = report["model"]
    lines = [
        f"# Model card: {model.get('model_name')} (version {model.get('model_version')})",
        "",
        f"Created {model.get('created')}. {report['n_labels']} labels. Evaluated on "
        f"{report['n_documents']} held-out documents that were used for no choice (thresholds were tuned on dev).",
        "",
        "## Figures on the held-out split",
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    flat: list[tuple[str, Any]] = []
    for key, value in test.items():
        if isinstance(value, Mapping):
            flat.extend((f"{key}.{k}", v) for k, v in value.items() if not isinstance(v, Mapping))
        else:
            flat.append((key, value))
    lines += [f"| {k} | {_fmt(v)} |" for k, v in flat if isinstance(v, int | float)]
    lines += [
        "",
        f"Inference: {_fmt(report.get('inference_docs_per_s'))} documents/s on CPU.",
        "",
        "## Code sets",
        "",
        *[f"- {k}: {v}" for k, v in (report.get("code_sets") or {}).items()],
        "",
        "## Intended use and limits",
        "",
        "- Suggests codes for a human coder; routing decides what may be finalized without review.",
        "- Trained on the data named in the data card; figures on synthetic data overstate real-world accuracy.",
        "- Codes outside the label list are only scored through the zero-shot description path.",
    ]
    if routing:
        lines += _routing_section(routing, routing_figures)
    if data_card:
        lines += ["", f"Data card: `{data_card}`."]
    return "\n".join(lines) + "\n"


def evaluate_cmd(
    model: Path = typer.Option(..., "--model", help="Model directory written by `medcoder train`."),
    test: Path = typer.Option(..., "--test", help="Held-out documents (JSONL/CSV/Parquet)."),
    train: Path = typer.Option(..., "--train", help="Training documents (for label-frequency buckets)."),
    out: Path = typer.Option(Path("eval/out"), "--out", help="Folder for metrics.json and model_card.md."),
    data_card: str | None = typer.Option(None, "--data-card", help="Path of the data card to cite."),
    map_depth: int = typer.Option(50, "--map-depth", help="Codes per document counted by MAP."),
    routing_report: Path | None = typer.Option(
        None, "--routing-report", help="routing_report.json from `medcoder calibrate --report-dir`."
    ),
) -> None:
    """Evaluate a model directory on a held-out split; write metrics.json and model_card.md."""
    from medcoder.data.io import read_documents

    report = evaluate_model_dir(model, read_documents(test), read_documents(train), map_depth=map_depth)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    routing = json.loads(routing_report.read_text(encoding="utf-8")) if routing_report else None
    figures = str(routing_report.parent) if routing_report else None
    (out / "model_card.md").write_text(
        render_model_card(report, data_card, routing, figures), encoding="utf-8"
    )
    test_fig = report["test"]
    typer.echo(json.dumps({k: v for k, v in test_fig.items() if not isinstance(v, dict)}, default=str)[:2000])
    typer.echo(f"wrote {out / 'metrics.json'} and {out / 'model_card.md'}")


def register(root: typer.Typer) -> None:
    """Add ``medcoder evaluate`` to the root command."""
    root.command("evaluate")(evaluate_cmd)
