"""The Encounter input record that :func:`medcoder.rules.validate` checks.

An encounter is what a claim line set describes: the codes (with system, modifiers, units and
which diagnosis is first-listed), the patient's age and sex, the payer, the date and place of
service, the setting, and optionally the note text (for E/M leveling, HCC support and CDI) and
the patient's HCCs from prior years (for recapture). It is a pydantic model so that a JSON file
(``medcoder validate encounter.json``) is validated with messages that name the bad field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medcoder.data.records import CodeSystem, Document, Setting, Sex
from medcoder.errors import InputFormatError

PROCEDURE_SYSTEMS = frozenset({CodeSystem.CPT, CodeSystem.HCPCS})


class EncounterCode(BaseModel):
    """One code on the encounter. ``position`` 1 marks the first-listed (principal) diagnosis."""

    model_config = ConfigDict(frozen=True)

    system: CodeSystem
    code: str = Field(min_length=1)
    modifiers: tuple[str, ...] = ()
    units: int = Field(default=1, ge=0)
    position: int | None = Field(default=None, ge=1)

    @field_validator("code")
    @classmethod
    def _strip_code(cls, v: str) -> str:
        return v.strip().upper()

    @field_validator("modifiers")
    @classmethod
    def _upper_mods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m.strip().upper() for m in v if m.strip())


class PatientInfo(BaseModel):
    """Age in whole years on the date of service and administrative sex."""

    model_config = ConfigDict(frozen=True)

    age: int | None = Field(default=None, ge=0, le=130)
    sex: Sex = Sex.UNKNOWN


class PriorService(BaseModel):
    """A service billed before this encounter (for payer frequency limits)."""

    model_config = ConfigDict(frozen=True)

    code: str
    date: dt.date

    @field_validator("code")
    @classmethod
    def _strip_code(cls, v: str) -> str:
        return v.strip().upper()


class Encounter(BaseModel):
    """Everything the rules engine needs about one encounter (one date of service)."""

    model_config = ConfigDict(frozen=True)

    id: str = "encounter"
    date_of_service: dt.date
    patient: PatientInfo = Field(default_factory=PatientInfo)
    payer: str | None = None
    place_of_service: str | None = Field(default=None, description="CMS two-digit POS code, e.g. '11'.")
    setting: Setting = Setting.OUTPATIENT
    provider_type: str = Field(default="practitioner", pattern="^(practitioner|hospital_outpatient)$")
    codes: tuple[EncounterCode, ...] = ()
    note_text: str | None = None
    prior_hccs: tuple[str, ...] = ()
    prior_services: tuple[PriorService, ...] = ()

    def diagnoses(self) -> list[EncounterCode]:
        """ICD-10-CM codes in claim order: the one with ``position`` 1 first, then file order."""
        dx = [c for c in self.codes if c.system is CodeSystem.ICD10CM]
        return sorted(dx, key=lambda c: (c.position is None, c.position or 0))

    def first_listed(self) -> EncounterCode | None:
        """The first-listed diagnosis (position 1, else the first ICD-10-CM code given)."""
        dx = self.diagnoses()
        return dx[0] if dx else None

    def procedures(self) -> list[EncounterCode]:
        """CPT and HCPCS lines in file order."""
        return [c for c in self.codes if c.system in PROCEDURE_SYSTEMS]


def encounter_from_document(
    doc: Document,
    codes: Sequence[tuple[CodeSystem | str, str]],
    *,
    em_code: str | None = None,
    prior_hccs: Sequence[str] = (),
) -> Encounter:
    """The encounter the rules check for a coded note: ``codes`` in rank order.

    The first ICD-10-CM code is first-listed; a billed ``em_code`` is added as a CPT line. A note
    without a date of service is checked as of today (UTC) and one without a setting as an
    outpatient visit. Serving and router fitting both build encounters here, so the rule features a
    router learns from are the ones it sees in service.
    """
    lines: list[EncounterCode] = []
    position = 1
    for system, code in codes:
        system = CodeSystem(system)
        if system is CodeSystem.ICD10CM:
            lines.append(EncounterCode(system=system, code=code, position=position))
            position += 1
        else:
            lines.append(EncounterCode(system=system, code=code))
    if em_code:
        lines.append(EncounterCode(system=CodeSystem.CPT, code=em_code))
    return Encounter(
        id=doc.id,
        date_of_service=doc.encounter_date or dt.datetime.now(dt.UTC).date(),
        patient=PatientInfo(age=doc.patient.age, sex=doc.patient.sex),
        payer=doc.payer,
        setting=doc.setting if doc.setting is not Setting.UNKNOWN else Setting.OUTPATIENT,
        codes=tuple(lines),
        note_text=doc.text,
        prior_hccs=tuple(prior_hccs),
    )


def load_encounter(path: str | Path) -> Encounter:
    """Read an encounter JSON file; a malformed file raises InputFormatError naming the file and field."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputFormatError("file not found", path=p) from e
    except json.JSONDecodeError as e:
        raise InputFormatError(f"invalid JSON: {e.msg}", path=p, line=e.lineno) from e
    try:
        return Encounter.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputFormatError(f"field {where}: {first['msg']}", path=p) from e
