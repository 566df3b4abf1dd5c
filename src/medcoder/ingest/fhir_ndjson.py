"""FHIR Bulk Data exports (NDJSON: one resource per line) to documents, without a FHIR server.

A bulk export writes one file per resource type (``DocumentReference.ndjson``, ``Patient.ndjson``,
``Encounter.ndjson``, ``Binary.ndjson``, ...). The files given together are read as one pool, so a
DocumentReference in one file finds its Patient, Encounter and Binary in another. Each
DocumentReference, Composition or Bundle line becomes documents or rejections (sourced
``file:line``); a line that is not JSON or not a resource is rejected with its line number.
Files of context resources only (Patient, Encounter, Binary) yield nothing themselves (the batch
report's per-file lines still list them), unless the whole export holds no document: then each
file is rejected with what it holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from medcoder.errors import InputFormatError
from medcoder.ingest.fhir_composition import safe_composition
from medcoder.ingest.fhir_parse import BundleIndex, Sectionizer
from medcoder.ingest.fhir_resource import docref_in_index, parse_fhir_resource
from medcoder.ingest.model import IngestedDocument, Rejection
from medcoder.ingest.text import decode_bytes

DOCUMENT_TYPES = ("DocumentReference", "Composition", "Bundle")


def _lines(data: bytes, name: str) -> list[tuple[int, str]]:
    text = decode_bytes(data, "utf-8", where=name)
    return [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def parse_ndjson(
    files: Sequence[tuple[str, bytes]], *, sectionizer: Sectionizer | None = None
) -> list[IngestedDocument | Rejection]:
    """Documents from the NDJSON files of one export, given as ``(name, bytes)`` pairs."""
    return [r for _, r in parse_ndjson_by_file(files, sectionizer=sectionizer)]


def parse_ndjson_by_file(
    files: Sequence[tuple[str, bytes]], *, sectionizer: Sectionizer | None = None
) -> list[tuple[str, IngestedDocument | Rejection]]:
    """As ``parse_ndjson``, each result paired with the name of the file its line came from."""
    out: list[tuple[str, IngestedDocument | Rejection]] = []
    pool: list[tuple[str, int, dict]] = []
    kinds: dict[str, Counter[str]] = {}
    for name, data in files:
        kinds[name] = Counter()
        try:
            lines = _lines(data, name)
        except InputFormatError as e:
            out.append((name, Rejection(name, e.problem)))
            continue
        if not lines:
            out.append((name, Rejection(name, "NDJSON file is empty")))
        for n, line in lines:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                out.append((name, Rejection(name, f"line {n}: malformed JSON: {e.msg}")))
                continue
            except RecursionError:
                out.append((name, Rejection(name, f"line {n}: JSON is nested too deeply")))
                continue
            rtype = obj.get("resourceType") if isinstance(obj, dict) else None
            if not isinstance(rtype, str) or not rtype:
                out.append((name, Rejection(name, f"line {n}: not a FHIR resource (no resourceType)")))
                continue
            pool.append((name, n, obj))
            kinds[name][rtype[:40]] += 1
    index = BundleIndex({"entry": [{"resource": res} for _, _, res in pool]})
    for name, n, res in pool:
        where = f"{name}:{n}"
        rtype = res["resourceType"]
        if rtype == "DocumentReference":
            out.append(
                (name, docref_in_index(res, index, where=where, source=where, sectionizer=sectionizer))
            )
        elif rtype == "Composition":
            out.append((name, safe_composition(res, index, where)))
        elif rtype == "Bundle":
            out.extend((name, r) for r in parse_fhir_resource(res, where=where, sectionizer=sectionizer))
    if not any(counts[t] for counts in kinds.values() for t in DOCUMENT_TYPES):
        for name, counts in kinds.items():
            if counts:
                held = ", ".join(f"{t}: {c}" for t, c in sorted(counts.items()))
                out.append((name, Rejection(name, f"export has no DocumentReference or Composition; "
                                                  f"this file holds {held}")))  # fmt: skip
    return out
