"""Command-line entry point of medcoder.rules: ``medcoder validate encounter.json``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

FORMATS = ("table", "json")


def validate_cmd(
    encounter_file: Path = typer.Argument(
        ..., help="Encounter JSON (see configs/rules/example_encounter.json)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="Output: table or json."),
    pack: list[Path] = typer.Option([], "--pack", help="Medical necessity / payer pack YAML (repeatable)."),
    example_packs: bool = typer.Option(
        False, "--example-packs", help="Also apply the shipped EXAMPLE packs."
    ),
    ncci_store: Path | None = typer.Option(
        None, "--ncci-store", help="NCCI Parquet store (quarter folders)."
    ),
    ptp: list[Path] = typer.Option(
        [], "--ptp", help="CMS PTP file(s) in the official layout (practitioner)."
    ),
    ptp_hospital: list[Path] = typer.Option(
        [], "--ptp-hospital", help="CMS hospital outpatient PTP file(s)."
    ),
    mue: Path | None = typer.Option(None, "--mue", help="CMS practitioner MUE CSV."),
    aoc: Path | None = typer.Option(None, "--aoc", help="CMS add-on code edit file (CSV)."),
    strict: bool = typer.Option(
        False, "--strict", help="Exit with status 1 when any error finding is reported."
    ),
) -> None:
    """Check an encounter's codes against coding and payer rules and print the findings."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.errors import InputFormatError
    from medcoder.rules import RuleSet, load_encounter, validate
    from medcoder.rules.ncci.loaders import load_aoc, load_mue, load_ptp
    from medcoder.rules.ncci.records import NcciTables, PtpIndex
    from medcoder.rules.ncci.store import load_for_date

    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {FORMATS}")
    console = Console()
    try:
        enc = load_encounter(encounter_file)
        tables = load_for_date(ncci_store, enc.date_of_service) if ncci_store else None
        if ptp or ptp_hospital or mue or aoc:
            tables = tables or NcciTables(version="files")
            if ptp:
                tables.ptp["practitioner"] = PtpIndex(e for f in ptp for e in load_ptp(f))
            if ptp_hospital:
                tables.ptp["hospital_outpatient"] = PtpIndex(e for f in ptp_hospital for e in load_ptp(f))
            if mue:
                tables.mue["practitioner"] = {m.code: m for m in load_mue(mue)}
            if aoc:
                tables.aoc = NcciTables.index_aoc(load_aoc(aoc))
        rules = RuleSet.default(pack_files=list(pack), example_packs=example_packs, ncci=tables)
        findings = validate(enc, rules=rules)
    except InputFormatError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from e
    if fmt == "json":
        payload = {
            "encounter": enc.id,
            "versions": rules.versions(),
            "findings": [f.model_dump(mode="json") for f in findings],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        table = Table(title=f"{enc.id}: {len(findings)} finding(s)", show_lines=True)
        rule_width = max((len(f.rule_id) for f in findings), default=4)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True, min_width=rule_width)
        table.add_column("codes")
        table.add_column("message", ratio=3)
        table.add_column("suggested fix", ratio=2)
        table.add_column("source", ratio=1)
        colors = {"error": "red", "warning": "yellow", "info": "cyan"}
        for f in findings:
            table.add_row(
                f"[{colors[f.severity.value]}]{f.severity.value}[/]",
                f.rule_id,
                ", ".join(f.codes),
                f.message,
                f.suggested_fix or "",
                f"{f.source} ({f.version})",
            )
        console.print(table)
    if strict and any(f.blocks_claim for f in findings):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``medcoder validate`` to the root medcoder command."""
    root.command("validate")(validate_cmd)
