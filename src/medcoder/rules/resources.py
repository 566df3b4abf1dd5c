"""Versioned rule data shipped inside the package (``medcoder/rules/data/*.yaml``).

Each file starts with a ``meta`` block: ``id``, ``source`` (who publishes the rule),
``version``, ``effective_from`` and ``effective_to`` (null = open ended). The engine uses the
dates to tell a coder when the date of service falls outside the data it checks against.
Files are read with :mod:`importlib.resources` when a function asks for them, never at import.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from medcoder.errors import InputFormatError


class DataMeta(BaseModel):
    """Provenance and validity window of one rule data file."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    notes: str | None = None

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` lies inside the validity window (both ends inclusive)."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@functools.cache
def load_data(name: str) -> tuple[DataMeta, dict[str, Any]]:
    """Parse ``medcoder/rules/data/<name>`` and return its meta and the whole mapping (cached)."""
    ref = resources.files("medcoder.rules") / "data" / name
    where = f"medcoder/rules/data/{name}"
    try:
        body = yaml.safe_load(ref.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputFormatError(f"invalid YAML: {e}", path=where) from e
    if not isinstance(body, dict) or "meta" not in body:
        raise InputFormatError("rule data file must be a mapping with a 'meta' block", path=where)
    try:
        meta = DataMeta.model_validate(body["meta"])
    except ValidationError as e:
        raise InputFormatError(f"bad meta block: {e.errors()[0]['msg']}", path=where) from e
    return meta, body
