"""Non-XML attachment bytes to text: plain text, HTML/XHTML and PDF (text layer, OCR for scans).

``decode_binary`` is what a CDA ``nonXMLBody`` may hold (CDA R2 forbids XML there);
``medcoder.ingest.attachments.decode_attachment`` adds C-CDA XML on top for FHIR and HL7 attachments.
An empty attachment, one over ``max_bytes`` or an unsupported type raises ``InputFormatError``, and
so do bytes that are not text although the content type says text (an image or archive labelled
``text/plain``, or binary data that a permissive charset such as Latin-1 would decode to mojibake).
"""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.errors import InputFormatError
from medcoder.ingest.pdf import extract_pdf
from medcoder.ingest.text import content_type_parts, decode_bytes, html_to_text, normalise_whitespace

MAX_ATTACHMENT_BYTES = 20_000_000
TEXT_TYPES = {"text/plain", "text/html", "application/xhtml+xml", ""}
# Leading bytes of binary formats that turn up mislabelled as text (file(1)'s magic numbers).
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
              b"II*\x00": "a TIFF image", b"MM\x00*": "a TIFF image", b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP archive",
              b"\x1f\x8b": "gzip data", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an OLE (legacy Office) file",
              b"BM": "a BMP image", b"RIFF": "a RIFF (WAV/AVI/WebP) file", b"\x7fELF": "an executable"}  # fmt: skip
# Characters no clinical note holds: C0 controls other than tab, line feed, vertical tab, form feed
# and carriage return; DEL; and the C1 controls (what Latin-1 makes of binary bytes 0x80-0x9f).
_CONTROL = {chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0))}
MAX_CONTROL_SHARE = 0.01


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


def check_text(data: bytes, charset: str | None, claimed: str, where: str | None) -> str:
    """Decode bytes that claim to be text in ``charset``; raise ``InputFormatError`` if they are binary.

    ``claimed`` says who called them text, to start the message: ``attachment declared text/plain``.
    Binary means: the bytes start with a known binary signature, do not decode in the charset, or
    decode to a NUL or more than 1% control characters. BMP's ``BM`` is only trusted together with
    another sign, since a note may begin with those letters.
    """
    for magic, kind in SIGNATURES.items():
        if data.startswith(magic) and (magic != b"BM" or b"\x00" in data[:64]):
            raise InputFormatError(f"{claimed} but its bytes are {kind}", path=where)
    text = decode_bytes(data, charset, where=where)
    controls = sum(ch in _CONTROL for ch in text)
    if "\x00" in text or controls > MAX_CONTROL_SHARE * len(text):
        raise InputFormatError(
            f"{claimed} but decodes to binary data ({controls} control characters "
            f"in {len(text)}); check the content type and charset",
            path=where,
        )
    return text


def decode_binary(
    data: bytes, content_type: str | None, *, where: str | None = None, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> DecodedText:
    """Decode non-XML attachment bytes to plain text according to ``content_type``."""
    check_size(data, max_bytes, where)
    main, params = content_type_parts(content_type)
    if main in TEXT_TYPES:
        claimed = f"attachment declared {main or 'no content type (read as text/plain)'}"
        text = check_text(data, params.get("charset"), claimed, where)
        if main in {"text/plain", ""}:
            return DecodedText(normalise_whitespace(text))
        return DecodedText(html_to_text(text, where=where))
    if main == "application/pdf":
        pdf = extract_pdf(data, where=where)
        return DecodedText(pdf.text, pdf.ocr_confidence)
    raise InputFormatError(f"unsupported attachment content type {main!r}", path=where)
