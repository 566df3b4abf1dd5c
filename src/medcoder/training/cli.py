"""Command-line entry points of medcoder.training (registered by medcoder.cli):
``medcoder train``, ``medcoder tune`` and ``medcoder code``. Heavy imports happen inside commands."""

from __future__ import annotations

from pathlib import Path

import typer

DATA_HELP = "JSONL/CSV/Parquet documents, or codiesp:<split>[:D|P] for the shared CodiEsp corpus (English)"


def read_dataset(spec: str) -> list:
    """Documents from a file (``medcoder.data.io.read_documents``) or ``codiesp:<split>[:<task>]``."""
    if spec.startswith("codiesp:"):
        from medcoder.data.codiesp import load_codiesp
        from medcoder.paths import codiesp_dir

        _, split, *task = spec.split(":")
        return load_codiesp(codiesp_dir(), split, language="en", tasks=task or ["D"])
    from medcoder.data.io import read_documents

    return read_documents(spec)


def _overrides(items: list[str]) -> dict[str, object]:
    import yaml

    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set needs key=value (e.g. optim.lr=0.001), got {item!r}")
        out[key.replace(".", "__")] = yaml.safe_load(value)
    return out


def _params_overrides(path: Path | None, section: str) -> dict[str, object]:
    """Nested keys of ``path[section]`` as ``a__b`` overrides (what ``medcoder tune`` writes back)."""
    if path is None:
        return {}
    import yaml

    def walk(node: dict, prefix: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for k, v in node.items():
            out.update(walk(v, f"{prefix}{k}__") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    return walk((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(section) or {}, "")


def train_cmd(
    config: Path = typer.Option(Path("configs/model/laat.yaml"), help="training YAML (configs/model/)"),
    train: str = typer.Option(..., help=DATA_HELP),
    dev: str = typer.Option(..., help=DATA_HELP),
    out: Path = typer.Option(..., help="model directory to write"),
    set_: list[str] = typer.Option([], "--set", help="override a config key: --set optim.lr=0.001"),
    track: bool | None = typer.Option(None, "--track/--no-track", help="MLflow logging (default: config)"),
    params: Path | None = typer.Option(
        None, help="YAML whose SECTION overrides the config (e.g. params.yaml)"
    ),
    params_section: str = typer.Option("train", help="section of --params to apply"),
) -> None:
    """Train LAAT or PLM-ICD, tune decision thresholds on dev and write one model directory."""
    from rich.console import Console

    from medcoder.models.config import load_config
    from medcoder.training.pipeline import train_model

    cfg = load_config(config, **_params_overrides(params, params_section), **_overrides(set_))
    result = train_model(cfg, read_dataset(train), read_dataset(dev), out, track=track)
    console = Console()
    console.print(f"model directory: {result.model_dir}")
    for key in (
        "dev_map",
        "dev_map_all_gold",
        "dev_micro_f1",
        "dev_macro_f1",
        "train_docs_per_s",
        "infer_docs_per_s",
    ):
        console.print(f"  {key}: {result.metrics[key]:.4f}")
    if result.tracking:
        console.print(f"  MLflow: {result.tracking['model_name']} version {result.tracking['model_version']}")


def tune_cmd(
    config: Path = typer.Option(Path("configs/model/laat.yaml"), help="base training YAML"),
    train: str = typer.Option(..., help=DATA_HELP),
    dev: str = typer.Option(..., help=DATA_HELP),
    trials: int = typer.Option(10, min=1),
    timeout_min: float | None = typer.Option(None, help="stop starting trials after this many minutes"),
    work_dir: Path = typer.Option(Path("training/tune"), help="trial model directories"),
    params_file: Path = typer.Option(Path("params.yaml"), help="YAML the best parameters are merged into"),
    section: str = typer.Option("train", help="section of params_file to update"),
    set_: list[str] = typer.Option([], "--set", help="override a base config key"),
) -> None:
    """Optuna search (pruned on dev MAP, trials tracked in MLflow); best params written to PARAMS_FILE."""
    from medcoder.models.config import load_config
    from medcoder.training.tune import tune, write_best_params

    base = load_config(config, **_overrides(set_))
    res = tune(
        base,
        read_dataset(train),
        read_dataset(dev),
        work_dir,
        trials,
        timeout_s=timeout_min * 60 if timeout_min else None,
    )
    path = write_best_params(res.best_params, params_file, section)
    typer.echo(
        f"best dev_map {res.best_value:.4f} over {res.n_trials} trials ({res.n_pruned} pruned): "
        f"{res.best_params} -> {path}"
    )


def train_index_cmd(
    out: Path = typer.Option(Path("training/out/index_coder"), "--out", help="Model directory to write."),
    codiesp: Path = typer.Option(None, "--codiesp", help="CodiEsp folder (default: the shared data)."),
) -> None:
    """Train the index coder (Alphabetic Index candidates + reranker) and write its model directory."""
    import json

    from medcoder.training.index_coder import train_index_coder

    _, metrics = train_index_coder(out, codiesp)
    typer.echo(json.dumps(metrics, indent=2))


def evaluate_index_cmd(
    model: Path = typer.Option(Path("training/out/index_coder"), "--model", help="Index-coder directory."),
    split: str = typer.Option(
        "dev", "--split", help="Realistic split: dev (tune part) or holdout (final only)."
    ),
    out: Path = typer.Option(None, "--out", help="Write the metrics as JSON here."),
) -> None:
    """Score the index coder on the team's realistic notes (and CodiEsp-D dev)."""
    import json

    from medcoder.training.index_coder import evaluate_index

    if split not in ("dev", "holdout"):
        raise typer.BadParameter("split must be dev or holdout")
    text = json.dumps(evaluate_index(model, split), indent=2)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


def register(root: typer.Typer) -> None:
    """Add ``train`` and ``tune`` to the root medcoder command (``code`` is ``medcoder.coding.cli``)."""
    root.command("train")(train_cmd)
    root.command("tune")(tune_cmd)
    root.command("train-index")(train_index_cmd)
    root.command("evaluate-index")(evaluate_index_cmd)
