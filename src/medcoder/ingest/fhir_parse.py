"""FHIR R4 resources to ``Document`` records: DocumentReference, Binary, Bundle, Composition,
Patient and Encounter.

Model choice: ``fhir.resources.R4B`` (pydantic v2 models, fhir.resources 8.3.0). The package
has no plain R4 module; R4B (4.3) is structurally identical to R4 (4.0.1) for every resource read
here, validates on construction with precise element paths in its errors (which become rejection
reasons), and decodes ``Attachment.data`` from base64 to bytes. fhirclient's 4.0.1 models are exact
R4 but validate loosely and come tied to its own synchronous client; we use httpx for the client
(medcoder.ingest.fhir_client) and these models only for parsing.

Whole resources and bundles are dispatched by ``medcoder.ingest.fhir_resource.parse_fhir_resource``.

Validation errors are reported by element path and error type only, never with the offending
values, so rejection reasons carry no PHI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from medcoder.data.records import Document, Patient, Section, Setting, Sex
from medcoder.errors import InputFormatError
from medcoder.ingest.attachments import DecodedText, decode_attachment
from medcoder.ingest.ccda import age_on
from medcoder.ingest.ccda_codes import ACT_ENCOUNTER, DOC_TYPES
from medcoder.ingest.model import IngestedDocument
from medcoder.ingest.text import content_type_parts
from medcoder.nlp.sections import rule_sections

log = logging.getLogger(__name__)

Fetch = Callable[[str], tuple[bytes, str | None]]
Sectionizer = Callable[[str], tuple[Section, ...]]
PREFERRED = ("text/plain", "text/html", "application/xhtml+xml", "application/hl7-v3+xml", "application/xml",
             "text/xml", "application/cda+xml", "application/pdf")  # fmt: skip
NOT_DOCUMENTS = {"Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage", "DocumentManifest", "Patient",
                 "Encounter", "Observation", "Practitioner", "Organization"}  # fmt: skip


def _model(resource_type: str) -> Any:
    # lazy: the R4B models take ~0.4 s to import; serving.intake imports this module at start-up
    from fhir.resources.R4B import binary, composition, documentreference, encounter, patient

    return {
        "DocumentReference": documentreference.DocumentReference,
        "Binary": binary.Binary,
        "Composition": composition.Composition,
        "Patient": patient.Patient,
        "Encounter": encounter.Encounter,
    }[resource_type]


def validate(resource: dict, *, where: str | None = None, expect: str | None = None) -> Any:
    """Build the R4B model for ``resource``; raise ``InputFormatError`` listing failing element paths.

    With ``expect``, a resource of another type is refused (a Patient is no DocumentReference).
    """
    if not isinstance(resource, dict):
        raise InputFormatError(f"expected a FHIR resource object, got {type(resource).__name__}", path=where)
    rtype = resource.get("resourceType")
    shown = rtype[:40] if isinstance(rtype, str) else rtype
    if expect is not None and rtype != expect:
        raise InputFormatError(f"expected a {expect}, got resourceType {shown!r}", path=where)
    try:
        model = _model(str(rtype))
    except KeyError as e:
        raise InputFormatError(f"resource type {shown!r} is not parsed here", path=where) from e
    try:
        return model.model_validate(resource)
    except ValidationError as e:
        paths = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['type']}" for err in e.errors()[:5])
        raise InputFormatError(f"invalid FHIR {rtype}: {paths}", path=where) from None
    except (ValueError, TypeError, AttributeError, RecursionError) as e:  # raised raw by fhir_core validators
        raise InputFormatError(f"invalid FHIR {rtype} ({type(e).__name__})", path=where) from None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def patient_facts(patient: Any | None, on: dt.date | None) -> Patient:
    """Age at ``on`` and sex from an R4B Patient (unknown when absent)."""
    if patient is None:
        return Patient()
    sex = {"female": Sex.FEMALE, "male": Sex.MALE}.get(patient.gender or "", Sex.UNKNOWN)
    return Patient(age=age_on(_date(patient.birthDate), on), sex=sex)


def encounter_setting(encounter: Any | None) -> Setting:
    """Setting from Encounter.class (v3 ActEncounterCode: AMB, IMP, EMER, ...)."""
    cls = getattr(encounter, "class_fhir", None) if encounter is not None else None
    return ACT_ENCOUNTER.get(getattr(cls, "code", None) or "", Setting.UNKNOWN)


def _doc_type(codeable: Any | None) -> str:
    for coding in getattr(codeable, "coding", None) or []:
        if coding.code in DOC_TYPES:
            return DOC_TYPES[coding.code]
    return "note"


def _choose_content(contents: Iterable[Any]) -> list[Any]:
    """Contents in order of preference (``PREFERRED`` content types first; no attachment last)."""

    def rank(c: Any) -> int:
        if c.attachment is None:
            return len(PREFERRED) + 1
        main, _ = content_type_parts(c.attachment.contentType)
        return PREFERRED.index(main) if main in PREFERRED else len(PREFERRED)

    return sorted(contents, key=rank)


def document_from_docref(
    resource: dict,
    *,
    patient: dict | None = None,
    encounter: dict | None = None,
    fetch: Fetch | None = None,
    sectionizer: Sectionizer | None = None,
    where: str | None = None,
) -> IngestedDocument:
    """Turn one DocumentReference (plus its Patient and Encounter, if known) into a document.

    ``patient`` and ``encounter`` are resource dicts or already validated R4B models.

    Inline ``attachment.data`` is decoded directly; an ``attachment.url`` is fetched with ``fetch``
    (a FHIR client, or a lookup in the surrounding Bundle).
    """
    dr = validate(resource, where=where, expect="DocumentReference")
    pat = _as_model(patient, where, "Patient")
    enc = _as_model(encounter, where, "Encounter")
    if not dr.content:
        raise InputFormatError("DocumentReference has no content", path=where)
    errors: list[str] = []
    decoded: DecodedText | None = None
    for content in _choose_content(dr.content):
        att = content.attachment
        try:
            if att is None:
                raise InputFormatError("content has no attachment")
            if att.data is not None:
                if not att.contentType:
                    raise InputFormatError("attachment has data but no contentType (FHIR R4 att-1)")
                data, ctype = att.data, att.contentType
            elif att.url:
                if fetch is None:
                    raise InputFormatError(
                        f"attachment is only a URL ({att.url}) and no FHIR client was given to fetch it"
                    )
                data, served_type = fetch(att.url)
                ctype = att.contentType or served_type
            else:
                raise InputFormatError("attachment has neither data nor url (missing attachment)")
            decoded = decode_attachment(data, ctype, where=where)
            break
        except InputFormatError as e:
            errors.append(e.problem)
    if decoded is None:
        raise InputFormatError("; ".join(errors) or "no usable attachment", path=where)
    period_start = dr.context.period.start if dr.context and dr.context.period else None
    enc_period = enc.period.start if enc is not None and enc.period else None
    when = _date(enc_period) or _date(period_start) or _date(dr.date)
    doc_status = dr.docStatus
    status = dr.status if dr.status != "current" else doc_status
    signed = True if dr.authenticator else (doc_status in {"final", "amended"} if doc_status else None)
    doc = Document(
        id=f"fhir:DocumentReference/{dr.id or hashlib.sha1(decoded.text.encode()).hexdigest()[:16]}",
        text=decoded.text,
        doc_type=_doc_type(dr.type),
        setting=encounter_setting(enc),
        patient=patient_facts(pat, when),
        encounter_date=when,
        sections=(sectionizer or rule_sections)(decoded.text),
        source="fhir",
        source_id=f"DocumentReference/{dr.id}" if dr.id else None,
    )
    enc_refs = [r.reference for r in (dr.context.encounter or [])] if dr.context else []
    return IngestedDocument(
        doc,
        status=status,
        signed=signed,
        patient_id=dr.subject.reference if dr.subject else None,
        encounter_id=enc_refs[0] if enc_refs else None,
        patient_matched=pat is not None,
        encounter_matched=enc is not None,
        ocr_confidence=decoded.ocr_confidence,
        recovered=decoded.recovered,
    )


def as_object(value: object) -> dict:
    """``value`` if it is a JSON object, else ``{}``: malformed elements read as absent, never crash."""
    return value if isinstance(value, dict) else {}


def reference_of(value: object) -> str | None:
    """``Reference.reference`` of a JSON value, or None when it is not a Reference object with a string."""
    ref = as_object(value).get("reference")
    return ref if isinstance(ref, str) else None


def bundle_entries(bundle: dict) -> list[object]:
    """``Bundle.entry`` as a list; raise ``InputFormatError`` when it is present but not an array."""
    entries = bundle.get("entry")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputFormatError(f"Bundle.entry must be an array, got {type(entries).__name__}")
    return entries


def entry_resource(entry: object) -> dict | None:
    """The resource of one Bundle entry, or None when the entry or its resource is not an object."""
    res = as_object(entry).get("resource")
    return res if isinstance(res, dict) else None


class BundleIndex:
    """Resolve references inside a Bundle by fullUrl, ``Type/id`` and trailing ``Type/id`` of URLs.

    Entries that are not objects, or hold no resource object, are skipped here; the parser that
    walks the entries reports them.
    """

    def __init__(self, bundle: dict) -> None:
        self.by_key: dict[str, dict] = {}
        self._models: dict[int, Any] = {}
        entries = bundle.get("entry")
        for entry in entries if isinstance(entries, list) else []:
            res = entry_resource(entry)
            if res is None:
                continue
            full_url = as_object(entry).get("fullUrl")
            if isinstance(full_url, str) and full_url:
                self.by_key[full_url] = res
            rid, rtype = res.get("id"), res.get("resourceType")
            if isinstance(rid, str) and rid and isinstance(rtype, str) and rtype:
                self.by_key[f"{rtype}/{rid}"] = res

    def get(self, ref: str | None) -> dict | None:
        if not ref:
            return None
        if ref in self.by_key:
            return self.by_key[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])
        return self.by_key.get(tail)

    def model(self, resource: dict | None) -> Any | None:
        """The validated model of a resource in this bundle, validated once (patients repeat)."""
        if resource is None:
            return None
        key = id(resource)
        if key not in self._models:
            self._models[key] = validate(resource)
        return self._models[key]

    def fetch_binary(self, url: str) -> tuple[bytes, str | None]:
        res = self.get(url)
        if res is None or res.get("resourceType") != "Binary":
            raise InputFormatError(
                f"attachment URL {url} is not a Binary in this bundle and no FHIR client was given"
            )
        binary = validate(res)
        if binary.data is None:
            raise InputFormatError(f"Binary {url} has no data")
        return binary.data, binary.contentType


def typed(resource: dict | None, rtype: str) -> dict | None:
    """``resource`` when it is a ``rtype`` resource object, else None."""
    return resource if isinstance(resource, dict) and resource.get("resourceType") == rtype else None


def _as_model(resource: Any | None, where: str | None, expect: str) -> Any | None:
    """A validated ``expect`` model from a resource dict (or an already validated model, passed through)."""
    if resource is None or not isinstance(resource, dict):
        return resource
    return validate(resource, where=where, expect=expect)
