"""Command-line entry points of medcoder.terminology (registered by medcoder.cli): ``medcoder codes``.

medcoder codes show E11.22 [--system ICD-10-CM] [--format json]
medcoder codes search "type 2 diabetes with ckd" [-k 10] [--system ICD-10-CM|ICD-10-PCS|CPT|HCPCS|all]
                      [--index DIR] [--format json]
medcoder codes build-index DIR [--system ...]     build once, then search with --index DIR
medcoder codes versions [--format json]
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

app = typer.Typer(
    name="codes", help="Code sets: look up and search ICD-10-CM/PCS, CPT, HCPCS.", no_args_is_help=True
)

SYSTEMS = ("ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS")


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root medcoder command."""
    root.add_typer(app, name="codes")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _systems(system: str) -> list[str]:
    if system.lower() == "all":
        return list(SYSTEMS)
    if system not in SYSTEMS:
        raise _fail(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)} or all")
    return [system]


@app.command("show")
def show(
    code: str = typer.Argument(..., help="A code, dotted or not (E11.22, E1122, 0DTJ4ZZ, 99213, J1100)."),
    system: str | None = typer.Option(
        None, "--system", "-s", help="ICD-10-CM, ICD-10-PCS, CPT or HCPCS; guessed when omitted (CM first)."
    ),
    fmt: Format = typer.Option(Format.TEXT, "--format", "-f", help="text (rich panel) or json."),
) -> None:
    """Show a code: description, billable flag, ancestry, excludes, notes, 7th characters, children."""
    from medcoder.terminology.codesets import default_code_sets
    from medcoder.terminology.info import code_info

    if system is not None and system not in SYSTEMS:
        raise _fail(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")
    try:
        info = code_info(default_code_sets(), code, system)
    except (KeyError, ValueError) as exc:
        raise _fail(str(exc.args[0]) if exc.args else str(exc)) from None
    if fmt is Format.JSON:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    _print_info(info)


def _print_info(info: dict) -> None:
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    parts: list = []
    head = Text(f"{info['description']}", style="bold")
    if "billable" in info:
        head.append("\n")
        head.append("billable" if info["billable"] else "not billable (use a more specific code)",
                    style="green" if info["billable"] else "yellow")  # fmt: skip
    parts.append(head)
    if info.get("ancestors"):
        parts.append(Text("Ancestry:", style="bold cyan"))
        for depth, a in enumerate(reversed(info["ancestors"])):
            parts.append(Text(f"  {'  ' * depth}{a['code']}  {a['description']}", style="dim"))
    for key, title in [("excludes1", "Excludes1"), ("excludes2", "Excludes2"), ("inclusion_terms", "Inclusion terms"),
                       ("code_first", "Code first"), ("use_additional", "Use additional code"),
                       ("code_also", "Code also"), ("notes", "Notes")]:  # fmt: skip
        if info.get(key):
            parts.append(Text(f"{title}:", style="bold cyan"))
            parts.extend(Text(f"  - {line}") for line in info[key])
    if info.get("seventh_characters"):
        table = Table(title="7th characters", show_header=False, box=None)
        for char, meaning in info["seventh_characters"].items():
            table.add_row(char, meaning)
        parts.append(table)
    if info.get("children"):
        table = Table(title="children", show_header=False, box=None)
        for child in info["children"][:40]:
            table.add_row(child["code"], child["description"])
        parts.append(table)
    if info.get("also_in"):
        parts.append(
            Text(f"also a code of {', '.join(info['also_in'])}: pass --system to see it", style="yellow")
        )
    for key in ("short_description", "category", "add_date", "termination_date", "codes_with_prefix"):
        if info.get(key) not in (None, ""):
            parts.append(Text(f"{key.replace('_', ' ')}: {info[key]}"))
    title = f"{info['system']} {info['code']}"
    Console().print(Panel(Group(*parts), title=title, subtitle=f"release {info['version']}"))


@app.command("search")
def search(
    query: str = typer.Argument(..., help="Free text, e.g. 'type 2 diabetes with ckd'."),
    k: int = typer.Option(10, "-k", "--top", min=1, help="How many codes to return."),
    system: str = typer.Option(
        "ICD-10-CM", "--system", "-s", help="ICD-10-CM, ICD-10-PCS, CPT, HCPCS or all."
    ),
    index: Path | None = typer.Option(
        None, "--index", help="A directory written by `medcoder codes build-index`."
    ),
    fmt: Format = typer.Option(Format.TEXT, "--format", "-f", help="text (table) or json."),
) -> None:
    """Rank codes by BM25 over descriptions and inclusion terms."""
    from medcoder.terminology.search import SearchIndex

    systems = _systems(system)
    if index is not None:
        idx = SearchIndex.load(index)
        hits = idx.search(query, k, system=None if len(systems) > 1 else systems[0])
    else:
        idx = _build(systems)
        hits = idx.search(query, k)
    if fmt is Format.JSON:
        typer.echo(json.dumps([_hit(h) for h in hits], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{query!r} ({', '.join(systems)})")
    for col in ("rank", "code", "system", "description", "score"):
        table.add_column(col, justify="right" if col in ("rank", "score") else "left")
    for i, h in enumerate(hits, 1):
        table.add_row(str(i), h.code, h.system, h.description, f"{h.score:.2f}")
    Console().print(table)


def _hit(h: object) -> dict:
    return {name: getattr(h, name) for name in ("code", "system", "description", "score")}


def _build(systems: list[str]):  # noqa: ANN202 - SearchIndex, imported lazily
    from medcoder.terminology.codesets import default_code_sets
    from medcoder.terminology.search import build_index

    rel = default_code_sets().hcpcs if "HCPCS" in systems else None
    if "HCPCS" in systems and rel is None:
        if len(systems) == 1:
            raise _fail("HCPCS search needs the HCPCS release file (shared data hcpcs/ folder)")
        typer.secho("warning: no HCPCS release file found; searching without HCPCS", err=True)
        systems = [s for s in systems if s != "HCPCS"]
    return build_index(systems, hcpcs_release=rel)


@app.command("build-index")
def build_index_cmd(
    out: Path = typer.Argument(..., help="Directory to write weights.npz and index.json into."),
    system: str = typer.Option("all", "--system", "-s", help="ICD-10-CM, ICD-10-PCS, CPT, HCPCS or all."),
) -> None:
    """Build the search index once and save it (load it with `codes search --index DIR`)."""
    idx = _build(_systems(system))
    idx.save(out)
    typer.echo(f"wrote {len(idx):,} codes to {out}")


@app.command("versions")
def versions(fmt: Format = typer.Option(Format.TEXT, "--format", "-f")) -> None:
    """Print the version of every code set."""
    from medcoder.terminology.codesets import code_set_versions

    v = code_set_versions()
    if fmt is Format.JSON:
        typer.echo(json.dumps(v, indent=2))
        return
    for name, ver in v.items():
        typer.echo(f"{name}: {ver}")


@app.command("bench-search")
def bench_search(
    n: int = typer.Option(1000, "--n", help="Number of queries."),
    k: int = typer.Option(10, "-k", help="Top k per query."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Measure search queries/s over all billable ICD-10-CM codes (BM25 vs a TF-IDF baseline)."""
    from medcoder.terminology.bench import benchmark_search

    typer.echo(json.dumps(benchmark_search(n, k, seed).as_dict(), indent=2))
