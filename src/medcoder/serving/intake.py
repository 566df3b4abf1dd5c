"""A ``CodeRequest`` becomes a ``Document`` plus what the rules need; bad content raises ServingError.

Checks here need more than a type: exactly one of text / FHIR, a note that is not empty and not
over the configured size, a FHIR DocumentReference that parses (422 pointing at the field), a known
payer, a date of service that is not in the future.
"""

from __future__ import annotations

import datetime as dt
import uuid

from medcoder.coding.config import PipelineConfig
from medcoder.coding.context import EncounterContext, normalise_text, today_utc
from medcoder.data.records import Document, Patient, Setting
from medcoder.errors import InputFormatError
from medcoder.ingest.fhir_parse import document_from_docref
from medcoder.serving.errors import ServingError, empty_note, fhir_pointer, note_too_large
from medcoder.serving.schemas import CodeRequest


def _from_fhir(resource: dict, pointer: str) -> Document:
    if resource.get("resourceType") != "DocumentReference":
        raise ServingError(
            422, "fhir must be a FHIR R4 DocumentReference resource", pointer + "/resourceType"
        )
    try:
        return document_from_docref(resource, where="request").document
    except InputFormatError as exc:
        raise ServingError(422, exc.problem, pointer + fhir_pointer(exc.problem)[len("/fhir") :]) from None
    except (ValueError, TypeError):  # malformed beyond what the model validation reports
        raise ServingError(422, "fhir is not a valid DocumentReference", pointer) from None


def to_document(
    req: CodeRequest, config: PipelineConfig, *, pointer: str = "", today: dt.date | None = None
) -> tuple[Document, EncounterContext]:
    """The Document to code and its context, or ServingError (413/422) naming the field."""
    if (req.text is None) == (req.fhir is None):
        raise ServingError(422, "give exactly one of 'text' or 'fhir'", pointer or "/")
    if req.fhir is not None:
        doc = _from_fhir(req.fhir, pointer + "/fhir")
        text, where = doc.text, pointer + "/fhir/content"
    else:
        doc, text, where = None, req.text or "", pointer + "/text"
    if len(text) > config.max_note_chars:
        raise note_too_large(len(text), config.max_note_chars, where)
    if not text.strip():
        raise empty_note(where)
    payer = req.payer.strip().upper() if req.payer else None
    known = {p.upper() for p in config.known_payers}
    if payer is not None and payer not in known:
        raise ServingError(422, f"unknown payer; known payers are {sorted(known)}", pointer + "/payer")
    today = today or today_utc()
    day = req.date_of_service or (doc.encounter_date if doc else None) or today
    if day > today + dt.timedelta(days=1):
        raise ServingError(422, "date_of_service is in the future", pointer + "/date_of_service")
    if req.patient.age is not None and day.year - req.patient.age < 1880:
        raise ServingError(422, "patient age is impossible for the date of service", pointer + "/patient/age")
    patient = Patient(age=req.patient.age, sex=req.patient.sex)
    if doc is not None and req.patient.age is None:
        patient = Patient(
            age=doc.patient.age, sex=doc.patient.sex if req.patient.sex.value == "U" else req.patient.sex
        )
    setting = req.setting if req.setting is not Setting.UNKNOWN or doc is None else doc.setting
    document = Document(
        id=req.document_id or (doc.id if doc else f"doc-{uuid.uuid4().hex[:16]}"),
        text=normalise_text(text),
        doc_type=doc.doc_type if doc else "note",
        setting=setting,
        patient=patient,
        encounter_date=day,
        payer=payer,
        source="fhir" if doc else "text",
        source_id=doc.source_id if doc else None,
    )
    ctx = EncounterContext(
        em_code=req.em_code.upper() if req.em_code else None,
        prior_hccs=tuple(h.strip() for h in req.prior_hccs if h.strip()),
        want_evidence=req.evidence,
    )
    return document, ctx
