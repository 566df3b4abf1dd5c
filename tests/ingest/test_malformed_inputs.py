"""Property tests: arbitrary JSON, XML, HL7-like text and binary thrown at every intake parser.

The contract (issue 20, "fail clearly, never lose a batch"): a parser either returns its result or
raises ``InputFormatError`` with a reason; the FHIR dispatchers and the batch return ``Rejection``s
instead of raising; ``ingest_paths`` never raises and has one report line per file. Runs are
derandomized (the same examples every run) and have no deadline, so they are never flaky.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from medcoder.errors import InputFormatError
from medcoder.ingest.attachments import decode_attachment
from medcoder.ingest.batch import ingest_paths, parse_bytes
from medcoder.ingest.ccda import parse_ccda
from medcoder.ingest.fhir_composition import safe_composition
from medcoder.ingest.fhir_ndjson import parse_ndjson
from medcoder.ingest.fhir_parse import BundleIndex, document_from_docref
from medcoder.ingest.fhir_resource import parse_fhir_resource
from medcoder.ingest.hl7v2 import parse_hl7v2, split_messages
from medcoder.ingest.model import IngestedDocument, Rejection
from medcoder.ingest.pdf import extract_pdf
from medcoder.ingest.text import html_to_text

SETTINGS = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def no_sections(text: str) -> tuple:
    return ()


# Valid templates (synthetic, no real patient) that the strategies below mutate, so parsers are
# exercised past their first check as well as at it.
NOTE = "Chief complaint: cough for three days.\nAssessment and plan: acute bronchitis; fluids and rest."
B64 = base64.b64encode(NOTE.encode()).decode()
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1950-02-01"}
ENCOUNTER = {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
             "period": {"start": "2024-03-01"}}  # fmt: skip
DOCREF = {"resourceType": "DocumentReference", "id": "d1", "status": "current", "docStatus": "final",
          "subject": {"reference": "Patient/p1"}, "date": "2024-03-01T10:00:00Z",
          "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
          "context": {"encounter": [{"reference": "Encounter/e1"}], "period": {"start": "2024-03-01"}},
          "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": B64}}]}  # fmt: skip
URL_DOCREF = {
    **DOCREF,
    "id": "d2",
    "content": [{"attachment": {"contentType": "text/html", "url": "Binary/b1"}}],
}
BINARY = {"resourceType": "Binary", "id": "b1", "contentType": "text/html",
          "data": base64.b64encode(b"<p>Assessment: acute bronchitis.</p>").decode()}  # fmt: skip
COMPOSITION = {"resourceType": "Composition", "id": "c1", "status": "final", "date": "2024-03-01",
               "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
               "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
               "author": [{"reference": "Practitioner/x"}], "title": "Note",
               "section": [{"title": "Assessment", "text": {"status": "generated",
                            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Acute bronchitis.</p></div>'}}]}  # fmt: skip
COLLECTION = {"resourceType": "Bundle", "id": "bc", "type": "collection",
              "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r}
                        for i, r in enumerate([DOCREF, URL_DOCREF, PATIENT, ENCOUNTER, BINARY])]}  # fmt: skip
DOCUMENT = {"resourceType": "Bundle", "id": "bd", "type": "document",
            "entry": [{"resource": r} for r in (COMPOSITION, PATIENT, ENCOUNTER)]}  # fmt: skip
CCDA = """<?xml version="1.0"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <code code="11506-3" codeSystem="2.16.840.1.113883.6.1"/><effectiveTime value="20240301"/>
  <recordTarget><patientRole><patient><administrativeGenderCode code="F"/><birthTime value="19800615"/>
  </patient></patientRole></recordTarget>
  <componentOf><encompassingEncounter><code code="AMB"/><effectiveTime><low value="20240614"/></effectiveTime>
  </encompassingEncounter></componentOf>
  <component><structuredBody><component><section><code code="51848-0"/><title>Assessment</title>
    <text><list><item>Cough <content ID="c1">improving</content></item></list></text>
    <entry><act><observation><text><reference value="#c1"/></text>
      <value xsi:type="CD" code="J20.9" codeSystem="2.16.840.1.113883.6.90"/></observation></act></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>"""
MDM = "\r".join([
    "MSH|^~\\&|EHR|HOSP|CODER|HOSP|20240614120000||MDM^T02^MDM_T02|MSG0001|P|2.5.1",
    "PID|1||P1^^^HOSP^MR||TEST^PATIENT||19800615|F",
    "PV1|1|E|ED^01||||||||||||||||VIS9",
    "TXA|1|DS^Discharge summary|TX|20240614110000||||||||DOC5|||||AU",
    "OBX|1|TX|18842-5^Discharge summary^LN||Cough \\T\\ fever\\.br\\No chills \\X41\\||||||F",
])  # fmt: skip
ORU = "\n".join([
    "MSH|^~\\&|LAB|HOSP|CODER|HOSP|20240101090000||ORU^R01|MSG0002|P|2.5.1",
    "OBR|1||RAD7|71045^XR chest^CPT|||20240101083000|||||||||||||||||F",
    "OBX|1|ST|||Impression: no acute disease.||||||F",
])  # fmt: skip

# JSON ---------------------------------------------------------------------------------------------
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)
DELETE = object()


def _paths(obj: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``obj`` (dict keys and list indices), the root excluded."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    out = []
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _mutate(template: object, edits: list[tuple[int, object]]) -> object:
    """``template`` with each edit applied: the value at one path replaced (or deleted)."""
    obj = copy.deepcopy(template)
    for pick, value in edits:
        paths = _paths(obj)
        if not paths:
            return copy.deepcopy(value) if value is not DELETE else obj
        path = paths[pick % len(paths)]
        parent = obj
        for key in path[:-1]:
            parent = parent[key]  # type: ignore[index]
        if value is DELETE:
            del parent[path[-1]]  # type: ignore[attr-defined]
        else:
            parent[path[-1]] = copy.deepcopy(value)  # type: ignore[index]
    return obj


def json_mutations(template: object) -> st.SearchStrategy:
    edit = st.tuples(
        st.integers(0, 10**6), json_values | st.just(DELETE) | st.sampled_from(["x", 5, [None, 5]])
    )
    return st.lists(edit, max_size=3).map(lambda edits: _mutate(template, edits))


def text_mutations(template: str) -> st.SearchStrategy:
    """``template`` with up to three cuts / insertions of delimiters, controls or random text."""
    insert = st.text(max_size=8) | st.sampled_from(
        ["|", "^", "~", "\\", "\r", "<", ">", "&", '"', "\x00", "MSX"]
    )
    edit = st.tuples(st.integers(0, 10**6), st.integers(0, 30), insert)

    def apply(edits: list[tuple[int, int, str]]) -> str:
        text = template
        for pos, cut, ins in edits:
            at = pos % (len(text) + 1)
            text = text[:at] + ins + text[at + cut :]
        return text

    return st.lists(edit, max_size=3).map(apply)


CONTENT_TYPES = ["text/plain", "text/plain; charset=utf-8", "text/plain; charset=iso-8859-1", "text/html",
                 "application/xhtml+xml", "application/pdf", "application/xml", "image/png", "", "x/y; charset=nope"]  # fmt: skip
binary_payloads = st.binary(max_size=200) | st.sampled_from(
    [b"\x89PNG\r\n\x1a\n\x00\x00", b"%PDF-1.4\n", b"<ClinicalDocument/>", b"caf\xe9", NOTE.encode()]
)
attachment_edits = st.fixed_dictionaries(
    {
        "contentType": st.sampled_from(CONTENT_TYPES),
        "data": binary_payloads.map(lambda b: base64.b64encode(b).decode()),
    }
).map(lambda att: {**DOCREF, "content": [{"attachment": att}]})
fhir_json = (
    json_mutations(COLLECTION) | json_mutations(DOCUMENT) | json_mutations(DOCREF) | json_mutations(COMPOSITION)
    | attachment_edits | json_values
)  # fmt: skip

export_lines = (
    st.sampled_from([DOCREF, URL_DOCREF, PATIENT, ENCOUNTER, BINARY, COMPOSITION, DOCUMENT]).flatmap(
        json_mutations
    )
    | fhir_json
)


# XML and HL7 v2 -----------------------------------------------------------------------------------
def _mutate_xml(edits: list[tuple[int, str, str]]) -> bytes:
    """The C-CDA template with elements deleted, renamed, emptied or given odd attributes/text."""
    root = etree.fromstring(CCDA.encode())
    for pick, action, value in edits:
        elements = list(root.iter())
        el = elements[pick % len(elements)]
        if action == "delete" and el.getparent() is not None:
            el.getparent().remove(el)
        elif action == "rename":
            el.tag = "{urn:hl7-org:v3}" + (value if value.isascii() and value.isidentifier() else "x")
        elif action == "text" and isinstance(el.tag, str):
            el.text = "".join(ch for ch in value if ch.isprintable())
        elif action == "attr" and isinstance(el.tag, str):
            name = next(iter(el.attrib.keys()), "code")
            el.set(name, "".join(ch for ch in value if ch.isprintable()))
        elif action == "clear":
            el.clear()
    return etree.tostring(root)


xml_edit = st.tuples(
    st.integers(0, 10**6),
    st.sampled_from(["delete", "rename", "text", "attr", "clear"]),
    st.sampled_from(["", "x", "nonXMLBody", "B64", "text/plain", "19800230", "#nope", "section"])
    | st.text(max_size=6),
)
xml_docs = (
    st.lists(xml_edit, max_size=4).map(_mutate_xml)
    | text_mutations(CCDA).map(str.encode)
    | st.text(max_size=60).map(str.encode)
    | st.binary(max_size=100)
)
hl7_messages = text_mutations(MDM) | text_mutations(ORU) | text_mutations(MDM + "\r" + ORU)

any_bytes = (
    st.binary(max_size=300)
    | hl7_messages.map(str.encode)
    | xml_docs
    | fhir_json.map(lambda v: json.dumps(v).encode())
    | st.sampled_from([b"%PDF-1.4\n%garbage", b"\x1f\x8b\x08\x00", b"MSH|", b"", NOTE.encode()])
)
SUFFIXES = [".json", ".json.gz", ".ndjson", ".xml", ".hl7", ".txt", ".pdf", ".png", ""]


def _results_ok(results: list) -> None:
    assert results, "every input gets at least one result line"
    for r in results:
        assert isinstance(r, IngestedDocument | Rejection)
        if isinstance(r, Rejection):
            assert r.reason and "please report it" not in r.reason, r.reason


# The properties -----------------------------------------------------------------------------------
@SETTINGS
@given(fhir_json)
def test_fhir_resource_never_raises(resource: object) -> None:
    _results_ok(parse_fhir_resource(resource, where="x.json", sectionizer=no_sections))  # type: ignore[arg-type]


@SETTINGS
@given(fhir_json, json_mutations(COLLECTION))
def test_docref_and_composition_raise_only_input_format_errors(resource: object, bundle: dict) -> None:
    try:
        document_from_docref(resource, where="x", sectionizer=no_sections)  # type: ignore[arg-type]
    except InputFormatError as e:
        assert e.problem
    result = safe_composition(resource, BundleIndex(bundle), "x")  # type: ignore[arg-type]
    assert isinstance(result, IngestedDocument | Rejection)


@SETTINGS
@given(xml_docs)
def test_ccda_raises_only_input_format_errors(data: bytes) -> None:
    try:
        parse_ccda(data, where="x.xml")
    except InputFormatError as e:
        assert e.problem


@SETTINGS
@given(hl7_messages | st.text(max_size=80))
def test_hl7v2_raises_only_input_format_errors(text: str) -> None:
    try:
        messages = split_messages(text)
    except InputFormatError as e:
        assert "MSH" in e.problem
        return
    for message in messages:
        try:
            parse_hl7v2(message, where="x.hl7")
        except InputFormatError as e:
            assert e.problem


@SETTINGS
@given(binary_payloads | st.binary(max_size=300), st.sampled_from(CONTENT_TYPES) | st.none())
def test_attachments_raise_only_input_format_errors(data: bytes, content_type: str | None) -> None:
    try:
        decoded = decode_attachment(data, content_type, where="x")
    except InputFormatError as e:
        assert e.problem
    else:
        assert "\x00" not in decoded.text


@SETTINGS
@given(st.builds(lambda tail: b"%PDF-1." + tail, st.binary(max_size=300)) | st.binary(max_size=50))
def test_pdf_raises_only_input_format_errors(data: bytes) -> None:
    try:
        extract_pdf(data, where="x.pdf", ocr=False)
    except InputFormatError as e:
        assert e.problem


@SETTINGS
@given(
    xml_docs.map(lambda b: b.decode("utf-8", "replace"))
    | text_mutations(COMPOSITION["section"][0]["text"]["div"])
)
def test_html_raises_only_input_format_errors(html: str) -> None:
    try:
        html_to_text(html)
    except InputFormatError as e:
        assert e.problem


@SETTINGS
@given(
    st.lists(
        st.lists(export_lines.map(json.dumps) | st.text(max_size=20), max_size=4), min_size=1, max_size=3
    )
)
def test_ndjson_never_raises(files: list[list[str]]) -> None:
    named = [(f"f{i}.ndjson", "\n".join(lines).encode()) for i, lines in enumerate(files)]
    results = parse_ndjson(named, sectionizer=no_sections)
    for r in results:
        assert isinstance(r, IngestedDocument | Rejection)
        if isinstance(r, Rejection):
            assert r.reason and "please report it" not in r.reason


@SETTINGS
@given(any_bytes, st.sampled_from(SUFFIXES))
def test_parse_bytes_never_raises(data: bytes, suffix: str) -> None:
    _results_ok(parse_bytes(data, f"input{suffix}", sectionizer=no_sections))


@settings(SETTINGS, max_examples=60)
@given(st.lists(st.tuples(any_bytes, st.sampled_from(SUFFIXES)), min_size=1, max_size=6))
def test_ingest_dir_lists_every_file(tmp_path_factory: pytest.TempPathFactory, files: list) -> None:
    folder: Path = tmp_path_factory.mktemp("batch")
    for i, (data, suffix) in enumerate(files):
        (folder / f"f{i}{suffix}").write_bytes(data)
    report = ingest_paths([folder], sectionizer=no_sections)
    assert [Path(f.path).name for f in report.files] == sorted(f"f{i}{s}" for i, (_, s) in enumerate(files))
    n_lines = len(report.ready) + len(report.held) + len(report.rejected)
    assert sum(f.documents + f.rejected for f in report.files) == n_lines
    ndjson_only_context = [f for f in report.files if f.path.endswith(".ndjson")]
    for f in report.files:
        if f not in ndjson_only_context:
            assert f.documents + f.rejected >= 1, f
    for r in report.rejected:
        assert r.reason and "please report it" not in r.reason, r.reason
