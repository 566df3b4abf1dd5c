"""Attachment bytes to text, by content type (FHIR Attachment, CDA nonXMLBody, HL7 ED).

Supported: ``text/plain``, ``text/html`` / ``application/xhtml+xml``, ``application/pdf`` (text
layer via pypdf, OCR for scanned pages) and C-CDA XML (``application/xml``, ``text/xml``,
``application/hl7-v3+xml``, ``application/cda+xml``). Anything else, an empty attachment, or one over
``max_bytes`` raises ``InputFormatError`` with the reason, so the batch can report it.
"""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.errors import InputFormatError
from medcoder.ingest.text import content_type_parts, decode_bytes, html_to_text, normalise_whitespace

MAX_ATTACHMENT_BYTES = 20_000_000
XML_TYPES = {
    "application/xml",
    "text/xml",
    "application/hl7-v3+xml",
    "application/cda+xml",
    "application/hl7-cda+xml",
}


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text from an attachment; ``ocr_confidence`` per OCR'd page, ``recovered`` repairs made."""

    text: str
    ocr_confidence: tuple[float, ...] = ()
    recovered: tuple[str, ...] = ()


def decode_attachment(
    data: bytes, content_type: str | None, *, where: str | None = None, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> DecodedText:
    """Decode attachment bytes to plain text according to ``content_type``."""
    if len(data) > max_bytes:
        raise InputFormatError(
            f"attachment is {len(data)} bytes, over the {max_bytes} byte limit", path=where
        )
    if not data:
        raise InputFormatError("attachment is empty", path=where)
    main, params = content_type_parts(content_type)
    if main in {"text/plain", ""}:
        return DecodedText(normalise_whitespace(decode_bytes(data, params.get("charset"), where=where)))
    if main in {"text/html", "application/xhtml+xml"}:
        return DecodedText(html_to_text(decode_bytes(data, params.get("charset"), where=where), where=where))
    if main == "application/pdf":
        from medcoder.ingest.pdf import extract_pdf

        pdf = extract_pdf(data, where=where)
        return DecodedText(pdf.text, pdf.ocr_confidence)
    if main in XML_TYPES:
        from medcoder.ingest.ccda import parse_ccda

        doc = parse_ccda(data, where=where)
        return DecodedText(doc.document.text, recovered=doc.recovered)
    raise InputFormatError(f"unsupported attachment content type {main!r}", path=where)
