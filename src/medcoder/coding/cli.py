"""``medcoder code NOTE --model DIR``: code one note with the same pipeline the service runs.

The result is the service's: suggestions with evidence, suppressed codes, rule findings, E/M,
HCC/RAF, CDI queries and the route with its reasons (``--format json`` prints the
``CodingResult`` as JSON; ``table`` renders it). Encounter facts the service takes in the request
(setting, payer, patient, date of service, billed E/M, prior HCCs) are options here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from medcoder.data.records import Patient, Setting, Sex


def code_cmd(
    note_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="plain-text note"),
    model: Path = typer.Option(..., exists=True, file_okay=False, help="model directory"),
    fmt: str = typer.Option("table", "--format", help="json or table"),
    config: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="serving YAML whose `pipeline` section to use (default: built-in)",
    ),
    setting: Setting = typer.Option(Setting.UNKNOWN, help="care setting"),
    payer: str | None = typer.Option(None, help="payer id, e.g. MEDICARE"),
    age: int | None = typer.Option(None, min=0, max=130, help="patient age in years"),
    sex: Sex = typer.Option(Sex.UNKNOWN, help="administrative sex: F, M or U"),
    date_of_service: str | None = typer.Option(None, help="YYYY-MM-DD (default: today, UTC)"),
    em_code: str | None = typer.Option(None, help="billed E/M code to level-check, e.g. 99214"),
    prior_hcc: list[str] = typer.Option([], help="HCC captured in a prior year (repeat the option)"),
    evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="evidence spans per code"),
) -> None:
    """Code one note: codes with evidence, rule findings, E/M, HCC, CDI and the route with reasons."""
    from medcoder.coding.config import load_pipeline_config
    from medcoder.coding.context import EncounterContext, document_from_text
    from medcoder.coding.pipeline import CodingPipeline

    if fmt not in ("json", "table"):
        raise typer.BadParameter("--format must be json or table")
    try:
        day = dt.date.fromisoformat(date_of_service) if date_of_service else None
    except ValueError:
        raise typer.BadParameter(f"--date-of-service must be YYYY-MM-DD, got {date_of_service!r}") from None
    text = note_file.read_text(encoding="utf-8")
    if not text.strip():
        raise typer.BadParameter(f"{note_file} is empty")
    doc = document_from_text(
        text, setting=setting, patient=Patient(age=age, sex=sex), payer=payer, date_of_service=day
    )
    ctx = EncounterContext(
        em_code=em_code.upper() if em_code else None,
        prior_hccs=tuple(h.strip() for h in prior_hcc if h.strip()),
        want_evidence=evidence,
    )
    pipeline = CodingPipeline.from_model_dir(model, load_pipeline_config(config))
    result = pipeline.code(doc, ctx)
    if fmt == "json":
        typer.echo(result.model_dump_json(indent=2))
        return
    from medcoder.coding.render import render_result

    render_result(result)


def register(root: typer.Typer) -> None:
    """Add ``code`` to the root medcoder command."""
    root.command("code")(code_cmd)
