"""Calibration and routing commands (registered by medcoder.cli): they load models, so they live here.

medcoder calibrate --model DIR --cal PATH [--train PATH] [--test PATH]   calibrators, router, certified threshold
medcoder routing report --model DIR --test PATH --out DIR                  calibration + routing figures, PNGs
medcoder routing evidence --model DIR --tune PATH --test PATH              evidence plausibility per method

Data arguments take JSONL/CSV/Parquet files or ``codiesp:<split>[:D|P]`` (English CodiEsp). For
CodiEsp, ``--cal-half tune|cal`` keeps one deterministic half of dev (the other half tunes the
decision thresholds), see ``medcoder.routing.fit.dev_half``. Fitting is ``medcoder.training.calibrate``;
reports are ``medcoder.evaluation.routing_report``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(
    name="routing", help="Calibration, routing policy and evidence reports.", no_args_is_help=True
)
DATA_HELP = "JSONL/CSV/Parquet documents or codiesp:<split>[:D|P]"


def _read(spec: str, half: str = "all") -> list:
    from medcoder.routing.fit import dev_half
    from medcoder.training.cli import read_dataset

    docs = read_dataset(spec)
    return docs if half == "all" else dev_half(docs, half)


def _print(title: str, rows: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in rows.items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    Console().print(table)


def calibrate_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="model directory (written into)"),
    cal: str = typer.Option(..., help=f"calibration documents, never trained on: {DATA_HELP}"),
    cal_half: str = typer.Option("all", help="all | tune | cal: keep one deterministic half (CodiEsp dev)"),
    train: str | None = typer.Option(
        None, help="training documents, for code frequency buckets and unseen flags"
    ),
    config: Path = typer.Option(
        Path("configs/routing.yaml"), exists=True, dir_okay=False, help="routing policy YAML"
    ),
    test: str | None = typer.Option(None, help="also write the routing report on these documents"),
    report_dir: Path | None = typer.Option(
        None, help="folder for the report (default: MODEL/routing_report)"
    ),
    rules: bool = typer.Option(
        False, "--rules/--no-rules", help="rule findings (medcoder.rules) as router features"
    ),
    track: bool = typer.Option(
        True, "--track/--no-track", help="log to the model's MLflow run when it has one"
    ),
    out: Path | None = typer.Option(
        None, help="copy MODEL here first and calibrate the copy (a separate DVC output); default: in place"
    ),
) -> None:
    """Fit calibrators and the router on CAL and certify the auto threshold; save them in MODEL (or OUT)."""
    import shutil

    import yaml

    if out is not None:
        shutil.copytree(model, out, dirs_exist_ok=True)
        model = out

    from medcoder.evaluation.buckets import train_label_counts
    from medcoder.routing.policy import RoutingPolicy
    from medcoder.routing.router import RouterConfig
    from medcoder.training.calibrate import calibrate_model

    policy = RoutingPolicy.load(config)
    router_cfg = RouterConfig(**(yaml.safe_load(config.read_text(encoding="utf-8")).get("router") or {}))
    counts = None
    if train:
        counts = {lab.key: n for lab, n in train_label_counts(_read(train)).items()}
    summary = calibrate_model(model, _read(cal, cal_half), policy, counts, rules, router_cfg)
    g = summary["guarantee"]
    _print(
        "calibration",
        {
            "temperature": summary["temperature"],
            "auto_threshold": g["threshold"],
            "lower_bound": g["lower_bound"],
            "certify_codes_accepted": g["n_accepted"],
            "certify_codes": g["n_units"],
        },
    )
    files = [model / f for f in ("calibrators.json", "router.json", "routing.json")]
    metrics = {"guarantee": g}
    if test:
        from medcoder.evaluation.routing_report import routing_report

        out = report_dir or model / "routing_report"
        rep = routing_report(model, _read(test), out, rules)
        _print("routing report", {k: v for k, v in rep.items() if isinstance(v, int | float)})
        metrics["test"] = rep
        files += [out / "routing_report.json", out / "reliability.png", out / "risk_coverage.png"]
    if track:
        from medcoder.training.tracking import log_to_model_run

        log_to_model_run(model, metrics, files)


@app.command("report")
def report_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="calibrated model directory"),
    test: str = typer.Option(..., help=DATA_HELP),
    out: Path = typer.Option(
        Path("eval/out/route_report"), help="folder for routing_report.json and the PNGs"
    ),
    rules: bool = typer.Option(False, "--rules/--no-rules"),
) -> None:
    """Calibration before/after, realised auto precision and automation share on TEST, with PNGs."""
    from medcoder.evaluation.routing_report import routing_report

    rep = routing_report(model, _read(test), out, rules)
    _print(f"routing report -> {out}", {k: v for k, v in rep.items() if isinstance(v, int | float)})
    typer.echo(json.dumps({"routes": rep["routes"], "reasons": rep["reasons"]}))


@app.command("evidence")
def evidence_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False),
    tune: str = typer.Option(..., help=f"documents with gold spans to tune the token cut: {DATA_HELP}"),
    test: str = typer.Option(..., help=f"documents with gold spans to report on: {DATA_HELP}"),
    methods: str = typer.Option("attention,attingrad,integrated_gradients"),
    limit: int | None = typer.Option(None, help="at most this many documents per split"),
    out: Path | None = typer.Option(None, help="write the figures as JSON here"),
) -> None:
    """Token-level F1, top-span overlap and cost per evidence method on gold spans."""
    import torch

    from medcoder.evidence.eval import evaluate_method, forward_seconds
    from medcoder.models.bundle import ModelBundle

    torch.set_num_threads(1)
    coder = ModelBundle.load(model).scorer
    tune_docs, test_docs = _read(tune)[:limit], _read(test)[:limit]
    fwd = forward_seconds(coder, test_docs)
    rows = {}
    for m in methods.split(","):
        r = evaluate_method(coder, tune_docs, test_docs, m.strip(), fwd)
        rows[m] = {
            "token_f1": r.token_f1,
            "token_precision": r.token_precision,
            "token_recall": r.token_recall,
            "top_span_overlap": r.top_span_overlap,
            "cost_ratio": r.cost_ratio,
            "min_relative": r.min_relative,
            "seconds_per_note": r.seconds_per_note,
            "n_pairs": r.n_pairs,
        }
        _print(f"evidence: {m}", rows[m])
    rows["forward_seconds_per_note"] = fwd
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def register(root: typer.Typer) -> None:
    """Add ``calibrate`` and the ``routing`` group (report, evidence) to the root medcoder command."""
    root.command("calibrate")(calibrate_cmd)
    root.add_typer(app, name="routing")
