"""``medcoder code NOTE --model DIR``: code one note with the same pipeline the service runs.

The result is the service's: suggestions with evidence, suppressed codes, rule findings, E/M,
HCC/RAF, CDI queries and the route with its reasons (``--format json`` prints the
``CodingResult`` as JSON; ``table`` renders it). Encounter facts the service takes in the request
(setting, payer, patient, date of service, billed E/M, prior HCCs) are options here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from medcoder.data.records import Document, Patient, Setting, Sex


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


REPORT_SPLITS = ("codiesp_test", "mtsamples", "synthetic_test", "realistic_dev")


def report_docs(name: str) -> list:  # type: ignore[type-arg]
    """Documents of a report-only split (never used to fit or certify anything)."""
    if name == "codiesp_test":
        from medcoder.data.codiesp import load_codiesp
        from medcoder.paths import codiesp_dir

        return load_codiesp(codiesp_dir(), "test", tasks=("D",))
    if name == "mtsamples":
        from medcoder.data.realistic import mtsamples

        frame = mtsamples().frame.dropna(subset=["transcription"])
        rows = frame.sample(n=min(200, len(frame)), random_state=0)
        return [
            Document(id=f"mtsamples-{i}", text=str(t))
            for i, t in zip(rows.index, rows["transcription"], strict=True)
        ]
    if name == "synthetic_test":
        from medcoder.data.io import read_jsonl

        return read_jsonl(Path("data/synthetic/test.jsonl"))
    if name == "realistic_dev":  # only a fair report when fit and calibration data are elsewhere
        from medcoder.training.index_coder import realistic_notes

        return [n.document() for n in realistic_notes("dev")]
    raise typer.BadParameter(f"unknown report split {name!r}; known: {', '.join(REPORT_SPLITS)}")


def certify_charts_cmd(
    model: Path = typer.Option(..., exists=True, file_okay=False, help="index-coder model directory"),
    report_dir: Path = typer.Option(Path("eval/out/chart_routing"), help="where the routing report goes"),
    target: float = typer.Option(0.95, min=0.5, max=0.999, help="share of auto charts exactly right"),
    delta: float = typer.Option(
        0.05, min=0.001, max=0.5, help="allowed failure probability of the guarantee"
    ),
    report: list[str] = typer.Option([], help=f"also report on: {', '.join(REPORT_SPLITS)} (repeat)"),
    fit_data: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="JSONL charts to fit on instead"
    ),
    cal_data: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="JSONL charts to certify on instead"
    ),
) -> None:
    """Fit and certify chart-level routing (writes chart_routing.json into the model) and report it.

    Fit: realistic dev "fit" part + CodiEsp dev "tune" half; calibration: realistic dev "tune" part +
    CodiEsp dev "cal" half. CodiEsp test and the realistic holdout are never read for fitting."""
    from medcoder.coding.chart_certify import (
        certify_model,
        code_charts,
        default_splits,
        render_model_card,
        write_report,
    )
    from medcoder.models.index_bundle import IndexBundle

    if (fit_data is None) != (cal_data is None):
        raise typer.BadParameter("give both --fit-data and --cal-data, or neither")
    if fit_data is not None and cal_data is not None:
        from medcoder.data.io import read_jsonl

        splits = {"fit": read_jsonl(fit_data), "calibration": read_jsonl(cal_data)}
        names = (
            f"{fit_data.name} ({len(splits['fit'])} charts)",
            f"{cal_data.name} ({len(splits['calibration'])} charts)",
        )
    else:
        splits = default_splits()
        names = (f"realistic dev fit + CodiEsp dev tune half ({len(splits['fit'])} charts)",
                 f"realistic dev tune + CodiEsp dev cal half ({len(splits['calibration'])} charts)")  # fmt: skip
    cert, _, cal = certify_model(model, splits["fit"], splits["calibration"], target=target, delta=delta,
                                 fit_set=names[0], calibration_set=names[1])  # fmt: skip
    bundle = IndexBundle.load(model)
    coded = [code_charts(bundle, splits["calibration"], "calibration", cert)]
    coded += [
        code_charts(bundle, report_docs(name), name, cert, has_gold=name != "mtsamples") for name in report
    ]
    out = write_report(cert, coded, report_dir)
    (model / "model_card.md").write_text(render_model_card(model, out), encoding="utf-8")
    typer.echo(json.dumps(out, indent=1))


def register(root: typer.Typer) -> None:
    """Add ``code`` and ``certify-charts`` to the root medcoder command."""
    root.command("code")(code_cmd)
    root.command("certify-charts")(certify_charts_cmd)
