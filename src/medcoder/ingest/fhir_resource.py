"""A whole FHIR JSON resource to documents: DocumentReference, Composition, or a Bundle of them.

The dispatcher over ``medcoder.ingest.fhir_parse`` (DocumentReference) and
``medcoder.ingest.fhir_composition`` (document Bundles led by a Composition).
"""

from __future__ import annotations

from medcoder.errors import InputFormatError
from medcoder.ingest.fhir_composition import safe_composition
from medcoder.ingest.fhir_parse import BundleIndex, Fetch, Sectionizer, document_from_docref, typed
from medcoder.ingest.model import IngestedDocument, Rejection


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
    rtype = resource.get("resourceType")
    src = where or "fhir"
    if rtype == "DocumentReference":
        try:
            return [document_from_docref(resource, fetch=fetch, sectionizer=sectionizer, where=where)]
        except InputFormatError as e:
            return [Rejection(src, e.problem, f"DocumentReference/{resource.get('id')}")]
    if rtype == "Composition":
        return [safe_composition(resource, None, where)]
    if rtype != "Bundle":
        reason = (
            f"resource type {rtype} carries no clinical document" if rtype else "JSON has no resourceType"
        )
        return [Rejection(src, reason, f"{rtype}/{resource.get('id')}" if rtype else None)]
    index = BundleIndex(resource)
    out: list[IngestedDocument | Rejection] = []
    resources = [e.get("resource") or {} for e in resource.get("entry") or []]
    for res in resources:
        if res.get("resourceType") == "DocumentReference":
            rid = f"DocumentReference/{res.get('id')}"
            try:
                subject = index.model(
                    typed(index.get((res.get("subject") or {}).get("reference")), "Patient")
                )
                encs = (res.get("context") or {}).get("encounter") or []
                encounter = typed(index.get(encs[0].get("reference")), "Encounter") if encs else None
                out.append(document_from_docref(res, patient=subject, encounter=encounter,
                                                fetch=fetch or index.fetch_binary, sectionizer=sectionizer, where=where))  # fmt: skip
            except InputFormatError as e:
                out.append(Rejection(src, e.problem, rid))
    if resource.get("type") == "document" and resources and resources[0].get("resourceType") == "Composition":
        out.append(safe_composition(resources[0], index, where))
    if not out:
        kinds = sorted({str(r["resourceType"]) for r in resources if r.get("resourceType")})
        out.append(Rejection(src, f"Bundle ({resource.get('type')}) has no DocumentReference or Composition; holds {', '.join(kinds) or 'nothing'}", f"Bundle/{resource.get('id')}"))  # fmt: skip
    return out
