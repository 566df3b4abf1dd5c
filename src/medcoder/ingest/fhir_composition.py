"""FHIR documents (a Composition, alone or first in a ``document`` Bundle) to ``Document`` records.

The Composition's sections (title + XHTML narrative) become the text and the ``Section`` records;
the Patient and Encounter it references (when in the same Bundle) give age, sex and setting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from medcoder.data.records import Document, Section
from medcoder.errors import InputFormatError
from medcoder.ingest.fhir_parse import (
    BundleIndex,
    _date,
    _doc_type,
    encounter_setting,
    patient_facts,
    reference_of,
    typed,
    validate,
)
from medcoder.ingest.model import IngestedDocument, Rejection
from medcoder.ingest.text import html_to_text


def document_from_composition(
    resource: dict, *, patient: dict | None = None, encounter: dict | None = None, where: str | None = None
) -> IngestedDocument:
    """A FHIR document (Composition) to a document whose sections are the Composition's sections."""
    comp = validate(resource, where=where, expect="Composition")
    pat = validate(patient, where=where, expect="Patient") if patient else None
    enc = validate(encounter, where=where, expect="Encounter") if encounter else None
    parts: list[str] = []
    sections: list[Section] = []
    pos = 0

    def add(secs: Iterable[Any], depth: int) -> None:
        nonlocal pos
        for sec in secs:
            start = pos
            body = html_to_text(sec.text.div, where=where) if sec.text and sec.text.div else ""
            block = "\n".join(x for x in (sec.title or "", body) if x)
            if block:
                parts.append(block + "\n\n")
                pos += len(block) + 2
            add(sec.section or [], depth + 1)
            name = (sec.title or "section").lower().replace(" ", "_")
            sections.append(Section(name, start, pos - 2 if pos - 2 > start else pos))

    add(comp.section or [], 0)
    text = "".join(parts)[:-2] if parts else ""
    sections = [Section(s.name, s.start, min(s.end, len(text))) for s in sections]
    when = _date(enc.period.start if enc is not None and enc.period else None) or _date(comp.date)
    doc = Document(
        id=f"fhir:Composition/{comp.id}", text=text, doc_type=_doc_type(comp.type), setting=encounter_setting(enc),
        patient=patient_facts(pat, when), encounter_date=when, sections=tuple(sections), source="fhir",
        source_id=f"Composition/{comp.id}",
    )  # fmt: skip
    return IngestedDocument(
        doc, status=comp.status, signed=bool(comp.attester), patient_id=comp.subject.reference if comp.subject else None,
        encounter_id=comp.encounter.reference if comp.encounter else None, patient_matched=pat is not None,
        encounter_matched=enc is not None,
    )  # fmt: skip


def safe_composition(res: dict, index: BundleIndex | None, where: str | None) -> IngestedDocument | Rejection:
    """``document_from_composition`` with its Patient and Encounter from ``index``; failures become a
    ``Rejection`` (a malformed ``subject`` such as ``"x"`` is reported by validation, not raised)."""
    rid = res.get("id") if isinstance(res, dict) else None
    source_id = f"Composition/{rid if isinstance(rid, str) else None}"
    try:
        if not isinstance(res, dict):
            raise InputFormatError(f"expected a Composition object, got {type(res).__name__}")
        subject = index.get(reference_of(res.get("subject"))) if index else None
        encounter = index.get(reference_of(res.get("encounter"))) if index else None
        return document_from_composition(
            res, patient=typed(subject, "Patient"), encounter=typed(encounter, "Encounter"), where=where
        )
    except InputFormatError as e:
        return Rejection(where or "fhir", e.problem, source_id)
