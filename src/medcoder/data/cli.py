"""Command-line entry points of medcoder.data (registered by medcoder.cli): the ``medcoder data`` group.

medcoder data card codiesp [--out data_cards/]     data card from the shared CodiEsp corpus
medcoder data card synthetic [--path FILE]         data card of the synthetic corpus
medcoder data stats FILE                           statistics of a JSONL/CSV/Parquet dataset
medcoder data convert IN OUT                       convert between JSONL, CSV and Parquet
medcoder data codiesp-report                       CodiEsp codes missing from ICD-10-CM / PCS
medcoder data synth --n N --seed S --out FILE      generate the synthetic corpus
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from medcoder.errors import InputFormatError

app = typer.Typer(
    name="data",
    help="Datasets: loaders, conversion, statistics, data cards, synthetic corpus.",
    no_args_is_help=True,
)

SYNTH_DEFAULT_N = 1000
SYNTH_DEFAULT_SEED = 0


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _print_stats(stats: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from medcoder.data.stats import BUCKETS, DatasetStats

    assert isinstance(stats, DatasetStats)
    table = Table(title=f"dataset statistics (buckets by {stats.reference_split} documents)")
    table.add_column("")
    for name in stats.splits:
        table.add_column(name, justify="right")
    rows = [
        ("documents", lambda s: f"{s.documents:,}"),
        ("tokens", lambda s: f"{s.tokens:,}"),
        ("chars", lambda s: f"{s.chars:,}"),
        ("codes/doc mean", lambda s: f"{s.codes_per_doc_mean:.2f}"),
        ("codes/doc median", lambda s: f"{s.codes_per_doc_median:g}"),
        ("codes/doc max", lambda s: f"{s.codes_per_doc_max}"),
        ("distinct codes", lambda s: f"{s.distinct_codes:,}"),
        *[(f"codes {b}", lambda s, b=b: f"{s.bucket_codes[b]:,}") for b in BUCKETS],
    ]
    for label, fn in rows:
        table.add_row(label, *[fn(s) for s in stats.splits.values()])
    systems = sorted({k for s in stats.splits.values() for k in s.system_labels})
    for system in systems:
        table.add_row(
            f"{system} labels", *[f"{s.system_labels.get(system, 0):,}" for s in stats.splits.values()]
        )
    Console().print(table)


@app.command("card")
def card(
    name: str = typer.Argument(..., help="Dataset name: codiesp, synthetic or mimiciv_icd10."),
    out: Path = typer.Option(Path("data_cards"), "--out", help="Folder for <name>.md."),
    path: Path | None = typer.Option(
        None, "--path", help="synthetic: read this JSONL/CSV/Parquet instead of generating."
    ),
    root: Path | None = typer.Option(
        None, "--root", help="codiesp: corpus folder (default: shared data); mimiciv_icd10: prepared files."
    ),
    n: int = typer.Option(SYNTH_DEFAULT_N, "--n", help="synthetic: documents to generate when no --path."),
    seed: int = typer.Option(SYNTH_DEFAULT_SEED, "--seed", help="synthetic: generator and split seed."),
    split_dir: Path | None = typer.Option(
        None, "--split-dir", help="synthetic: a folder of prepared <split>.jsonl files (`data prepare`)."
    ),
) -> None:
    """Compute statistics and write data_cards/<NAME>.md."""
    from medcoder.data.cards import compute_stats, write_card
    from medcoder.data.splits import split_documents

    extra: dict[str, str] = {}
    try:
        if name == "codiesp":
            from medcoder.data.codiesp import codiesp_mapping_report, load_codiesp_splits
            from medcoder.paths import codiesp_dir

            splits = load_codiesp_splits(root or codiesp_dir())
            try:
                report = codiesp_mapping_report(splits)
                extra["Mapping to US code sets"] = report.to_markdown()
            except ImportError as exc:  # code sets not installed: the card is still useful
                extra["Mapping to US code sets"] = f"Not computed: {exc}"
        elif name == "mimiciv_icd10":
            if root is None:
                raise typer.BadParameter(
                    "needs --root: the folder of your prepared MIMIC-IV files", param_hint="--root"
                )
            from medcoder.data.mimic import load_mimiciv_icd10_splits

            mimic = load_mimiciv_icd10_splits(root)
            splits = {"train": mimic["train"], "dev": mimic["val"], "test": mimic["test"]}
        elif name == "synthetic" and split_dir is not None:
            from medcoder.data.io import read_documents
            from medcoder.data.synth import KNOWN_LIMITS

            files = sorted(split_dir.glob("*.jsonl"))
            if not files:
                raise FileNotFoundError(f"{split_dir}: no <split>.jsonl files (run `medcoder data prepare`)")
            order = {"train": 0, "dev": 1, "cal": 2, "test": 3}
            files.sort(key=lambda f: (order.get(f.stem, 9), f.stem))
            splits = {f.stem: read_documents(f) for f in files}
            extra["How this card's corpus was made"] = (
                f"Prepared splits read from `{split_dir}` ({', '.join(splits)}), written by `medcoder data prepare`."
            )
            extra["Generator simplifications"] = "\n".join(f"- {item}" for item in KNOWN_LIMITS)
        elif name == "synthetic":
            if path is not None:
                from medcoder.data.io import read_documents

                docs = read_documents(path)
                origin = f"read from `{path.name}`"
            else:
                from medcoder.data.synth import generate_corpus

                docs = generate_corpus(n=n, seed=seed)
                origin = f"`generate_corpus(n={n}, seed={seed})`"
            splits = split_documents(docs, seed=seed)
            extra["How this card's corpus was made"] = (
                f"{len(docs):,} documents {origin}, split 80/10/10 by `split_documents(seed={seed})` "
                "(hash of document id)."
            )
        else:
            raise typer.BadParameter(
                f"unknown dataset {name!r}; expected codiesp, synthetic or mimiciv_icd10", param_hint="NAME"
            )
        card_path = write_card(name, compute_stats(splits), out_dir=out, extra_sections=extra)
    except (InputFormatError, FileNotFoundError) as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {card_path}")


@app.command("stats")
def stats(
    path: Path = typer.Argument(..., help="A .jsonl, .csv or .parquet file of documents."),
    split_seed: int | None = typer.Option(None, "--split-seed", help="Also split 80/10/10 with this seed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print size, codes per document and label-frequency statistics of a dataset file."""
    from medcoder.data.io import read_documents
    from medcoder.data.splits import split_documents
    from medcoder.data.stats import compute_stats

    try:
        docs = read_documents(path)
    except InputFormatError as exc:
        raise _fail(exc) from exc
    splits = {"all": docs} if split_seed is None else split_documents(docs, seed=split_seed)
    result = compute_stats(splits)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_stats(result)


@app.command("convert")
def convert(
    src: Path = typer.Argument(..., help="Input .jsonl, .csv or .parquet."),
    dst: Path = typer.Argument(..., help="Output .jsonl, .csv or .parquet (CSV drops spans and sections)."),
) -> None:
    """Convert a dataset file between JSONL, CSV and Parquet."""
    from medcoder.data.io import read_documents, write_documents

    try:
        docs = read_documents(src)
        write_documents(docs, dst)
    except InputFormatError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {len(docs)} documents to {dst}")


@app.command("export")
def export(
    name: str = typer.Argument(..., help="codiesp or mimiciv_icd10."),
    out_dir: Path = typer.Argument(..., help="Folder for <split>.<format> files."),
    root: Path | None = typer.Option(None, "--root", help="Dataset folder (codiesp default: shared data)."),
    language: str = typer.Option("en", "--language", help="codiesp: en (translated) or es (with X spans)."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv or parquet."),
) -> None:
    """Write a public loader's splits as generic dataset files (train/dev/test)."""
    from medcoder.data.io import write_documents

    try:
        if name == "codiesp":
            from medcoder.data.codiesp import load_codiesp_splits
            from medcoder.paths import codiesp_dir

            splits = load_codiesp_splits(root or codiesp_dir(), language=language)
        elif name == "mimiciv_icd10":
            if root is None:
                raise typer.BadParameter(
                    "needs --root: the folder of your prepared MIMIC-IV files", param_hint="--root"
                )
            from medcoder.data.mimic import load_mimiciv_icd10_splits

            mimic = load_mimiciv_icd10_splits(root)
            splits = {"train": mimic["train"], "dev": mimic["val"], "test": mimic["test"]}
        else:
            raise typer.BadParameter(
                f"unknown dataset {name!r}; expected codiesp or mimiciv_icd10", param_hint="NAME"
            )
        for split, docs in splits.items():
            path = write_documents(docs, out_dir / f"{split}.{fmt}")
            typer.echo(f"wrote {len(docs)} documents to {path}")
    except (InputFormatError, FileNotFoundError, ValueError) as exc:
        raise _fail(exc) from exc


@app.command("codiesp-report")
def codiesp_report(
    root: Path | None = typer.Option(None, "--root", help="CodiEsp folder (default: shared data)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the markdown report here."),
) -> None:
    """Count CodiEsp codes (CIE-10-ES 2018) that are not in the current ICD-10-CM / ICD-10-PCS."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.data.codiesp import codiesp_mapping_report, load_codiesp_splits
    from medcoder.paths import codiesp_dir

    try:
        report = codiesp_mapping_report(load_codiesp_splits(root or codiesp_dir()))
    except (InputFormatError, FileNotFoundError) as exc:
        raise _fail(exc) from exc
    table = Table(title=f"CodiEsp vs ICD-10-CM {report.cm_version} / ICD-10-PCS {report.pcs_version}")
    for col in ("split", "docs", "D rows", "D codes", "D unmapped", "P rows", "P codes", "P unmapped"):
        table.add_column(col, justify="left" if col == "split" else "right")
    for name, s in report.splits.items():
        table.add_row(
            name,
            str(s.documents),
            str(s.d_rows),
            str(s.d_codes),
            f"{s.d_unmapped_codes} ({s.d_unmapped_rows} rows)",
            str(s.p_rows),
            str(s.p_codes),
            f"{s.p_unmapped_codes} ({s.p_unmapped_rows} rows)",
        )
    Console().print(table)
    typer.echo(
        f"distinct D codes {report.d_codes_total}, unmapped {len(report.unmapped_d)}; "
        f"distinct P codes {report.p_codes_total}, unmapped {len(report.unmapped_p)}"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report.to_markdown(), encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command("synth")
def synth(
    n: int = typer.Option(SYNTH_DEFAULT_N, "--n", min=1, help="Number of documents."),
    seed: int = typer.Option(SYNTH_DEFAULT_SEED, "--seed", help="Random seed (same seed, same corpus)."),
    out: Path = typer.Option(Path("data/synthetic.jsonl"), "--out", help="Output .jsonl, .csv or .parquet."),
) -> None:
    """Generate the seeded synthetic corpus and write it."""
    from medcoder.data.io import write_documents
    from medcoder.data.synth import generate_corpus

    docs = generate_corpus(n=n, seed=seed)
    try:
        write_documents(docs, out)
    except InputFormatError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {len(docs)} documents to {out}")


def _parse_fractions(text: str) -> dict[str, float]:
    """Parse ``train=0.7,dev=0.1,cal=0.1,test=0.1`` into an ordered dict of split fractions."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise typer.BadParameter(f"expected NAME=FRACTION pairs, got {part!r}", param_hint="--fractions")
    return out


@app.command("prepare")
def prepare(
    n: int = typer.Option(SYNTH_DEFAULT_N, "--n", min=10, help="Number of synthetic documents."),
    seed: int = typer.Option(SYNTH_DEFAULT_SEED, "--seed", help="Corpus and split seed."),
    fractions: str = typer.Option(
        "train=0.7,dev=0.1,cal=0.1,test=0.1",
        "--fractions",
        help="Split fractions; `cal` is held out for calibration and routing (never trained on).",
    ),
    out_dir: Path = typer.Option(Path("data/synthetic"), "--out-dir", help="Folder for <split>.jsonl files."),
) -> None:
    """Generate the synthetic corpus and write deterministic splits (the DVC `prepare` stage)."""
    from medcoder.data.io import write_documents
    from medcoder.data.splits import split_documents
    from medcoder.data.synth import generate_corpus

    splits = split_documents(generate_corpus(n=n, seed=seed), _parse_fractions(fractions), seed=seed)
    for name, docs in splits.items():
        path = write_documents(docs, out_dir / f"{name}.jsonl")
        typer.echo(f"wrote {len(docs)} documents to {path}")


def register(root: typer.Typer) -> None:
    """Add the ``data`` sub-command group to the root medcoder command."""
    root.add_typer(app, name="data")
