"""Command-line entry points of medcoder.evaluation (registered by medcoder.cli).

``medcoder bench codiesp --task D|P`` trains every requested model on CodiEsp train, chooses on dev,
reports test once, and writes ``eval/reports/codiesp_<task>.json`` / ``.md`` and the task's rows in
docs/BENCHMARKS.md. Heavy libraries are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer

bench_app = typer.Typer(help="Benchmarks: train, tune on dev, report test once.", no_args_is_help=True)


@bench_app.command("codiesp")
def codiesp(
    task: str = typer.Option("D", "--task", help="D (ICD-10-CM diagnoses) or P (ICD-10-PCS procedures)."),
    models: str = typer.Option(
        "most_frequent,tfidf_lr,dict,tfidf_lr+dict",
        "--models",
        help="Comma-separated: most_frequent, tfidf_lr, knn, mention_knn, mention_knn_emb, mention_lr, dict, "
        "tfidf_lr+dict, laat, plm_icd (or a variant such as plm_icd-ft with configs/model/codiesp_<name>.yaml), "
        "mention_laat, mention_plm_icd (the same nets trained on the cited sentences), "
        "ensemble (fuses the others of the run, weights chosen on dev).",
    ),
    runs_dir: Path | None = typer.Option(
        None,
        "--runs-dir",
        help="Where each model's dev/test scores are saved (default eval/runs/codiesp_<task>).",
    ),
    reuse_runs: bool = typer.Option(
        False, "--reuse-runs", help="Load models already saved in --runs-dir instead of fitting them again."
    ),
    ensemble_members: str | None = typer.Option(
        None,
        "--ensemble-members",
        help="Comma-separated members of 'ensemble' (default: all but most_frequent).",
    ),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Training budget per neural model."),
    map_depth: int = typer.Option(
        50, "--map-depth", help="Codes per document entering MAP (official cap 1000)."
    ),
    min_positives: int = typer.Option(
        5, "--min-positives", help="Dev positives needed for a per-code threshold."
    ),
    root: Path | None = typer.Option(None, "--root", help="CodiEsp folder (default: shared data)."),
    out_dir: Path = typer.Option(
        Path("eval/reports"), "--out-dir", help="Where the JSON/markdown reports go."
    ),
    benchmarks: Path | None = typer.Option(
        Path("docs/BENCHMARKS.md"), "--benchmarks", help="Markdown file whose '## CodiEsp' rows are updated."
    ),
    no_benchmarks: bool = typer.Option(False, "--no-benchmarks", help="Do not touch the benchmarks file."),
    isolate: bool = typer.Option(True, "--isolate/--no-isolate", help="Run each model in its own process."),
    machine: str = typer.Option(
        "2 cores, shared", "--machine", help="Hardware note written into the report."
    ),
) -> None:
    """Train on CodiEsp train, tune on dev, report test once for each model (same run)."""
    import datetime as dt
    import shlex
    import sys

    from rich.console import Console
    from rich.table import Table

    from medcoder.evaluation.bench import BenchConfig, parse_models, run_bench
    from medcoder.evaluation.report import markdown_report, table_rows, update_benchmarks_md, write_reports

    try:
        cfg = BenchConfig(
            task=task.upper(),
            models=parse_models(models),
            root=root,
            map_depth=map_depth,
            min_positives=min_positives,
            max_minutes=max_minutes,
            isolate=isolate,
            runs_dir=runs_dir or Path("eval/runs") / f"codiesp_{task.upper()}",
            reuse_runs=reuse_runs,
            ensemble_members=parse_models(ensemble_members) if ensemble_members else None,
        )
    except ValueError as exc:  # unknown task or model, --reuse-runs without a folder
        raise typer.BadParameter(str(exc)) from exc
    report = run_bench(cfg)
    report["command"] = "medcoder " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    report["machine"] = machine
    report["date"] = dt.date.today().isoformat()
    json_path, md_path = write_reports(report, out_dir)
    if benchmarks is not None and not no_benchmarks:
        update_benchmarks_md(benchmarks, cfg.task, markdown_report(report))
    table = Table(title=f"CodiEsp-{cfg.task} (test, chosen on dev)")
    for col in (
        "model",
        "dev MAP",
        "test MAP",
        "all-gold MAP",
        "micro-F1",
        "macro-F1",
        "P@5",
        "train s",
        "docs/s",
    ):
        table.add_column(col)
    for row in table_rows(report):
        t = row.get("test", {})
        g = t.get("at_global_threshold", {}) if t else {}

        def f(v: object, spec: str = ".3f") -> str:
            return "-" if v is None else format(v, spec)

        table.add_row(
            row["model"],
            f(row.get("dev", {}).get("map_official")),
            f(t.get("map_official") if t else None),
            f(t.get("map_all_gold") if t else None),
            f(g.get("micro_f1")),
            f(g.get("macro_f1")),
            f(g.get("precision_at_5")),
            f(row.get("train_seconds"), ".0f"),
            f(row.get("inference_docs_per_s"), ".1f"),
        )
    Console().print(table)
    Console().print(f"wrote {json_path} and {md_path}")


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root medcoder command."""
    root.add_typer(bench_app, name="bench")
