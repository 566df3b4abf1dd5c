"""Errors with enough context (file, line, field) for a user to fix the input."""

from __future__ import annotations

from pathlib import Path


class MedcoderError(Exception):
    """Base class for errors medcoder raises on purpose."""


class InputFormatError(MedcoderError, ValueError):
    """A file or payload is malformed; the message names where and what is wrong."""

    def __init__(self, problem: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        super().__init__(f"{where}{problem}")
