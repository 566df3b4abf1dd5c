"""``medcoder monitor``: reference tables, window reports, and the simulated-traffic demo (DVC ``monitor``)."""

from __future__ import annotations

from pathlib import Path

import typer

AUDIT_DB_ENV = "MEDCODER_AUDIT_DB"
CLAIMS_DB_ENV = "MEDCODER_CLAIMS_DB"

group = typer.Typer(help="Monitoring per model version: drift, coder feedback, denials (Evidently).",
                    no_args_is_help=True)  # fmt: skip


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@group.command("reference")
def reference_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="Model directory."),
    documents: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="JSONL/CSV/Parquet documents (default for the index coder: its fit + calibration charts).",
    ),  # fmt: skip
    out: Path = typer.Option(Path("monitoring/reference"), help="Reference root folder."),
    embeddings: bool = typer.Option(True, help="Profile notes with the MiniLM projection."),
) -> None:
    """Code the model's reference charts and save them as the table windows are compared with."""
    from medcoder.coding.chart_certify import default_splits
    from medcoder.coding.pipeline import CodingPipeline
    from medcoder.data.io import read_documents
    from medcoder.models.index_bundle import IndexBundle
    from medcoder.monitoring.profile import NoteEmbedder
    from medcoder.monitoring.reference import build_reference, save_reference

    pipeline = CodingPipeline.from_model_dir(model)
    if documents is not None:
        sets = {documents.stem: read_documents(documents)}
    elif isinstance(pipeline.model, IndexBundle):
        sets = default_splits()
    else:
        _fail("this model has no default reference; pass --documents (its calibration/validation split)")
    ref = build_reference(pipeline, sets, NoteEmbedder() if embeddings else None)
    folder = save_reference(ref, out)
    typer.echo(f"reference for {ref.model_version}: {ref.n_charts} charts ({ref.card['sets']}) -> {folder}")


@group.command("report")
def report_cmd(
    model_version: str = typer.Option(
        ..., "--model-version", help="As recorded in audit events (name:identity)."
    ),
    since: str = typer.Option(..., help="Window start (ISO date or time, UTC)."),
    until: str = typer.Option(..., help="Window end, exclusive."),
    audit_db: str = typer.Option(None, "--audit-db", envvar=AUDIT_DB_ENV, help="Audit store URL or path."),
    claims_db: str = typer.Option(
        None, "--claims-db", envvar=CLAIMS_DB_ENV, help="Claims store for denials (omit: no denial section)."
    ),  # fmt: skip
    reference: Path = typer.Option(None, help="Reference folder (default monitoring/reference/<version>)."),
    config: Path = typer.Option(None, help="Thresholds (default configs/monitoring.yaml)."),
    out: Path = typer.Option(Path("monitoring/reports"), help="Reports root folder."),
    workspace: Path = typer.Option(None, help="Also add the snapshots to this Evidently workspace."),
    record: bool = typer.Option(True, help="Write monitor_breach / monitor_cleared to the audit store."),
) -> None:
    """Report one model version over one window and record whether it breached a threshold."""
    from medcoder.audit.store import AuditStore
    from medcoder.claims.store import ClaimsStore
    from medcoder.monitoring.config import load_monitor_config
    from medcoder.monitoring.reference import load_reference, version_folder
    from medcoder.monitoring.run import run_monitor
    from medcoder.monitoring.window import Window

    try:
        window = Window.parse(since, until)
        ref = load_reference(reference or Path("monitoring/reference") / version_folder(model_version))
        thresholds = load_monitor_config(config)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    audit = AuditStore(audit_db, create=False)
    claims = ClaimsStore(claims_db) if claims_db else None
    report, folder = run_monitor(audit, model_version, window, ref, thresholds, out=out, claims=claims,
                                 workspace=workspace, record=record)  # fmt: skip
    typer.echo(f"{model_version} {window.name}: {len(report.window.charts)} charts, "
               f"{len(report.breaches)} breaches -> {folder}")  # fmt: skip
    for b in report.breaches:
        typer.echo(f"  BREACH {b.key}: {b.message}")


@group.command("demo")
def demo_cmd(
    model: Path = typer.Option(
        ..., exists=True, file_okay=False, help="Model directory (DVC: the index coder)."
    ),
    out: Path = typer.Option(
        Path("monitoring"), help="Where reference/, reports/, workspace/ and demo_audit.db go."
    ),
    charts: int = typer.Option(150, min=20, help="Charts per simulated window."),
    embeddings: bool = typer.Option(True, help="Profile notes with the MiniLM projection."),
) -> None:
    """Simulated traffic for the model: a window like its reference, then MTSamples and synthetic windows."""
    from medcoder.monitoring.demo import run_demo

    summary = run_demo(model, out, charts=charts, embeddings=embeddings)
    for name, row in summary.items():
        typer.echo(f"{name}: {row['n_charts']} charts, breaches: {', '.join(row['breaches']) or 'none'}")


def register(root: typer.Typer) -> None:
    root.add_typer(group, name="monitor")
