"""Attachment bytes to text, by content type (FHIR Attachment, HL7 ED).

Supported: ``text/plain``, ``text/html`` / ``application/xhtml+xml``, ``application/pdf`` (text
layer via pypdf, OCR for scanned pages; see ``medcoder.ingest.binary``) and C-CDA XML
(``application/xml``, ``text/xml``, ``application/hl7-v3+xml``, ``application/cda+xml``). Anything
else, an empty attachment, or one over ``max_bytes`` raises ``InputFormatError`` with the reason,
so the batch can report it.
"""

from __future__ import annotations

from medcoder.ingest.binary import MAX_ATTACHMENT_BYTES, DecodedText, check_size, decode_binary
from medcoder.ingest.ccda import parse_ccda
from medcoder.ingest.text import content_type_parts

XML_TYPES = {
    "application/xml",
    "text/xml",
    "application/hl7-v3+xml",
    "application/cda+xml",
    "application/hl7-cda+xml",
}

__all__ = ["MAX_ATTACHMENT_BYTES", "XML_TYPES", "DecodedText", "decode_attachment"]


def decode_attachment(
    data: bytes, content_type: str | None, *, where: str | None = None, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> DecodedText:
    """Decode attachment bytes to plain text according to ``content_type``."""
    check_size(data, max_bytes, where)
    main, _ = content_type_parts(content_type)
    if main in XML_TYPES:
        doc = parse_ccda(data, where=where)
        return DecodedText(doc.document.text, recovered=doc.recovered)
    return decode_binary(data, content_type, where=where, max_bytes=max_bytes)
