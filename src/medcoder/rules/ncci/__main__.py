"""``python -m medcoder.rules.ncci import-quarter``: load official CMS NCCI files into the Parquet store."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="NCCI quarter store.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """NCCI quarter store (a callback keeps import-quarter a named sub-command)."""


@app.command("import-quarter")
def import_quarter_cmd(
    store: Path = typer.Option(..., help="Store root folder (one sub-folder per quarter)."),
    quarter: str = typer.Option(..., help="Quarter, e.g. 2026Q1."),
    ptp_practitioner: list[Path] = typer.Option([], help="Practitioner PTP files (f1..f4)."),
    ptp_hospital: list[Path] = typer.Option([], help="Hospital outpatient PTP files."),
    mue_practitioner: Path | None = typer.Option(None, help="Practitioner MUE CSV."),
    mue_hospital: Path | None = typer.Option(None, help="Outpatient hospital MUE CSV."),
    aoc: Path | None = typer.Option(None, help="Add-on code edit file (CSV)."),
) -> None:
    """Read the CMS files of one quarter and write Parquet tables under STORE/QUARTER."""
    from medcoder.rules.ncci.store import import_quarter

    ptp = {k: v for k, v in (("practitioner", ptp_practitioner), ("hospital_outpatient", ptp_hospital)) if v}
    mue = {k: v for k, v in (("practitioner", mue_practitioner), ("hospital_outpatient", mue_hospital)) if v}
    out = import_quarter(store, quarter, ptp=ptp, mue=mue, aoc=aoc)
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    app()
