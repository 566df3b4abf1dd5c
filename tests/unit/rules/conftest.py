"""Helpers for the rules tests: fixture paths and a compact encounter builder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from medcoder.rules.encounter import Encounter

FIXTURES = Path(__file__).parent / "fixtures"


def make_encounter(
    dx: list[str] = (), procs: list[tuple] = (), *, day: dt.date = dt.date(2026, 5, 12), **kw
) -> Encounter:
    """Build an encounter: ``dx`` in claim order; ``procs`` as (code, modifiers, units) tuples."""
    codes = [{"system": "ICD-10-CM", "code": c} for c in dx]
    for p in procs:
        code, mods, units = (tuple(p) + ((), 1))[:3]
        codes.append({"system": "CPT", "code": code, "modifiers": list(mods), "units": units})
    return Encounter(date_of_service=day, codes=codes, **kw)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def enc():
    """The :func:`make_encounter` builder (test modules cannot import this conftest by name)."""
    return make_encounter
