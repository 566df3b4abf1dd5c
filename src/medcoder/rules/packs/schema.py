"""The pack format (see ``medcoder/rules/README.md``): a header, coverage rules and payer rules.

Everything is validated when the pack is built: unknown keys, bad code ranges, dates in the
wrong order, duplicate rule ids and rules without any condition are errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medcoder.data.records import Sex
from medcoder.rules.codes import parse_icd_range, parse_proc_range
from medcoder.rules.findings import Severity

_STRICT = ConfigDict(frozen=True, extra="forbid")
ACTION_SEVERITY = {"deny": Severity.ERROR, "review": Severity.WARNING, "info": Severity.INFO}


def _icd_list(v: list[str]) -> list[str]:
    for item in v:
        try:
            parse_icd_range(item)
        except ValueError as e:
            raise ValueError(f"{item!r} is not an ICD-10-CM code or range ({e})") from e
    return v


def _proc_list(v: list[str]) -> list[str]:
    for item in v:
        try:
            parse_proc_range(item)
        except ValueError as e:
            raise ValueError(f"{item!r} is not a CPT/HCPCS code or range ({e})") from e
    return v


class PackHeader(BaseModel):
    model_config = _STRICT

    id: str = Field(min_length=1)
    kind: Literal["medical_necessity", "payer_rules"]
    title: str
    source: str = Field(min_length=1, description="Who publishes the policy; say EXAMPLE for made-up packs.")
    version: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    contractor: str | None = None
    payers: list[str] = Field(
        default_factory=list, description="Payer ids it applies to; empty = every payer."
    )

    @model_validator(mode="after")
    def _dates(self) -> PackHeader:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to} is before effective_from {self.effective_from}"
            )
        return self


class CoverageRule(BaseModel):
    """Procedure codes covered only for the listed diagnoses (LCD-style)."""

    model_config = _STRICT

    id: str = Field(min_length=1)
    procedures: list[str] = Field(min_length=1)
    covered_diagnoses: list[str] = Field(min_length=1)
    non_covered_diagnoses: list[str] = Field(default_factory=list)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    message: str | None = None

    _p = field_validator("procedures")(_proc_list)
    _c = field_validator("covered_diagnoses", "non_covered_diagnoses")(_icd_list)


class AgeBounds(BaseModel):
    model_config = _STRICT
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Frequency(BaseModel):
    model_config = _STRICT
    max: int = Field(ge=0, description="Most services allowed in the window, this one included.")
    days: int = Field(ge=1, description="Window length in days ending on the date of service.")


class Conditions(BaseModel):
    """All given conditions must hold for the rule to fire (logical AND)."""

    model_config = _STRICT

    procedures_any: list[str] = Field(default_factory=list)
    diagnoses_any: list[str] = Field(default_factory=list)
    diagnoses_none: list[str] = Field(default_factory=list)
    modifiers_any: list[str] = Field(default_factory=list)
    modifiers_missing: list[str] = Field(default_factory=list)
    age: AgeBounds | None = None
    sex: Sex | None = None
    place_of_service: list[str] = Field(default_factory=list)
    units_over: int | None = Field(default=None, ge=0)
    frequency: Frequency | None = None

    _p = field_validator("procedures_any")(_proc_list)
    _d = field_validator("diagnoses_any", "diagnoses_none")(_icd_list)

    @model_validator(mode="after")
    def _not_empty(self) -> Conditions:
        if not any(v not in (None, []) for v in self.__dict__.values()):
            raise ValueError("a rule needs at least one condition under 'when'")
        return self


class PayerRule(BaseModel):
    """A declarative payer rule: when the conditions hold, report ``message`` with ``action``'s severity."""

    model_config = _STRICT

    id: str = Field(min_length=1)
    description: str | None = None
    when: Conditions
    action: Literal["deny", "review", "info"]
    message: str = Field(min_length=1)
    fix: str | None = None


class Pack(BaseModel):
    """A validated rule pack."""

    model_config = _STRICT

    pack: PackHeader
    coverage: list[CoverageRule] = Field(default_factory=list)
    rules: list[PayerRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Pack:
        ids = [r.id for r in self.coverage] + [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id(s): {', '.join(dup)}")
        if self.pack.kind == "medical_necessity" and not self.coverage:
            raise ValueError("a medical_necessity pack needs at least one 'coverage' rule")
        if self.pack.kind == "payer_rules" and not self.rules:
            raise ValueError("a payer_rules pack needs at least one entry under 'rules'")
        return self

    def applies(self, payer: str | None, day: dt.date) -> bool:
        """Whether the pack is in force for this payer on this date."""
        h = self.pack
        if h.payers and (payer or "").upper() not in {p.upper() for p in h.payers}:
            return False
        return h.effective_from <= day and (h.effective_to is None or day <= h.effective_to)
