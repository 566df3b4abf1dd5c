"""A whole FHIR JSON resource to documents: DocumentReference, Composition, or a Bundle of them.

The dispatcher over ``medcoder.ingest.fhir_parse`` (DocumentReference) and
``medcoder.ingest.fhir_composition`` (document Bundles led by a Composition). Malformed input of
any shape (an ``entry`` that is not an array, entries that are not objects, references that are
strings) becomes a ``Rejection`` with the reason, never an exception.
"""

from __future__ import annotations

from medcoder.errors import InputFormatError
from medcoder.ingest.fhir_composition import safe_composition
from medcoder.ingest.fhir_parse import (
    BundleIndex,
    Fetch,
    Sectionizer,
    as_object,
    bundle_entries,
    document_from_docref,
    entry_resource,
    reference_of,
    typed,
)
from medcoder.ingest.model import IngestedDocument, Rejection


def _rid(resource: dict, rtype: str) -> str:
    rid = resource.get("id")
    return f"{rtype}/{rid if isinstance(rid, str) else None}"


def docref_in_index(
    res: dict,
    index: BundleIndex,
    *,
    where: str | None,
    source: str,
    sectionizer: Sectionizer | None = None,
    fetch: Fetch | None = None,
) -> IngestedDocument | Rejection:
    """One DocumentReference whose Patient, Encounter and Binary are looked up in ``index``."""
    try:
        subject = index.model(typed(index.get(reference_of(res.get("subject"))), "Patient"))
        encs = as_object(res.get("context")).get("encounter")
        first = encs[0] if isinstance(encs, list) and encs else None
        encounter = typed(index.get(reference_of(first)), "Encounter")
        return document_from_docref(res, patient=subject, encounter=encounter,
                                    fetch=fetch or index.fetch_binary, sectionizer=sectionizer, where=where)  # fmt: skip
    except InputFormatError as e:
        return Rejection(source, e.problem, _rid(res, "DocumentReference"))


def parse_fhir_resource(
    resource: dict,
    *,
    where: str | None = None,
    sectionizer: Sectionizer | None = None,
    fetch: Fetch | None = None,
) -> list[IngestedDocument | Rejection]:
    """Every document in a FHIR JSON resource (a Bundle yields one result per DocumentReference).

    Per-document failures become ``Rejection`` entries so the rest of the bundle still parses.
    Resources that carry no clinical document are rejected with that reason.
    """
    src = where or "fhir"
    if not isinstance(resource, dict):
        return [Rejection(src, f"expected a FHIR resource object, got {type(resource).__name__}")]
    rtype = resource.get("resourceType")
    if rtype is not None and not isinstance(rtype, str):
        return [Rejection(src, f"resourceType must be a string, got {type(rtype).__name__}")]
    if rtype == "DocumentReference":
        try:
            return [document_from_docref(resource, fetch=fetch, sectionizer=sectionizer, where=where)]
        except InputFormatError as e:
            return [Rejection(src, e.problem, _rid(resource, "DocumentReference"))]
    if rtype == "Composition":
        return [safe_composition(resource, None, where)]
    if rtype != "Bundle":
        reason = (
            f"resource type {rtype[:40]} carries no clinical document"
            if rtype
            else "JSON has no resourceType"
        )
        return [Rejection(src, reason, _rid(resource, rtype[:40]) if rtype else None)]
    bundle_id = _rid(resource, "Bundle")
    try:
        entries = bundle_entries(resource)
    except InputFormatError as e:
        return [Rejection(src, e.problem, bundle_id)]
    index = BundleIndex(resource)
    out: list[IngestedDocument | Rejection] = []
    resources: list[dict] = []
    for i, entry in enumerate(entries):
        res = entry_resource(entry)
        if res is None:  # an entry without a resource (a transaction DELETE) is fine; a non-object is not
            if not isinstance(entry, dict):
                out.append(Rejection(src, f"Bundle.entry[{i}] is not an object", bundle_id))
            elif entry.get("resource") is not None:
                out.append(Rejection(src, f"Bundle.entry[{i}].resource is not an object", bundle_id))
            continue
        resources.append(res)
        if res.get("resourceType") == "DocumentReference":
            out.append(
                docref_in_index(res, index, where=where, source=src, sectionizer=sectionizer, fetch=fetch)
            )
    if resource.get("type") == "document" and resources and resources[0].get("resourceType") == "Composition":
        out.append(safe_composition(resources[0], index, where))
    if not out:
        kinds = sorted({r["resourceType"][:40] for r in resources if isinstance(r.get("resourceType"), str)})
        bundle_type = resource.get("type") if isinstance(resource.get("type"), str) else None
        out.append(Rejection(src, f"Bundle ({bundle_type}) has no DocumentReference or Composition; holds {', '.join(kinds) or 'nothing'}", bundle_id))  # fmt: skip
    return out
