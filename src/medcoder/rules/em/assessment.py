"""The :class:`EmAssessment` record: what the documentation supports for one E/M service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.extract import Evidence
from medcoder.rules.em.mdm import ElementLevel
from medcoder.rules.em.records import EmLine, FamilyDecision


class EmAssessment(BaseModel):
    """The supported level of a note in one family, with every element's level and evidence.

    ``basis`` is ``time``, ``mdm``, ``age`` (preventive) or ``none`` (nothing supports a level).
    ``lines`` are the claim lines the note supports: the primary code, add-ons with units
    (99417, G2212, 99418, G0316-G0318, 99292) and, for a preventive visit with a separately
    identifiable problem, the problem-oriented office code with modifier 25. ``fallback_from``
    names the family first chosen when the note was levelled in another (critical care under 30
    minutes).
    """

    model_config = ConfigDict(frozen=True)

    billed: str | None
    family: str
    minutes: int | None
    time_code: str | None
    elements: tuple[ElementLevel, ...]
    mdm_level: int | None
    mdm_label: str
    mdm_code: str | None
    supported_code: str | None
    basis: str  # "time", "mdm", "age" or "none"
    family_label: str = ""
    family_source: str = "billed_code"
    family_decisions: tuple[FamilyDecision, ...] = ()
    time_evidence: Evidence | None = None
    lines: tuple[EmLine, ...] = ()
    notes: tuple[str, ...] = ()
    age: int | None = None
    fallback_from: str | None = None

    def add_ons(self) -> tuple[EmLine, ...]:
        """The add-on lines (everything after the primary line that has no modifier 25)."""
        return tuple(ln for ln in self.lines[1:] if "25" not in ln.modifiers)
