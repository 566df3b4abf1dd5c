"""FHIR R4 parsing: hand-made resources with known facts, bad input, and every file in
fhir_examples and synthea_fhir parsed or rejected, with counts taken independently."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json

import pytest

from conftest import require_shared
from medcoder.data.records import Setting, Sex
from medcoder.ingest.batch import ingest_paths, parse_bytes
from medcoder.ingest.fhir_resource import parse_fhir_resource
from medcoder.ingest.model import IngestedDocument, Rejection

NOTE = "Chief Complaint: cough.\nAssessment and Plan: Acute bronchitis; fluids and rest."


def _bundle(attachment: dict, *, status: str = "current", doc_status: str | None = "final") -> dict:
    docref = {"resourceType": "DocumentReference", "id": "d1", "status": status,
              "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
              "subject": {"reference": "Patient/p1"}, "date": "2024-06-14T10:00:00Z",
              "context": {"encounter": [{"reference": "Encounter/e1"}]},
              "content": [{"attachment": attachment}]}  # fmt: skip
    if doc_status:
        docref["docStatus"] = doc_status
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://x/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-06-15"}},
        {"fullUrl": "http://x/fhir/Encounter/e1", "resource": {"resourceType": "Encounter", "id": "e1", "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "period": {"start": "2024-06-14T08:00:00Z"}}},
        {"fullUrl": "http://x/fhir/DocumentReference/d1", "resource": docref},
        {"fullUrl": "http://x/fhir/Binary/b1", "resource": {"resourceType": "Binary", "id": "b1", "contentType": "text/html",
            "data": base64.b64encode(b"<p>Chief Complaint: cough.</p><p>Assessment and Plan: Acute bronchitis.</p>").decode()}},
    ]}  # fmt: skip


def _one(results: list) -> IngestedDocument:
    assert len(results) == 1 and isinstance(results[0], IngestedDocument), results
    return results[0]


def test_inline_text_with_patient_and_encounter() -> None:
    data = base64.b64encode(NOTE.encode()).decode()
    item = _one(parse_fhir_resource(_bundle({"contentType": "text/plain; charset=utf-8", "data": data})))
    doc = item.document
    assert doc.text == NOTE
    assert doc.patient.age == 43 and doc.patient.sex is Sex.MALE  # born 1980-06-15, seen 2024-06-14
    assert doc.setting is Setting.INPATIENT and doc.encounter_date == dt.date(2024, 6, 14)
    assert doc.doc_type == "progress_note" and doc.source_id == "DocumentReference/d1"
    assert [s.name for s in doc.sections] == ["chief_complaint", "assessment_and_plan"]
    assert item.status == "final" and item.signed is True
    assert item.patient_matched and item.encounter_matched


def test_binary_by_url_inside_bundle_html() -> None:
    item = _one(parse_fhir_resource(_bundle({"contentType": "text/html", "url": "http://x/fhir/Binary/b1"})))
    assert item.document.text == "Chief Complaint: cough.\nAssessment and Plan: Acute bronchitis."


@pytest.mark.parametrize(
    ("attachment", "reason"),
    [
        ({"contentType": "text/plain"}, "neither data nor url"),
        ({"contentType": "text/plain", "url": "http://x/fhir/Binary/missing"}, "not a Binary in this bundle"),
        (
            {
                "contentType": "text/plain; charset=utf-8",
                "data": base64.b64encode("caf\u00e9".encode("latin-1")).decode(),
            },
            "not valid utf-8",
        ),
        (
            {"contentType": "image/png", "data": base64.b64encode(b"\x89PNG").decode()},
            "unsupported attachment content type",
        ),
        ({"contentType": "text/plain", "data": "not base64!!"}, "invalid FHIR DocumentReference"),
    ],
)
def test_bad_attachments_are_rejected_with_reason(attachment: dict, reason: str) -> None:
    (res,) = parse_fhir_resource(_bundle(attachment))
    assert isinstance(res, Rejection) and reason in res.reason and res.source_id == "DocumentReference/d1"


def test_oversized_attachment_rejected() -> None:
    from medcoder.ingest import attachments

    big = base64.b64encode(b"a" * (attachments.MAX_ATTACHMENT_BYTES + 1)).decode()
    (res,) = parse_fhir_resource(_bundle({"contentType": "text/plain", "data": big}))
    assert isinstance(res, Rejection) and "over the" in res.reason


def test_invalid_element_reports_path_not_value() -> None:
    b = _bundle({"contentType": "text/plain", "data": base64.b64encode(NOTE.encode()).decode()})
    b["entry"][2]["resource"]["date"] = "Jane Doe"
    (res,) = parse_fhir_resource(b)
    assert isinstance(res, Rejection) and "date" in res.reason and "Jane Doe" not in res.reason


def test_malformed_json_and_gzip_are_rejected() -> None:
    (r1,) = parse_bytes(b'{"resourceType": "Bundle",\n "entry": [', "x.json")
    assert isinstance(r1, Rejection) and "malformed JSON" in r1.reason and "line 2" in r1.reason
    (r2,) = parse_bytes(b"not gzip", "x.json.gz")
    assert isinstance(r2, Rejection) and "gzip" in r2.reason
    (r3,) = parse_bytes("{}".encode("utf-16"), "x.json")
    assert isinstance(r3, Rejection)


@pytest.mark.shared_data
def test_every_fhir_example_parsed_or_rejected() -> None:
    root = require_shared("fhir_examples")
    files = sorted(root.glob("*.json"))
    assert len(files) == 38  # README
    res = [json.loads(f.read_text()) for f in files]
    # Independent classification from the raw JSON.
    not_docs = sum(
        r["resourceType"]
        in {"Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage", "DocumentManifest"}
        for r in res
    )
    compositions = sum(r["resourceType"] == "Composition" for r in res)
    doc_bundles = sum(r["resourceType"] == "Bundle" and r["type"] == "document" for r in res)
    bundle_docrefs = sum(
        1 for r in res if r["resourceType"] == "Bundle" for e in r.get("entry", [])
        if e.get("resource", {}).get("resourceType") == "DocumentReference"
    )  # fmt: skip
    empty_bundles = sum(
        r["resourceType"] == "Bundle" and r["type"] != "document"
        and not any(e.get("resource", {}).get("resourceType") == "DocumentReference" for e in r.get("entry", []))
        for r in res
    )  # fmt: skip
    url_only_docrefs = sum(
        r["resourceType"] == "DocumentReference" and "data" not in r["content"][0]["attachment"] for r in res
    )
    assert (not_docs, compositions, doc_bundles, bundle_docrefs, empty_bundles, url_only_docrefs) == (
        30,
        2,
        1,
        1,
        3,
        1,
    )
    report = ingest_paths(files)
    assert len(report.parsed) == compositions + doc_bundles + bundle_docrefs == 4
    assert len(report.rejected) == not_docs + empty_bundles + url_only_docrefs == 34
    assert len(report.parsed) + len(report.rejected) == len(files)
    assert all(r.reason for r in report.rejected)


@pytest.mark.slow
@pytest.mark.shared_data
def test_every_synthea_bundle_parsed_or_rejected() -> None:
    root = require_shared("synthea_fhir")
    files = sorted(root.glob("*/*.json.gz"))
    counts = {"docrefs": 0, "current": 0, "no_docref_bundles": 0}
    for f in files:
        entries = json.loads(gzip.decompress(f.read_bytes()))["entry"]
        drs = [e["resource"] for e in entries if e["resource"]["resourceType"] == "DocumentReference"]
        counts["docrefs"] += len(drs)
        counts["current"] += sum(d["status"] == "current" for d in drs)
        counts["no_docref_bundles"] += not drs
    assert counts == {
        "docrefs": 1088,
        "current": 25,
        "no_docref_bundles": 6,
    }  # README: 1,088 notes; 6 bundles without
    report = ingest_paths(files)
    assert len(report.parsed) == counts["docrefs"]
    assert len(report.rejected) == counts["no_docref_bundles"]
    assert all("no DocumentReference" in r.reason for r in report.rejected)
    # Superseded notes are held back; the current note of each patient is ready.
    assert len(report.ready) == counts["current"]
    held_reasons = {f.reason for _, fs in report.held for f in fs if f.severity == "error"}
    assert held_reasons == {"document status is superseded, not final"}
