"""Which E/M family a note is levelled in, and which source decided it.

Precedence, highest first: (1) a billed E/M code decides the family outright; (2) request
metadata (encounter class, place of service, new patient); (3) the document (setting, doc_type);
(4) cues in the note text (``cues`` in ``data/em_families.yaml``). The family is put together
from three decisions, each taken from the highest source that has it: the *place* (office, home,
emergency, hospital, nursing facility), the *service* (preventive, consult, critical care,
initial, subsequent, same-day, discharge) and, where it matters, new vs established patient.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.extract import Evidence
from medcoder.rules.em.records import EmFacts, FamilyDecision
from medcoder.rules.em.tables import Family, families, family_of_code, family_settings
from medcoder.rules.em.text import compile_ci, negated, sentences

SOURCES = ("billed_code", "metadata", "document", "note")  # precedence, highest first


class FamilyChoice(BaseModel):
    """The chosen family (None when nothing says what kind of visit it was) and why."""

    model_config = ConfigDict(frozen=True)
    family: Family | None
    decisions: tuple[FamilyDecision, ...]

    @property
    def source(self) -> str:
        """The sources that decided, highest first, joined by "+" ("metadata+note"); "default" if none."""
        used = {d.source for d in self.decisions}
        return "+".join(s for s in SOURCES if s in used) or "default"


@functools.cache
def _cues() -> dict[str, dict[str, list[re.Pattern[str]]]]:
    raw = family_settings()["cues"]
    return {
        group: {name: [compile_ci(p) for p in pats] for name, pats in raw[group].items()}
        for group in ("place", "service", "patient_status")
    }


def find_cue(note: str, patterns: list[re.Pattern[str]], element: str = "family") -> Evidence | None:
    """The first non-negated match of any pattern in the note, as evidence."""
    for off, sent in sentences(note):
        for p in patterns:
            for m in p.finditer(sent):
                if not negated(sent, m.start()):
                    return Evidence(
                        element=element, kind="cue", text=m.group(), start=off + m.start(), end=off + m.end()
                    )
    return None


def _note_cue(note: str, group: str, allowed: set[str] | None = None) -> tuple[str, Evidence] | None:
    for name, pats in _cues()[group].items():
        if allowed is not None and name not in allowed:
            continue
        ev = find_cue(note, pats)
        if ev is not None:
            return name, ev
    return None


def _place(note: str, facts: EmFacts) -> FamilyDecision | None:
    cfg = family_settings()
    ec = (facts.encounter_class or "").strip().upper()
    if ec in cfg["encounter_class"]:
        return FamilyDecision(
            aspect="place",
            value=cfg["encounter_class"][ec],
            source="metadata",
            detail=f"encounter_class={ec}",
        )
    pos = (facts.place_of_service or "").strip().zfill(2) if facts.place_of_service else ""
    if pos in cfg["place_of_service"]:
        return FamilyDecision(
            aspect="place",
            value=cfg["place_of_service"][pos],
            source="metadata",
            detail=f"place_of_service={pos}",
        )
    if facts.setting in cfg["setting"]:
        return FamilyDecision(
            aspect="place",
            value=cfg["setting"][facts.setting],
            source="document",
            detail=f"setting={facts.setting}",
        )
    dt_place = cfg["doc_type"].get(facts.doc_type or "", {}).get("place")
    if dt_place:
        return FamilyDecision(
            aspect="place", value=dt_place, source="document", detail=f"doc_type={facts.doc_type}"
        )
    hit = _note_cue(note, "place")
    if hit:
        return FamilyDecision(
            aspect="place", value=hit[0], source="note", detail=f"note cue {hit[1].text!r}", evidence=hit[1]
        )
    return None


def _service(note: str, facts: EmFacts, place: str | None) -> FamilyDecision | None:
    cfg = family_settings()
    allowed = set(cfg["family_of"][place]) - {"*"} if place else None
    dt_row = cfg["doc_type"].get(facts.doc_type or "", {})
    dt_service = dt_row.get("service")
    usable = dt_service and (allowed is None or dt_service in allowed)
    if usable and not dt_row.get("weak"):
        return FamilyDecision(
            aspect="service", value=dt_service, source="document", detail=f"doc_type={facts.doc_type}"
        )
    hit = _note_cue(note, "service", allowed)
    if hit:
        return FamilyDecision(
            aspect="service", value=hit[0], source="note", detail=f"note cue {hit[1].text!r}", evidence=hit[1]
        )
    if usable:
        return FamilyDecision(
            aspect="service", value=dt_service, source="document", detail=f"doc_type={facts.doc_type}"
        )
    return None


def _status(note: str, facts: EmFacts) -> FamilyDecision:
    if facts.new_patient is not None:
        value = "new" if facts.new_patient else "established"
        return FamilyDecision(
            aspect="patient_status", value=value, source="metadata", detail=f"new_patient={facts.new_patient}"
        )
    hit = _note_cue(note, "patient_status")
    if hit:
        return FamilyDecision(
            aspect="patient_status",
            value=hit[0],
            source="note",
            detail=f"note cue {hit[1].text!r}",
            evidence=hit[1],
        )
    return FamilyDecision(
        aspect="patient_status",
        value="established",
        source="default",
        detail="no new-patient cue: established",
    )


def choose_family(note: str, billed: str | None = None, facts: EmFacts | None = None) -> FamilyChoice:
    """The family to level ``note`` in. A billed code that is not an E/M primary code raises ValueError."""
    facts = facts or EmFacts()
    if billed:
        fam = family_of_code(billed)
        if fam is None:
            raise ValueError(f"{billed} is not an E/M code medcoder levels (see data/em_families.yaml)")
        return FamilyChoice(
            family=fam,
            decisions=(
                FamilyDecision(
                    aspect="family", value=fam.name, source="billed_code", detail=f"billed {billed}"
                ),
            ),
        )
    place = _place(note, facts)
    service = _service(note, facts, place.value if place else None)
    status = _status(note, facts)
    if place is None and service is None and status.source == "default":
        return FamilyChoice(family=None, decisions=())
    if place is None:
        default = "hospital" if service is not None and service.value == "critical_care" else "office"
        place = FamilyDecision(
            aspect="place", value=default, source="default", detail=f"no place given: {default}"
        )
    table = family_settings()["family_of"][place.value]
    base = table.get(service.value if service else "*", table["*"])
    used = [place] + ([service] if service else [])
    if base in ("office", "home", "preventive"):  # these families split new / established
        base = f"{base}_{status.value}"
        used.append(status)
    return FamilyChoice(family=families()[base], decisions=tuple(used))


def fallback_family(choice: FamilyChoice, note: str, facts: EmFacts | None = None) -> Family:
    """The family critical care under 30 minutes is levelled in: the place's other family."""
    facts = facts or EmFacts()
    place = next((d.value for d in choice.decisions if d.aspect == "place"), None)
    if place is None:
        found = _place(note, facts)
        place = found.value if found else "hospital"
    name = family_settings()["critical_care_fallback"][place]
    if name in ("office", "home"):
        name = f"{name}_{_status(note, facts).value}"
    return families()[name]
