"""``medcoder feedback``: export reviewed charts, retrain on them, simulate a review round;
``medcoder review``: the worklist as Label Studio tasks and back.

- ``export --store URL --out DIR``: the feedback dataset (``reviewed.jsonl`` + ``card.json``);
- ``retrain --base DIR --feedback DIR --out DIR``: new version, compared on held-out charts,
  re-certified, registered in MLflow, promoted only if not worse (``promotion.json``);
- ``simulate --out DIR``: a review round where coders add a code the model misses
  (``medcoder.review.simulate``); ``--retrain`` also retrains and measures that code's recall;
- ``review export-ls --store URL --out tasks.json``: open worklist charts as Label Studio tasks
  with the suggestions as pre-annotations; ``review import-ls export.json --store URL --coder ID``:
  the last submitted annotation of each task as feedback decisions and final codes (charts already
  finalized are left out, so importing the same export twice records nothing twice).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

group = typer.Typer(help="The learning loop: feedback export, retraining, promotion.", no_args_is_help=True)
review_group = typer.Typer(help="The coder worklist in Label Studio (export tasks, import annotations).",
                           no_args_is_help=True)  # fmt: skip


@group.command("export")
def export_cmd(
    store: str = typer.Option(..., help="Review store URL or SQLite path (the audit database)."),
    out: Path = typer.Option(..., file_okay=False, help="Folder for reviewed.jsonl and card.json."),
    since: str | None = typer.Option(None, help="Only charts finalized after this UTC time (ISO)."),
) -> None:
    """Export finalized charts (note text is PHI: keep the folder in the organisation's DVC remote)."""
    from medcoder.review.dataset import export_feedback
    from medcoder.review.store import ReviewStore

    with ReviewStore(store, create=False) as s:
        card = export_feedback(s, out, since)
    typer.echo(json.dumps(card.model_dump(mode="json"), indent=1))


@group.command("retrain")
def retrain_cmd(
    base: Path = typer.Option(..., exists=True, file_okay=False, help="Current index-coder model directory."),
    feedback: Path = typer.Option(..., exists=True, file_okay=False, help="A feedback export folder."),
    out: Path = typer.Option(..., file_okay=False, help="New model directory (never the current one)."),
    report_dir: Path | None = typer.Option(None, help="Also write retrain.json (+ round.json) here."),
    tolerance: float = typer.Option(0.0, min=0.0, max=0.5, help="Allowed held-out F1 drop for promotion."),
    heldout_share: float = typer.Option(0.2, min=0.05, max=0.5, help="Share of reviewed charts held out."),
    certify: bool = typer.Option(True, help="Re-certify chart routing into the new directory."),
    track: bool = typer.Option(True, help="Log to MLflow and register the new version."),
    tracking_dir: str = typer.Option("training/mlflow", help="Local MLflow store folder."),
) -> None:
    """Retrain on reviewed charts; promote only if not worse on the same held-out charts."""
    from medcoder.review.retrain import RetrainConfig, certify_default, retrain
    from medcoder.review.simulate import ROUND_FILE, round_recall

    if out.resolve() == base.resolve():
        raise typer.BadParameter("--out must differ from --base: the current model is never overwritten")
    config = RetrainConfig(
        heldout_share=heldout_share, tolerance=tolerance, track=track, tracking_dir=tracking_dir
    )
    report = retrain(base, feedback, out, config=config, certify=certify_default if certify else None)
    body = asdict(report)
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "retrain.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        if (feedback / ROUND_FILE).exists():
            info = json.loads((feedback / ROUND_FILE).read_text(encoding="utf-8"))
            rr = round_recall(info, base, out)
            (report_dir / "round.json").write_text(json.dumps(rr, indent=1) + "\n", encoding="utf-8")
    typer.echo(
        json.dumps({k: body[k] for k in ("promoted", "reasons", "taught", "seconds", "mlflow")}, indent=1)
    )


@group.command("simulate")
def simulate_cmd(
    out: Path = typer.Option(..., file_okay=False, help="Folder for the simulated feedback export."),
    base: Path = typer.Option(
        Path("training/out/index_coder"),
        exists=True,
        file_okay=False,
        help="Current index-coder model directory.",
    ),  # fmt: skip
    charts: int = typer.Option(50, min=2, help="Charts the simulated coders review."),
    code: str | None = typer.Option(
        None, help="The missed code coders add (default: chosen, see the module)."
    ),
    reviewed: int = typer.Option(
        0, min=0, help="Instead: this many charts finalized with gold codes (timing)."
    ),
) -> None:
    """Simulate a review round on CodiEsp-D train (never test): coders add a code the model misses."""
    from medcoder.review.simulate import simulate_reviewed, simulate_round

    card = (
        simulate_reviewed(base, out, reviewed) if reviewed else simulate_round(base, out, charts, code=code)
    )
    typer.echo(json.dumps(card.model_dump(mode="json"), indent=1))


@review_group.command("export-ls")
def export_ls_cmd(
    store: str = typer.Option(..., help="Review store URL or SQLite path (the audit database)."),
    out: Path = typer.Option(..., dir_okay=False, help="Label Studio tasks JSON to write (holds note text)."),
    limit: int = typer.Option(500, min=1, help="At most this many open charts, most urgent first."),
) -> None:
    """Open worklist charts as Label Studio tasks, the suggestions as pre-annotations."""
    from medcoder.review.label_studio import to_tasks, write_tasks
    from medcoder.review.store import ReviewStore

    with ReviewStore(store, create=False) as s:
        items = [s.get(e.request_id) for e in s.worklist(limit=limit)]
    write_tasks(out, to_tasks(items))
    typer.echo(f"wrote {len(items)} task(s) to {out}")


@review_group.command("import-ls")
def import_ls_cmd(
    export: Path = typer.Argument(..., exists=True, dir_okay=False, help="Label Studio JSON export."),
    store: str = typer.Option(..., help="Review store URL or SQLite path (the audit database)."),
    coder: str = typer.Option(..., help="Coder id the decisions are recorded under."),
) -> None:
    """Record the annotations as feedback decisions and finalize each chart."""
    from medcoder.audit.store import AuditStore
    from medcoder.review.api import StoreBackedApi
    from medcoder.review.label_studio_import import apply_imported, from_annotations, read_export
    from medcoder.review.records import ReviewStatus
    from medcoder.review.store import ReviewStore

    reviews = from_annotations(read_export(export), coder)
    with ReviewStore(store, create=False) as s, AuditStore(store, create=False) as audit:
        todo = [r for r in reviews if s.get(r.request_id).entry.status == ReviewStatus.OPEN]
        applied = apply_imported(todo, StoreBackedApi(s, audit, coder))
    for r in todo:
        if r.reason_defaulted:
            typer.echo(f"chart {r.request_id}: no reason chosen; recorded as 'other'")
    typer.echo(f"imported {applied.charts} chart(s), {applied.decisions} decision(s); "
               f"{len(reviews) - len(todo)} already finalized, left out")  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(group, name="feedback")
    root.add_typer(review_group, name="review")
