"""Command-line entry points of medcoder.terminology (registered by medcoder.cli)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root medcoder command."""
