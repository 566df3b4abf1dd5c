"""Request checks: each bad input gets its status and a JSON pointer to the field."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from medcoder.coding.config import PipelineConfig
from medcoder.coding.context import normalise_text
from medcoder.serving.errors import ServingError, fhir_pointer
from medcoder.serving.intake import to_document
from medcoder.serving.schemas import CodeRequest

CFG = PipelineConfig(max_note_chars=50)
TODAY = dt.date(2026, 11, 28)


def _err(req: CodeRequest, **kw) -> ServingError:
    with pytest.raises(ServingError) as info:
        to_document(req, CFG, today=TODAY, **kw)
    return info.value


def test_empty_and_whitespace_notes_are_422_at_text() -> None:
    for text in ("", "   \n\t  "):
        err = _err(CodeRequest(text=text))
        assert (err.status, err.pointer) == (422, "/text")
        assert "empty" in err.message


def test_note_over_the_limit_is_413_and_the_limit_itself_is_accepted() -> None:
    err = _err(CodeRequest(text="x" * 51))
    assert (err.status, err.pointer) == (413, "/text")
    assert "51" in err.message and "50" in err.message
    doc, _ = to_document(CodeRequest(text="x" * 50), CFG, today=TODAY)
    assert len(doc.text) == 50


def test_text_and_fhir_together_or_neither_is_422() -> None:
    assert _err(CodeRequest()).status == 422
    assert _err(CodeRequest(text="a", fhir={"resourceType": "DocumentReference"})).status == 422


def test_unknown_payer_is_422_and_known_payer_is_normalised() -> None:
    err = _err(CodeRequest(text="fever", payer="NOPE"))
    assert (err.status, err.pointer) == (422, "/payer")
    doc, _ = to_document(CodeRequest(text="fever", payer=" medicare "), CFG, today=TODAY)
    assert doc.payer == "MEDICARE"


def test_future_date_and_impossible_age_for_the_date() -> None:
    assert _err(CodeRequest(text="fever", date_of_service="2027-01-05")).pointer == "/date_of_service"
    err = _err(CodeRequest(text="fever", date_of_service="1990-01-01", patient={"age": 120}))
    assert (err.status, err.pointer) == (422, "/patient/age")


def test_batch_items_get_pointers_under_items() -> None:
    err = _err(CodeRequest(text=" "), pointer="/items/3")
    assert err.pointer == "/items/3/text"


def test_fhir_document_reference_with_inline_text_becomes_the_note() -> None:
    note = "ASSESSMENT: community acquired pneumonia."
    resource = {
        "resourceType": "DocumentReference",
        "id": "dr1",
        "status": "current",
        "content": [
            {"attachment": {"contentType": "text/plain", "data": base64.b64encode(note.encode()).decode()}}
        ],
    }
    doc, _ = to_document(CodeRequest(fhir=resource, setting="outpatient"), PipelineConfig(), today=TODAY)
    assert doc.text == note
    assert doc.id == "fhir:DocumentReference/dr1"


def test_invalid_fhir_points_at_the_bad_element() -> None:
    bad = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": 5}}],
    }
    err = _err(CodeRequest(fhir=bad))
    assert err.status == 422
    assert err.pointer.startswith("/fhir/content/0/attachment")
    wrong_type = _err(CodeRequest(fhir={"resourceType": "Patient"}))
    assert (wrong_type.status, wrong_type.pointer) == (422, "/fhir/resourceType")


def test_fhir_pointer_from_ingest_message() -> None:
    msg = "invalid FHIR DocumentReference: content.0.attachment.contentType: string_type"
    assert fhir_pointer(msg) == "/fhir/content/0/attachment/contentType"
    assert fhir_pointer("DocumentReference has no content") == "/fhir"


def test_normalise_text_keeps_every_offset() -> None:
    text = "a\x00b\r\nc\x07d\u00e9"
    out = normalise_text(text)
    assert len(out) == len(text)
    assert out == "a b\n\nc d\u00e9"
