"""The E/M family tables of ``data/em_families.yaml`` as typed records, validated when loaded.

A :class:`Family` lists its codes lowest level first, each with the MDM level it needs, the
minimum total minutes (time-based families) or the oldest age of its band (preventive), and the
family's add-on rule (prolonged service or critical care).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from medcoder.errors import InputFormatError
from medcoder.rules.resources import load_data

DATA_FILE = "em_families.yaml"
Basis = Literal["mdm_or_time", "mdm", "time", "age"]


class LevelRow(BaseModel):
    """One code of a family: MDM needed, minimum minutes, oldest age (whichever apply)."""

    model_config = ConfigDict(frozen=True)
    code: str
    mdm: int | None = None
    minutes: int | None = None
    max_age: int | None = None


class Prolonged(BaseModel):
    """Prolonged-service add-on for the family's top code: CPT from the minimum + 15 minutes;
    Medicare's code from its own threshold (None where Medicare has none, e.g. consults)."""

    model_config = ConfigDict(frozen=True)
    code: str
    medicare_code: str | None = None
    medicare_first_at: int | None = None


class CriticalCareAddOn(BaseModel):
    """99292: first unit at ``cpt_first_at`` (CPT) or ``medicare_first_at`` (CMS), one per ``step``."""

    model_config = ConfigDict(frozen=True)
    code: str
    cpt_first_at: int
    medicare_first_at: int
    step: int


class Family(BaseModel):
    """One E/M family (office new, hospital subsequent, ...) and how it is levelled."""

    model_config = ConfigDict(frozen=True)
    name: str
    label: str
    effective_from: dt.date
    basis: Basis
    codes: tuple[LevelRow, ...]
    minimal: str | None = None  # ED 99281: no MDM level, never compared
    prolonged: Prolonged | None = None
    add_on: CriticalCareAddOn | None = None
    default_without_time: str | None = None
    problem_family: str | None = None  # preventive: the office family of a separate problem visit
    note: str | None = None

    def rank(self, code: str) -> int:
        """Position of ``code`` in the family, lowest level 0 (the minimal ED code is -1)."""
        if code == self.minimal:
            return -1
        return [r.code for r in self.codes].index(code)

    def all_codes(self) -> set[str]:
        return {r.code for r in self.codes} | ({self.minimal} if self.minimal else set())


@functools.cache
def families() -> dict[str, Family]:
    """Every family by name, from ``em_families.yaml`` (bad rows name the family)."""
    body = load_data(DATA_FILE)[1]
    out = {}
    for name, raw in body["families"].items():
        rows = tuple(LevelRow(code=c, **(v or {})) for c, v in raw["codes"].items())
        try:
            out[name] = Family(name=name, **{**raw, "codes": rows})
        except ValidationError as e:
            raise InputFormatError(f"family {name}: {e.errors()[0]['msg']}", path=DATA_FILE) from e
    return out


@functools.cache
def family_settings() -> dict:
    """The family-selection maps and note cues of ``em_families.yaml``."""
    return load_data(DATA_FILE)[1]


def family_of_code(code: str) -> Family | None:
    """The family a primary E/M code belongs to (None for add-ons and non-E/M codes)."""
    for fam in families().values():
        if code in fam.all_codes():
            return fam
    return None


def add_on_codes() -> set[str]:
    """Add-on codes the families can report (99417, G2212, 99418, G0316-G0318, 99292)."""
    out: set[str] = set()
    for fam in families().values():
        if fam.prolonged:
            out |= {fam.prolonged.code} | (
                {fam.prolonged.medicare_code} if fam.prolonged.medicare_code else set()
            )
        if fam.add_on:
            out.add(fam.add_on.code)
    return out
