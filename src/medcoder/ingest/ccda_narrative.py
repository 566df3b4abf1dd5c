"""Flatten C-CDA narrative blocks (``<text>``) into readable text with stable character offsets.

Tables become one line per row with cells joined by `` | ``, list items become ``- item`` lines,
``<br/>`` and paragraphs start new lines, and inline markup (``content``, ``linkHtml``, ``sub``)
keeps its words in place. While writing, the builder remembers the ``[start, end)`` range of every
element with an ``ID`` attribute, so structured entries that point at narrative (``<reference
value="#Problem1"/>``) can be turned into evidence spans in ``Document.text``.
"""

from __future__ import annotations

import re

from lxml import etree

_BLOCK = {"paragraph", "list", "item", "table", "tr", "caption", "thead", "tbody", "tfoot", "footnote"}
_SKIP = {"renderMultiMedia", "col", "colgroup"}


def local(el: etree._Element) -> str:
    """Element name without namespace (comments and processing instructions give '')."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


class TextBuilder:
    """Append-only text with offsets; collapses XML indentation whitespace as it goes."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self._pending_space = False
        self.ids: dict[str, tuple[int, int]] = {}

    @property
    def at_line_start(self) -> bool:
        return self.pos == 0 or self.parts[-1].endswith("\n")

    def emit(self, s: str) -> None:
        """Append ``s`` verbatim (the caller has normalised it)."""
        if s:
            self.parts.append(s)
            self.pos += len(s)

    def add_text(self, s: str | None) -> None:
        """Append inline text, collapsing whitespace runs and dropping spaces at line starts."""
        if not s:
            return
        s = re.sub(r"\s+", " ", s)
        core = s.strip()
        if s.startswith(" "):
            self._pending_space = True
        if core:
            if self._pending_space and not self.at_line_start:
                self.emit(" ")
            self._pending_space = False
            self.emit(core)
        if s.endswith(" "):
            self._pending_space = True

    def newline(self, blank: bool = False) -> None:
        """End the current line (no-op at a line start); ``blank`` also leaves an empty line."""
        self._pending_space = False
        if self.pos and not self.at_line_start:
            self.emit("\n")
        if blank and self.pos and not "".join(self.parts[-2:]).endswith("\n\n"):
            self.emit("\n")

    def text(self) -> str:
        return "".join(self.parts)


def flatten_narrative(el: etree._Element, out: TextBuilder) -> None:
    """Write the narrative under ``el`` (a section's ``<text>``) into ``out``.

    Plain text with no markup keeps its line breaks; mixed content flows like inline markup.
    """
    if len(el) == 0:
        for line in (el.text or "").strip().splitlines():
            out.add_text(line)
            out.newline()
        return
    out.add_text(el.text)
    for child in el.iterchildren():
        _walk(child, out)
    out.newline()


def _walk(el: etree._Element, out: TextBuilder) -> None:
    name = local(el)
    if not name or name in _SKIP:
        out.add_text(el.tail)
        return
    block = name in _BLOCK
    if block:
        out.newline()
    start = out.pos
    if name == "item":
        out.emit("- ")
    elif name in {"td", "th"} and el.getprevious() is not None:
        out._pending_space = False
        out.emit(" | ")
    elif name == "br":
        out.emit("\n")
    out.add_text(el.text)
    for child in el.iterchildren():
        _walk(child, out)
    if block or name == "tr":
        out.newline()
    ident = el.get("ID")
    if ident:
        out.ids[ident] = (start, out.pos)
    out.add_text(el.tail)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with whitespace or list markers."""
    while start < end and (text[start].isspace() or text[start] in "-|"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
