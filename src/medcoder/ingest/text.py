"""Bytes to text: charset handling, HTML to readable text, whitespace normalisation.

Wrong encodings are a common intake failure (Latin-1 notes labelled UTF-8, UTF-16 exports). We
decode with the declared charset, fall back to UTF-8 (with BOM detection), and raise
``InputFormatError`` rather than guess silently when neither works.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree
from lxml import html as lhtml

from medcoder.errors import InputFormatError

_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "section", "article", "header", "footer", "pre", "blockquote", "dt", "dd", "hr", "title",
}  # fmt: skip


def content_type_parts(content_type: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/plain; charset=utf-8`` into ``("text/plain", {"charset": "utf-8"})``."""
    if not content_type:
        return "", {}
    main, *params = content_type.split(";")
    out: dict[str, str] = {}
    for p in params:
        if "=" in p:
            k, v = p.split("=", 1)
            out[k.strip().lower()] = v.strip().strip('"')
    return main.strip().lower(), out


def decode_bytes(data: bytes, charset: str | None = None, *, where: str | None = None) -> str:
    """Decode ``data`` with its declared charset (or UTF-8), honouring a byte-order mark.

    Raises ``InputFormatError`` naming the charset and byte offset when the bytes do not decode.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    enc = (charset or "utf-8").lower()
    try:
        codecs.lookup(enc)
    except LookupError as e:
        raise InputFormatError(f"unknown charset {charset!r}", path=where) from e
    try:
        return data.decode(enc)
    except UnicodeDecodeError as e:
        raise InputFormatError(
            f"text is not valid {enc} (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "declare the right charset in the content type",
            path=where,
        ) from e


def normalise_whitespace(text: str) -> str:
    """Unify line endings, strip trailing spaces per line, and collapse 3+ blank lines to one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str, *, where: str | None = None) -> str:
    """Readable text from an HTML or XHTML fragment: block elements start new lines, scripts go.

    Table cells are separated by `` | `` so a row stays on one line.
    """
    if not html.strip():
        return ""
    try:
        root = lhtml.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError) as e:
        raise InputFormatError(f"HTML could not be parsed: {e}", path=where) from e
    parts: list[str] = []

    def inline(s: str | None, pre: bool) -> str:
        return (s or "") if pre else re.sub(r"\s+", " ", s or "")

    def walk(el: etree._Element, pre: bool = False) -> None:
        tag = el.tag.split("}")[-1].lower() if isinstance(el.tag, str) else ""
        if tag in {"script", "style", "head"}:
            parts.append(inline(el.tail, pre))
            return
        pre_here = pre or tag == "pre"
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if tag == "li":
            parts.append("- ")
        if tag in {"td", "th"} and el.getprevious() is not None:
            parts.append(" | ")
        parts.append(inline(el.text, pre_here))
        for child in el:
            walk(child, pre_here)
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        parts.append(inline(el.tail, pre))

    walk(root)
    text = "".join(parts)
    text = re.sub(r"[ \u00a0]+", " ", text)
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)
