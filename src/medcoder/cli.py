"""The ``medcoder`` command.

Each area owns ``medcoder/<area>/cli.py`` with a ``register(root)`` function that adds its
sub-commands (a typer group such as ``codes`` or single commands such as ``validate``). Area CLI
modules import heavy libraries (torch, transformers) inside their commands, not at import time,
so ``medcoder --help`` stays fast.
"""

from __future__ import annotations

import importlib
import logging

import typer

AREAS = (
    "medcoder.terminology.cli",
    "medcoder.data.cli",
    "medcoder.ingest.cli",
    "medcoder.training.cli",
    "medcoder.coding.cli",
    "medcoder.evaluation.cli",
    "medcoder.evaluation.model_eval",
    "medcoder.rules.cli",
    "medcoder.audit.cli",
    "medcoder.evaluation.routing_cli",
    "medcoder.claims.cli",
    "medcoder.monitoring.cli",
    "medcoder.review.cli",
    "medcoder.serving.cli",
    "medcoder.demo",
)

app = typer.Typer(
    name="medcoder",
    help="Automated medical coding: code sets, data, training, rules, intake and the coding service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for _name in AREAS:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":
    app()
