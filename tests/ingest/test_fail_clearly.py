"""Issue 20: each malformed input named in the issue is a rejection with a reason, the batch goes
on, binary attachments are not read as text, HL7 says what is wrong, and FHIR files (a Bundle, a
bulk-export NDJSON) are ingested without a server. Expected values are worked out by hand."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from typer.testing import CliRunner

from medcoder.data.records import Setting, Sex
from medcoder.ingest.batch import ingest_paths, parse_bytes
from medcoder.ingest.cli import group
from medcoder.ingest.fhir_ndjson import parse_ndjson
from medcoder.ingest.fhir_resource import parse_fhir_resource
from medcoder.ingest.hl7v2 import parse_hl7v2
from medcoder.ingest.model import FileLine, IngestedDocument, Rejection

NOTE = (
    "History of present illness: three days of productive cough and fever to 38.5 C, no chest pain.\n"
    "Assessment and plan: acute bronchitis; fluids, rest, and return if short of breath or worse.\n"
)


def docref(data: bytes, content_type: str | None = "text/plain", **extra: object) -> dict:
    attachment: dict[str, object] = {"data": base64.b64encode(data).decode()}
    if content_type is not None:
        attachment["contentType"] = content_type
    return {"resourceType": "DocumentReference", "id": "d1", "status": "current", "docStatus": "final",
            "content": [{"attachment": attachment}], **extra}  # fmt: skip


def no_sections(text: str) -> tuple:
    return ()


# 2. malformed Bundles ------------------------------------------------------------------------------
def test_bundle_entry_that_is_not_an_array_is_one_rejection() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": "x"}
    assert parse_fhir_resource(bundle, where="b.json") == [
        Rejection("b.json", "Bundle.entry must be an array, got str", "Bundle/None")
    ]


def test_bundle_entries_that_are_not_objects_are_each_rejected() -> None:
    bundle = {"resourceType": "Bundle", "id": "b7", "type": "collection", "entry": [None, 5]}
    assert parse_fhir_resource(bundle, where="b.json") == [
        Rejection("b.json", "Bundle.entry[0] is not an object", "Bundle/b7"),
        Rejection("b.json", "Bundle.entry[1] is not an object", "Bundle/b7"),
    ]


def test_composition_with_a_string_subject_is_rejected_not_raised() -> None:
    comp = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "note"},
            "date": "2024-03-01", "author": [{"display": "Dr X"}], "title": "Note", "subject": "x"}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [{"resource": comp}]}
    (res,) = parse_fhir_resource(bundle, where="doc.json")
    assert isinstance(res, Rejection) and res.source_id == "Composition/c1"
    assert res.reason.startswith("invalid FHIR Composition: subject")


def test_one_bad_file_does_not_lose_the_batch(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"resourceType":"Bundle","type":"collection","entry":"x"}')
    (tmp_path / "b.json").write_text('{"resourceType":"Bundle","type":"collection","entry":[null,5]}')
    (tmp_path / "c.json").write_text(json.dumps({"resourceType": "Bundle", "type": "document",
        "entry": [{"resource": {"resourceType": "Composition", "subject": "x"}}]}))  # fmt: skip
    (tmp_path / "d.txt").write_text(NOTE)
    report = ingest_paths([tmp_path], sectionizer=no_sections)
    assert [d.document.text for d in report.parsed] == [NOTE.strip()]
    assert report.files == [
        FileLine(str(tmp_path / "a.json"), 0, 1),
        FileLine(str(tmp_path / "b.json"), 0, 2),
        FileLine(str(tmp_path / "c.json"), 0, 1),
        FileLine(str(tmp_path / "d.txt"), 1, 0),
    ]


# 3. binary attachments ----------------------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_png_declared_as_latin1_text_is_rejected() -> None:
    (res,) = parse_fhir_resource(docref(PNG, "text/plain; charset=iso-8859-1"))
    assert res == Rejection(
        "fhir", "attachment declared text/plain but its bytes are a PNG image", "DocumentReference/d1"
    )


def test_control_bytes_declared_as_text_are_rejected() -> None:
    # 'ab', 0x01, 0x02, 'cd': 2 control characters in 6
    (res,) = parse_fhir_resource(docref(b"ab\x01\x02cd", "text/plain"))
    assert isinstance(res, Rejection)
    assert res.reason == (
        "attachment declared text/plain but decodes to binary data (2 control characters in 6); "
        "check the content type and charset"
    )


def test_data_without_content_type_is_rejected() -> None:
    (res,) = parse_fhir_resource(docref(NOTE.encode(), None))
    assert (
        isinstance(res, Rejection) and res.reason == "attachment has data but no contentType (FHIR R4 att-1)"
    )


def test_real_latin1_text_is_still_accepted() -> None:
    (res,) = parse_fhir_resource(
        docref("Caf\u00e9 au lait spots.".encode("latin-1"), "text/plain; charset=iso-8859-1")
    )
    assert isinstance(res, IngestedDocument) and res.document.text == "Caf\u00e9 au lait spots."


def test_binary_txt_file_is_rejected() -> None:
    (res,) = parse_bytes(b"GIF89a\x01\x00", "scan.txt")
    assert res == Rejection("scan.txt", "text file but its bytes are a GIF image")


# 4. HL7 v2 whose first segment is not MSH ---------------------------------------------------------
def test_hl7_first_segment_named() -> None:
    (res,) = parse_bytes(b"MSX|^~\\&|EHR|HOSP\rPID|1||P1\r", "msg.hl7")
    assert res == Rejection("msg.hl7", "HL7 v2 first segment is 'MSX', expected MSH")


def test_hl7_free_text_is_not_echoed() -> None:
    (res,) = parse_bytes(b"hello from the ward\n", "msg.hl7")
    assert res == Rejection("msg.hl7", "HL7 v2 first segment does not start with a segment id, expected MSH")


def test_hl7_escape_errors_are_logged_without_the_field(caplog) -> None:
    msg = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rOBX|1|TX|||Quokka \\.b:r\\ syndrome||||||F"
    with caplog.at_level(logging.DEBUG):
        item = parse_hl7v2(msg)
    assert item.document.text == "Quokka  syndrome"  # the undecodable escape is dropped
    assert caplog.records and "quokka" not in caplog.text.lower()


# 6. FHIR files without a server -------------------------------------------------------------------
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1950-02-01"}
ENCOUNTER = {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
             "period": {"start": "2024-03-01"}}  # fmt: skip


def test_ndjson_export_resolves_references_across_files() -> None:
    ref = docref(NOTE.encode(), subject={"reference": "Patient/p1"},
                 context={"encounter": [{"reference": "Encounter/e1"}]})  # fmt: skip
    files = [
        ("DocumentReference.ndjson", (json.dumps(ref) + "\n{oops\n").encode()),
        ("Patient.ndjson", (json.dumps(PATIENT) + "\n").encode()),
        ("Encounter.ndjson", (json.dumps(ENCOUNTER) + "\n").encode()),
    ]
    bad, doc = parse_ndjson(files, sectionizer=no_sections)  # line errors come first, then documents
    assert isinstance(doc, IngestedDocument) and doc.patient_matched and doc.encounter_matched
    # born 1950-02-01, seen 2024-03-01: 74 years; AMB is outpatient
    assert (doc.document.patient.age, doc.document.patient.sex) == (74, Sex.FEMALE)
    assert doc.document.setting is Setting.OUTPATIENT
    assert bad == Rejection(
        "DocumentReference.ndjson",
        "line 2: malformed JSON: Expecting property name enclosed in double quotes",
    )


def test_ndjson_export_without_documents_says_so() -> None:
    (res,) = parse_ndjson([("Patient.ndjson", (json.dumps(PATIENT) + "\n").encode())])
    assert res == Rejection(
        "Patient.ndjson", "export has no DocumentReference or Composition; this file holds Patient: 1"
    )


def test_ingest_fhir_reads_a_bundle_file(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": docref(NOTE.encode(), subject={"reference": "Patient/p1"})},
                        {"resource": PATIENT}]}  # fmt: skip
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "note.xml").write_text("<x/>")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(group, ["fhir", str(tmp_path), "--report", str(report)])
    assert result.exit_code == 0, result.output
    rep = json.loads(report.read_text())
    assert rep["summary"]["ready"] + rep["summary"]["held"] == 1
    assert rep["rejected"] == [{"source": str(tmp_path / "note.xml"), "source_id": None,
                                "reason": "not one of the accepted file types (.json, .json.gz, .ndjson, .ndjson.gz)"}]  # fmt: skip
    assert [f["path"] for f in rep["files"]] == [str(tmp_path / "bundle.json"), str(tmp_path / "note.xml")]


def test_ingest_fhir_needs_a_server_or_files() -> None:
    result = CliRunner().invoke(group, ["fhir"])
    assert result.exit_code != 0 and "--base-url or FHIR files" in result.output
