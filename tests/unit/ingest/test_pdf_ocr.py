"""PDF text layer with pypdf and OCR of a rendered image with Tesseract."""

from __future__ import annotations

import io
import os
import shutil

import pytest

from medcoder.errors import InputFormatError
from medcoder.ingest.batch import parse_bytes
from medcoder.ingest.pdf import extract_pdf, ocr_image
from medcoder.ingest.readiness import check_readiness


def _need_tesseract() -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI") or os.environ.get("MEDCODER_REQUIRE_SHARED_DATA") == "1":
            pytest.fail("tesseract-ocr is not installed (apt-get install -y tesseract-ocr)")
        pytest.skip("tesseract-ocr is not installed")


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a Helvetica text layer, written by hand with a correct xref table."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def rendered(text_lines: list[str], size: int = 40) -> object:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1400, 120 + 70 * len(text_lines)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=size)
    for i, line in enumerate(text_lines):
        draw.text((40, 40 + 70 * i), line, fill=0, font=font)
    return img


def test_text_pdf_round_trip() -> None:
    pdf = extract_pdf(text_pdf(["Discharge diagnosis: pneumonia.", "Follow up in two weeks."]))
    assert pdf.text == "Discharge diagnosis: pneumonia.\nFollow up in two weeks."
    assert pdf.pages == 1 and pdf.ocr_pages == ()


def test_not_a_pdf_and_truncated_pdf() -> None:
    with pytest.raises(InputFormatError, match="not a PDF"):
        extract_pdf(b"hello")
    (res,) = parse_bytes(b"%PDF-1.4\n1 0 obj\n<<", "broken.pdf")
    assert res.reason  # a Rejection with a reason, the batch goes on


@pytest.mark.slow
def test_ocr_reads_rendered_text_back() -> None:
    _need_tesseract()
    result = ocr_image(rendered(["Patient denies chest pain", "Left knee effusion"]))
    assert result.text.split("\n") == ["Patient denies chest pain", "Left knee effusion"]
    assert result.confidence > 80


@pytest.mark.slow
def test_scanned_pdf_is_ocrd_with_page_confidence() -> None:
    _need_tesseract()
    buf = io.BytesIO()
    rendered(["Chief complaint cough", "Assessment bronchitis"]).convert("RGB").save(buf, format="PDF")
    (item,) = parse_bytes(buf.getvalue(), "scan.pdf")
    assert item.document.text == "Chief complaint cough\nAssessment bronchitis"
    assert len(item.ocr_confidence) == 1 and item.ocr_confidence[0] > 80
    # Faint, blurred print: Tesseract still returns words, but with low confidence (about 20
    # here), and readiness must hold the document back for it.
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    faint = Image.new("L", (900, 200), 255)
    ImageDraw.Draw(faint).text(
        (20, 60), "illegible smudge 0O0 lI1 rn m", fill=200, font=ImageFont.load_default(size=22)
    )
    buf2 = io.BytesIO()
    faint.filter(ImageFilter.GaussianBlur(2.5)).convert("RGB").save(buf2, format="PDF")
    (low,) = parse_bytes(buf2.getvalue(), "faint.pdf")
    assert len(low.ocr_confidence) == 1 and low.ocr_confidence[0] < 70
    ocr = [f for f in check_readiness(low) if f.check == "ocr"]
    assert len(ocr) == 1 and ocr[0].severity == "error" and "OCR page 1 confidence" in ocr[0].reason
