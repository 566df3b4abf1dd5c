"""PDF to text: the text layer with pypdf, and Tesseract OCR for scanned pages.

A page whose text layer has fewer than ``min_chars`` characters is treated as scanned: its
embedded images are OCR'd with Tesseract (Debian package ``tesseract-ocr``, called through
pytesseract) and the page's confidence is the mean word confidence Tesseract reports (0-100).
Readiness turns a low page confidence into a finding. Pages are joined with a form feed-free
blank line so offsets stay simple.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from medcoder.errors import InputFormatError
from medcoder.ingest.text import normalise_whitespace

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PdfText:
    """Text of a PDF, plus the OCR confidence of each page that needed OCR (others are absent)."""

    text: str
    pages: int
    ocr_pages: tuple[int, ...] = ()
    ocr_confidence: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class OcrResult:
    text: str
    confidence: float


def ocr_image(image: object, *, lang: str = "eng") -> OcrResult:
    """OCR one PIL image with Tesseract; confidence is the mean over recognised words (0-100)."""
    import pytesseract  # lazy: ~0.8 s to import, and only scanned pages need it

    try:
        data = pytesseract.image_to_data(image, lang=lang, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as e:
        raise InputFormatError(
            "scanned page needs OCR but tesseract is not installed (apt-get install tesseract-ocr)"
        ) from e
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs: list[float] = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if word.strip() and conf >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(word.strip())
            confs.append(conf)
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    return OcrResult(text, sum(confs) / len(confs) if confs else 0.0)


def extract_pdf(data: bytes, *, where: str | None = None, min_chars: int = 20, ocr: bool = True) -> PdfText:
    """Extract text from a PDF's bytes, OCR'ing pages that have (almost) no text layer."""
    from pypdf import PdfReader  # lazy: ~0.2 s; importers of this module need not pay it
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise InputFormatError("not a PDF (missing %PDF header)", path=where)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputFormatError("PDF is encrypted", path=where)
        pages = list(reader.pages)
    except (PdfReadError, ValueError, KeyError) as e:
        raise InputFormatError(f"PDF could not be read: {e}", path=where) from e
    texts: list[str] = []
    ocr_pages: list[int] = []
    confs: list[float] = []
    for n, page in enumerate(pages):
        try:
            text = page.extract_text() or ""
        except Exception as e:  # pypdf raises many types on broken content streams
            raise InputFormatError(f"PDF page {n + 1} text could not be extracted: {e}", path=where) from e
        if len(text.strip()) < min_chars and ocr:
            images = list(page.images)
            if images:
                results = [ocr_image(img.image) for img in images if img.image is not None]
                if results:
                    text = "\n".join(r.text for r in results)
                    ocr_pages.append(n)
                    confs.append(min(r.confidence for r in results))
        texts.append(normalise_whitespace(text))
    log.debug("pdf: %d pages, %d OCR'd", len(pages), len(ocr_pages))
    return PdfText("\n\n".join(t for t in texts if t), len(pages), tuple(ocr_pages), tuple(confs))
