"""Commands of medcoder.serving: ``medcoder serve``, ``medcoder package``, ``medcoder bench serve``
and ``medcoder serve-demo``. Heavy imports (bentoml, torch) happen inside the commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer


def serve_cmd(
    model: Path | None = typer.Option(None, help="model directory (else MEDCODER_MODEL_DIR / serving.yaml)"),
    bento_model: str | None = typer.Option(
        None, help="BentoML model tag name:version (from `medcoder package`)"
    ),
    port: int = typer.Option(3000, help="port on 127.0.0.1"),
    config: Path | None = typer.Option(
        None, help="serving YAML (default: the packaged medcoder/serving/serving.yaml)"
    ),
    audit_db: str | None = typer.Option(None, help="audit store URL or SQLite path"),
) -> None:
    """Run `bentoml serve` of serving/service.py on 127.0.0.1 (Ctrl+C stops it).

    The configuration is checked first (model directory, JWT secret or key file, free port): a
    problem is one line on stderr and exit status 2, before anything is started.
    """
    from medcoder.serving.preflight import StartupError, preflight
    from medcoder.serving.server import SERVICE_DIR, SERVICE_TARGET

    try:
        preflight(config, model.resolve() if model is not None else None, bento_model, "127.0.0.1", port)
    except StartupError as e:
        typer.echo(f"medcoder serve: {e}", err=True)
        raise typer.Exit(2) from None
    env = dict(os.environ)
    if model is not None:
        env["MEDCODER_MODEL_DIR"] = str(model.resolve())
    if bento_model is not None:
        env["MEDCODER_BENTO_MODEL"] = bento_model
    if config is not None:
        env["MEDCODER_SERVING_CONFIG"] = str(config.resolve())
    if audit_db is not None:
        env["MEDCODER_AUDIT_DB"] = audit_db
    exe = Path(sys.executable).with_name("bentoml")
    cmd = [str(exe) if exe.exists() else "bentoml", "serve", SERVICE_TARGET, "--working-dir", str(SERVICE_DIR),
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    raise typer.Exit(subprocess.call(cmd, env=env))


def package_cmd(
    source: str = typer.Argument(..., help="model directory, or models:/<name>/<version> (MLflow registry)"),
    name: str | None = typer.Option(None, help="BentoML model name (default: the model's name)"),
    tracking_uri: str | None = typer.Option(None, help="MLflow tracking URI for models:/ sources"),
    out: Path | None = typer.Option(None, help="write the tag and metadata here as JSON (DVC output)"),
    build: bool = typer.Option(False, help="also run `bentoml build` with serving/bentofile.yaml"),
) -> None:
    """Store a model directory in the BentoML model store as name:version (never :latest)."""
    from rich.console import Console

    from medcoder.serving.packaging import package_model

    if tracking_uri:
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
    packaged = package_model(source, name)
    console = Console()
    console.print(
        f"BentoML model [bold]{packaged.tag}[/] ({'created' if packaged.created else 'already present'})"
    )
    for key in ("model_version", "code_sets", "rule_packs", "global_threshold", "n_labels"):
        console.print(f"  {key}: {packaged.metadata.get(key)}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"tag": packaged.tag, "metadata": packaged.metadata}, indent=2) + "\n")
    if build:
        from medcoder.serving.server import SERVICE_DIR

        env = {**os.environ, "MEDCODER_BENTO_MODEL": packaged.tag}
        exe = Path(sys.executable).with_name("bentoml")
        cmd = [str(exe) if exe.exists() else "bentoml", "build", ".", "-f", "bentofile.yaml"]
        raise typer.Exit(subprocess.call(cmd, env=env, cwd=SERVICE_DIR))


def bench_serve_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="model directory"),
    split: str = typer.Option("test", help="CodiEsp split whose English notes are sent"),
    notes: int = typer.Option(64, min=1, help="how many notes"),
    requests: int = typer.Option(64, min=1, help="requests per concurrency level"),
    concurrency: list[int] = typer.Option([1, 4, 16], help="concurrency levels"),
    workers: int = typer.Option(1, min=1, help="bentoml worker processes (MEDCODER_WORKERS)"),
    workdir: Path | None = typer.Option(
        None, help="BentoML home, audit DB, server log (default: a temp dir)"
    ),
    out: Path | None = typer.Option(None, help="write the report as JSON"),
) -> None:
    """Throughput, p50/p95/p99 latency and peak memory of `bentoml serve`, vs in-process calls."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir
    from medcoder.serving.bench import bench_serve

    texts = [d.text for d in load_codiesp(codiesp_dir(), split, language="en", tasks=["D"])][:notes]
    if workdir is None:
        import tempfile

        workdir = Path(tempfile.mkdtemp(prefix="medcoder-bench-serve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = bench_serve(model, texts, workdir, concurrency, requests, workers)
    table = Table(title=f"bentoml serve ({workers} worker(s)), {report['notes']} CodiEsp-{split} EN notes "
                        f"(mean {report['mean_note_chars']:.0f} chars)")  # fmt: skip
    for col in ("concurrency", "notes/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
        table.add_column(col, justify="right")
    for lv in report["levels"]:
        table.add_row(str(lv["concurrency"]), f"{lv['notes_per_s']:.1f}", f"{lv['p50_ms']:.0f}",
                      f"{lv['p95_ms']:.0f}", f"{lv['p99_ms']:.0f}", str(lv["errors"]))  # fmt: skip
    console = Console()
    console.print(table)
    ip = report["in_process"]
    console.print(f"in-process: {ip['per_note_mean_ms']:.1f} ms/note mean (p50 {ip['per_note_p50_ms']:.1f}), "
                  f"batched {ip['batched_notes_per_s']:.1f} notes/s; service overhead at c=1: "
                  f"{report['overhead_c1_mean']:.2f}x (mean), {report['overhead_c1_p50']:.2f}x (p50); "
                  f"server peak RSS {report['server_peak_rss_mb']:.0f} MB")  # fmt: skip
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")


def bench_pipeline_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="model directory"),
    split: str = typer.Option("test", help="CodiEsp split whose English notes are coded"),
    notes: int = typer.Option(64, min=1),
    compare: list[str] = typer.Option(["attingrad"], help="evidence methods timed against the default"),
    out: Path | None = typer.Option(None, help="write the report as JSON"),
) -> None:
    """In-process cost of each pipeline stage per note, and evidence methods compared in the same run."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir
    from medcoder.serving.bench import pipeline_breakdown

    texts = [d.text for d in load_codiesp(codiesp_dir(), split, language="en", tasks=["D"])][:notes]
    report = pipeline_breakdown(model, texts, compare)
    table = Table(title=f"pipeline stages, {report['notes']} CodiEsp-{split} EN notes, one call each")
    table.add_column("stage")
    table.add_column("ms/note", justify="right")
    table.add_column("share", justify="right")
    for stage, ms in report["stages_ms_per_note"].items():
        table.add_row(stage, f"{ms:.1f}", f"{ms / report['total_ms_per_note']:.0%}")
    table.add_row("total", f"{report['total_ms_per_note']:.1f}", "100%")
    console = Console()
    console.print(table)
    for method, m in report["evidence_methods"].items():
        console.print(f"evidence {method}: {m['ms_per_note']:.1f} ms/note vs {report['default_evidence']} "
                      f"{m['default_ms_per_note']:.1f} ms/note (same run): {m['ratio']:.2f}x")  # fmt: skip
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")


def serve_demo_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="model directory"),
    note: Path = typer.Option(Path("configs/demo/sample_note.txt"), exists=True, dir_okay=False),
) -> None:
    """Start the service, code NOTE over HTTP, print the result, stop the service."""
    from medcoder.serving.demo import serve_and_code

    serve_and_code(model, note)


def register(root: typer.Typer) -> None:
    """Add ``serve``, ``package``, ``serve-demo``, ``bench serve`` and ``bench pipeline`` to the root command."""
    root.command("serve")(serve_cmd)
    root.command("package")(package_cmd)
    root.command("serve-demo")(serve_demo_cmd)
    bench = next((g.typer_instance for g in root.registered_groups if g.name == "bench"), None)
    if bench is None:
        bench = typer.Typer(help="Benchmarks that need more than one area.", no_args_is_help=True)
        root.add_typer(bench, name="bench")
    bench.command("serve")(bench_serve_cmd)
    bench.command("pipeline")(bench_pipeline_cmd)


if __name__ == "__main__":
    app = typer.Typer()
    register(app)
    app()
