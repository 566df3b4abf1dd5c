"""Non-XML attachment bytes to text: plain text, HTML/XHTML and PDF (text layer, OCR for scans).

``decode_binary`` is what a CDA ``nonXMLBody`` may hold (CDA R2 forbids XML there);
``medcoder.ingest.attachments.decode_attachment`` adds C-CDA XML on top for FHIR and HL7 attachments.
An empty attachment, one over ``max_bytes`` or an unsupported type raises ``InputFormatError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.errors import InputFormatError
from medcoder.ingest.pdf import extract_pdf
from medcoder.ingest.text import content_type_parts, decode_bytes, html_to_text, normalise_whitespace

MAX_ATTACHMENT_BYTES = 20_000_000


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text from an attachment; ``ocr_confidence`` per OCR'd page, ``recovered`` repairs made."""

    text: str
    ocr_confidence: tuple[float, ...] = ()
    recovered: tuple[str, ...] = ()


def check_size(data: bytes, max_bytes: int, where: str | None) -> None:
    """Refuse an empty attachment or one over ``max_bytes``."""
    if len(data) > max_bytes:
        raise InputFormatError(
            f"attachment is {len(data)} bytes, over the {max_bytes} byte limit", path=where
        )
    if not data:
        raise InputFormatError("attachment is empty", path=where)


def decode_binary(
    data: bytes, content_type: str | None, *, where: str | None = None, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> DecodedText:
    """Decode non-XML attachment bytes to plain text according to ``content_type``."""
    check_size(data, max_bytes, where)
    main, params = content_type_parts(content_type)
    if main in {"text/plain", ""}:
        return DecodedText(normalise_whitespace(decode_bytes(data, params.get("charset"), where=where)))
    if main in {"text/html", "application/xhtml+xml"}:
        return DecodedText(html_to_text(decode_bytes(data, params.get("charset"), where=where), where=where))
    if main == "application/pdf":
        pdf = extract_pdf(data, where=where)
        return DecodedText(pdf.text, pdf.ocr_confidence)
    raise InputFormatError(f"unsupported attachment content type {main!r}", path=where)
