"""HL7 v2 MDM^T02 and ORU^R01: text OBX, escape sequences, header facts, bad messages."""

from __future__ import annotations

import datetime as dt

from medcoder.data.records import Setting, Sex
from medcoder.ingest.batch import parse_bytes
from medcoder.ingest.hl7v2 import parse_hl7v2
from medcoder.ingest.model import IngestedDocument, Rejection

MDM = "\r".join([
    "MSH|^~\\&|EHR|HOSP|CODER|HOSP|20240614120000||MDM^T02^MDM_T02|MSG0001|P|2.5.1",
    "EVN|T02|20240614120000",
    "PID|1||PAT123^^^HOSP^MR||DOE^JANE||19800615|F",
    "PV1|1|E|ED^01||||||||||||||||VIS987",
    "TXA|1|DS^Discharge summary|TX|20240614110000||||||||DOC555|||||AU",
    "OBX|1|TX|18842-5^Discharge summary^LN||Pain in left knee \\T\\ swelling\\.br\\No fever \\F\\ chills \\S\\ \\E\\||||||F",
    "OBX|2|FT|||Line two~Line three \\X41\\B||||||F",
    "OBX|3|NM|8867-4^Heart rate^LN||72|/min|||||F",
])  # fmt: skip

ORU = "\n".join([
    "MSH|^~\\&|LAB|HOSP|CODER|HOSP|20240101090000||ORU^R01|MSG0002|P|2.5.1",
    "PID|1||PAT9||ROE^RICHARD||19500101|M",
    "PV1|1|O",
    "OBR|1||RAD77|71045^XR chest 1 view^CPT|||20240101083000|||||||||||||||||P",
    "OBX|1|ST|||Impression: no acute disease.||||||P",
])  # fmt: skip


def test_mdm_t02_text_escapes_and_header() -> None:
    item = parse_hl7v2(MDM)
    doc = item.document
    assert doc.text == "Pain in left knee & swelling\nNo fever | chills ^ \\\nLine two\nLine three AB"
    assert doc.doc_type == "ds"
    assert doc.setting is Setting.EMERGENCY
    assert doc.encounter_date == dt.date(2024, 6, 14)
    assert doc.patient.sex is Sex.FEMALE and doc.patient.age == 43
    assert doc.source_id == "DOC555"
    assert item.status == "final" and item.signed is True  # TXA-17 AU = authenticated
    assert item.patient_id == "PAT123" and item.encounter_id == "VIS987"
    assert "JANE" not in repr(item.document.id)


def test_oru_r01_with_newline_segments_is_preliminary() -> None:
    item = parse_hl7v2(ORU)
    assert item.document.text == "Impression: no acute disease."
    assert item.document.doc_type == "xr_chest_1_view"
    assert item.status == "preliminary" and item.signed is False
    assert item.document.setting is Setting.OUTPATIENT and item.document.patient.age == 74


def test_file_with_bad_message_keeps_going() -> None:
    adt = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X|P|2.5\rPID|1||P1"
    data = ("\r".join([MDM, adt, ORU.replace("\n", "\r")])).encode()
    results = parse_bytes(data, "batch.hl7")
    assert [type(r) for r in results] == [IngestedDocument, Rejection, IngestedDocument]
    assert "ADT^A01 is not a document" in results[1].reason


def test_message_without_text_rejected() -> None:
    msg = MDM.split("\rOBX")[0]
    (res,) = parse_bytes(msg.encode(), "empty.hl7")
    assert isinstance(res, Rejection) and "no TX/FT/ST OBX text" in res.reason
