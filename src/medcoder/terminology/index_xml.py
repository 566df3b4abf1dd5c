"""The CDC's ICD-10-CM index XML files (FY2026): one reader for the Neoplasm Table, the Table of
Drugs and Chemicals and the External Cause of Injuries Index, and the common step of grafting their
terms onto the Alphabetic Index tree.

All three files share one shape: ``<letter>`` > ``<mainTerm>`` > nested ``<term level="n">``, each
with a ``<title>`` (optionally holding ``<nemod>`` nonessential words), and either a ``<code>``
(External Cause Index) or ``<cell col="n">`` codes (the two tables), plus ``<see>`` / ``<seeAlso>``
references. :func:`read_index_xml` gives the terms depth-first as :class:`XmlIndexRow`, so every
graft walks the same records.
"""

from __future__ import annotations

import functools
import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from medcoder.paths import shared_data_dir
from medcoder.terminology.alpha_index import AlphaIndex, IndexNode
from medcoder.terminology.search import tokenize


@dataclass(frozen=True, slots=True)
class XmlIndexRow:
    """One term: its level (0 = a main term), title (the words outside ``<nemod>``, in order),
    nonessential words, its own code, cell codes by column ("-"/"--" cells omitted) and references."""

    level: int
    title: str
    nemod: str
    cells: dict[int, str] = field(default_factory=dict)
    see: str | None = None
    code: str | None = None
    see_also: str | None = None


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _title(el: ET.Element | None) -> tuple[str, str]:
    """(title words outside ``<nemod>``, nonessential words): "Blast <nemod>(air)</nemod> in war
    operations" -> ("Blast in war operations", "(air)")."""
    if el is None:
        return "", ""
    words = [el.text or ""]
    nemods = []
    for child in el:
        if child.tag == "nemod":
            nemods.append(_text(child))
        else:
            words.append(_text(child))
        words.append(child.tail or "")
    return " ".join(" ".join(words).split()), " ".join(nemods)


def read_index_xml(path: Path, what: str = "index") -> list[XmlIndexRow]:
    """Every term of the file in index order (depth-first). Raises ``ValueError`` naming the file
    when it has no ``mainTerm`` (``what`` names the table in the message)."""
    with gzip.open(path, "rb") as fh:
        root = ET.parse(fh).getroot()
    mains = root.findall(".//mainTerm")
    if not mains:
        raise ValueError(f"{path.name}: no <mainTerm> in the {what} XML")

    def walk(el: ET.Element, level: int) -> Iterator[XmlIndexRow]:
        title, nemod = _title(el.find("title"))
        cells = {}
        for cell in el.findall("cell"):
            code = (cell.text or "").strip()
            if code and code.strip("-"):
                cells[int(cell.get("col", "0"))] = code.upper()
        code = _text(el.find("code")).upper() or None
        yield XmlIndexRow(level, title, nemod, cells, _text(el.find("see")) or None, code,
                          _text(el.find("seeAlso")) or None)  # fmt: skip
        for sub in el.findall("term"):
            yield from walk(sub, level + 1)

    return [row for m in mains for row in walk(m, 0)]


class Graft:
    """A copy of an index's nodes that new terms are added to; ``index()`` gives the new tree."""

    def __init__(self, index: AlphaIndex) -> None:
        self.nodes = list(index.nodes)
        self.source = index.source
        self._shared = set(range(len(self.nodes)))  # nodes still shared with ``index``

    def add(self, node: IndexNode) -> int:
        """Append ``node`` (its ``parent`` already a node number, or -1) and return its number.
        A parent from the original index is copied first: the original tree is never changed."""
        k = len(self.nodes)
        self.nodes.append(node)
        if node.parent >= 0:
            if node.parent in self._shared:
                old = self.nodes[node.parent]
                self.nodes[node.parent] = replace(old, children=list(old.children))
                self._shared.discard(node.parent)
            self.nodes[node.parent].children.append(k)
        return k

    def index(self, added_source: str) -> AlphaIndex:
        return AlphaIndex(self.nodes, f"{self.source}+{added_source}")


def reading_stems(readings: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(required, alternatives) of an entry medcoder adds: the first reading is the entry's own
    words, the others are other words a note uses for it."""
    words = [tuple(tokenize(r)) for r in readings]
    return words[0], tuple(w for w in words[1:] if w)


@functools.cache
def load_index_table(file: str, what: str) -> list[XmlIndexRow]:
    """The rows of ``icd10cm_index/<file>`` in the shared data folder (FileNotFoundError says
    where it looked; ``what`` names the table)."""
    p = shared_data_dir() / "icd10cm_index" / file
    if not p.exists():
        raise FileNotFoundError(f"ICD-10-CM {what} not found at {p} (set MEDCODER_SHARED_DATA)")
    return read_index_xml(p, what)
