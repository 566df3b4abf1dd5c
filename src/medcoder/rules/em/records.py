"""Small records the E/M modules pass around: claim lines and family decisions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.extract import Evidence


class EmLine(BaseModel):
    """One E/M claim line the documentation supports (primary, add-on or separate problem visit)."""

    model_config = ConfigDict(frozen=True)
    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    reason: str = ""


class FamilyDecision(BaseModel):
    """One part of choosing the family: the place, the kind of service, or new vs established.

    ``source`` is ``billed_code``, ``metadata``, ``document``, ``note`` or ``default``; ``detail``
    names the field or cue (``encounter_class=IMP``, ``doc_type=discharge_summary``) and
    ``evidence`` is the note span for a note cue.
    """

    model_config = ConfigDict(frozen=True)
    aspect: str  # place | service | patient_status | family
    value: str
    source: str
    detail: str
    evidence: Evidence | None = None


class EmFacts(BaseModel):
    """What the request and the document say about the encounter, for choosing the family.

    ``encounter_class``: FHIR v3 ActCode (AMB, EMER, IMP, ACUTE, NONAC, OBSENC, HH, VR, SS) or
    NF/SNF for a nursing facility; ``place_of_service``: CMS two-digit POS code; ``setting`` and
    ``doc_type``: the ``Document``'s; ``age``: whole years on the date of service (preventive band);
    ``payer``: Medicare is recognised by name (prolonged-service and critical care add-ons).
    """

    model_config = ConfigDict(frozen=True)
    encounter_class: str | None = None
    new_patient: bool | None = None
    place_of_service: str | None = None
    setting: str | None = None
    doc_type: str | None = None
    age: int | None = None
    payer: str | None = None
