"""The main job: ``medcoder demo`` (filled in as the pipeline grows)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add ``medcoder demo`` to the root command."""
