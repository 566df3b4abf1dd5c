"""The main job, ``medcoder demo``: reproduce the training pipeline, then serve and code a note.

Steps, each a real component: ``dvc repro`` (prepare the synthetic corpus, data card, train the
default LAAT model, calibrate and fit the router, evaluate, package as a BentoML model), then
``bentoml serve`` on 127.0.0.1 and one ``code`` call over HTTP for the sample note, printed as a
readable result (codes, evidence, findings, E/M level, route). Stages whose inputs did not
change are skipped by DVC, so a second run goes straight to serving.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer

from medcoder.paths import REPO_ROOT

log = logging.getLogger(__name__)

DEFAULT_MODEL = Path("training/out/index_coder")  # the default coder, built by `medcoder train-index`
DEFAULT_NOTE = Path("configs/demo/sample_note.txt")
# The sample note's visit date: inside ICD-10-CM FY2026 (2025-10-01 to 2026-09-30), the window the
# shipped code set and rule data are effective for.
SAMPLE_DATE_OF_SERVICE = "2026-03-16"


def run_pipeline(repo: Path = REPO_ROOT) -> None:
    """Run ``dvc repro`` in ``repo`` with this interpreter's ``bin`` first on PATH."""
    bin_dir = Path(sys.executable).parent
    dvc = shutil.which("dvc", path=str(bin_dir)) or shutil.which("dvc")
    if dvc is None:
        raise RuntimeError("dvc is not installed: run `make install` first")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([dvc, "repro"], cwd=repo, env=env, check=True)


def demo_cmd(
    note: Path = typer.Option(DEFAULT_NOTE, "--note", help="Text file to code."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", help="Model directory the pipeline writes."),
    skip_pipeline: bool = typer.Option(False, "--skip-pipeline", help="Use an existing model directory."),
    date_of_service: str = typer.Option(
        SAMPLE_DATE_OF_SERVICE,
        "--date-of-service",
        help="YYYY-MM-DD; the default lies inside the FY2026 code-set and rule windows.",
    ),
) -> None:
    """Train the default model with `dvc repro` if needed, serve it, and code a sample note over HTTP."""
    from medcoder.serving.demo import serve_and_code

    if not skip_pipeline:
        try:
            run_pipeline()
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            typer.secho(f"the training pipeline failed: {exc}", fg="red", err=True)
            raise typer.Exit(1) from exc
    model_dir = model if model.is_absolute() else REPO_ROOT / model
    note_path = note if note.is_absolute() or note.exists() else REPO_ROOT / note
    if not model_dir.exists():
        typer.secho(f"no model directory at {model_dir}: run without --skip-pipeline", fg="red", err=True)
        raise typer.Exit(1)
    serve_and_code(model_dir, note_path, date_of_service=date_of_service)


def register(root: typer.Typer) -> None:
    """Add ``medcoder demo`` to the root command."""
    root.command("demo")(demo_cmd)
