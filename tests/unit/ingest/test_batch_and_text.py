"""A mixed batch of good and bad files: every file accounted for; text decoding and HTML."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from medcoder.errors import InputFormatError
from medcoder.ingest.batch import ingest_paths
from medcoder.ingest.text import decode_bytes, html_to_text

NOTE = "Chief complaint: cough for three days with fever and chills, worse at night, no chest pain."


def test_mixed_batch_reports_every_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    docref = {"resourceType": "DocumentReference", "id": "ok", "status": "current",
              "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(NOTE.encode()).decode()}}]}  # fmt: skip
    (tmp_path / "good.json").write_text(json.dumps(docref))
    (tmp_path / "bad.json").write_text('{"resourceType": ')
    (tmp_path / "latin1.txt").write_bytes("Fi\u00e8vre et toux".encode("latin-1"))
    (tmp_path / "note.txt").write_text(NOTE)
    (tmp_path / "bad.xml").write_text("<ClinicalDocument><unclosed></ClinicalDocument>")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "claim.json").write_text(json.dumps({"resourceType": "Claim", "id": "c1"}))
    with caplog.at_level(logging.DEBUG, logger="medcoder"):
        report = ingest_paths([tmp_path])
    reasons = {Path(r.source).name: r.reason for r in report.rejected}
    assert set(reasons) == {"bad.json", "latin1.txt", "bad.xml", "image.png", "claim.json"}
    assert "malformed JSON" in reasons["bad.json"]
    assert "not valid utf-8" in reasons["latin1.txt"]
    assert "malformed XML" in reasons["bad.xml"]
    assert "unsupported file type .png" in reasons["image.png"]
    assert "Claim carries no clinical document" in reasons["claim.json"]
    assert sorted(d.document.source_id for d in report.parsed) == ["DocumentReference/ok", "note.txt"]
    assert len(report.parsed) + len(report.rejected) == 7
    # No PHI in logs: the note text never appears.
    assert "cough" not in caplog.text


def test_decode_bytes_charsets() -> None:
    assert decode_bytes("caf\u00e9".encode("latin-1"), "iso-8859-1") == "caf\u00e9"
    assert decode_bytes(b"\xef\xbb\xbfhi") == "hi"
    assert decode_bytes("hi".encode("utf-16")) == "hi"
    with pytest.raises(InputFormatError, match="offset 3"):
        decode_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(InputFormatError, match="unknown charset"):
        decode_bytes(b"x", "klingon-8")


def test_html_to_text() -> None:
    html = "<div><h1>Plan</h1><table><tr><td>Drug</td><td>Dose</td></tr><tr><td>Amoxicillin</td><td>500 mg</td></tr></table>" \
           "<p>Take <b>with</b>\n   food.</p><ul><li>one</li><li>two</li></ul><script>x()</script></div>"  # fmt: skip
    assert html_to_text(html) == "Plan\nDrug | Dose\nAmoxicillin | 500 mg\nTake with food.\n- one\n- two"
