"""The ICD-10-CM Neoplasm Table (FY2026 XML), grafted onto the Alphabetic Index tree.

The main index sends every malignant morphology ("Carcinoma", "Adenocarcinoma", "Cancer") to
"see Neoplasm, by site, malignant", a table the flattened main index does not contain. The shared
data folder has it as ``icd10cm-neoplasm-April-1-2026-XML.xml.gz``: one main term with 1,939 site
subterms, each with six cells (malignant primary, malignant secondary, ca in situ, benign,
uncertain behavior, unspecified behavior).

:func:`graft_neoplasm_table` turns it into index entries a coder's lookup can walk:

    Neoplasm (cancer, carcinoma, adenocarcinoma, malignancy, malignant, ...)  -> C80.1
      > prostate (gland)                                                       -> C61
        > secondary (metastatic, metastasis)                                   -> C79.82
        > in situ                                                              -> D07.5
        > benign                                                               -> D29.1
        > uncertain behavior                                                   -> D40.0

A site's own code is its malignant primary cell: the words that lead here (cancer, carcinoma)
name a malignancy, and "metastatic"/"benign"/"in situ" move to the matching cell. A cell with "-"
(no code) adds no entry. Site "see" references are kept for ``AlphaIndex.follow``.
"""

from __future__ import annotations

from pathlib import Path

from medcoder.terminology.alpha_index import AlphaIndex, IndexNode, term_stems
from medcoder.terminology.index_xml import Graft, XmlIndexRow, load_index_table, read_index_xml, reading_stems
from medcoder.terminology.search import tokenize

NEOPLASM_FILE = "icd10cm-neoplasm-April-1-2026-XML.xml.gz"
ROW_OFFSET = 1_000_000  # grafted rows are numbered from here, apart from the flat index's RowIDs
MALIGNANT_WORDS = (
    "neoplasm", "cancer", "carcinoma", "adenocarcinoma", "malignancy", "malignant", "sarcoma",
    "metastatic", "metastasis", "metastases",
)  # fmt: skip
BEHAVIORS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (3, "secondary", ("secondary", "metastatic", "metastasis", "metastases", "metastasized")),
    (4, "in situ", ("in situ",)),
    (5, "benign", ("benign",)),
    (6, "uncertain behavior", ("uncertain behavior", "borderline")),
)
"""(table column, entry title, the note words that select the column)."""


NeoplasmRow = XmlIndexRow  # a row of the table: level, site title, nonessential words, cells, see


def read_neoplasm_table(path: Path) -> list[XmlIndexRow]:
    """The table's rows in order (depth-first). Raises ``ValueError`` naming the file when the XML
    has no ``mainTerm``."""
    return read_index_xml(path, "Neoplasm Table")


def graft_neoplasm_table(index: AlphaIndex, rows: list[XmlIndexRow]) -> AlphaIndex:
    """A new ``AlphaIndex``: ``index``'s entries plus the table as entries (module docstring)."""
    graft = Graft(index)
    add = graft.add
    stack: list[int] = []

    for n, row in enumerate(rows):
        del stack[row.level :]
        parent = stack[-1] if stack else -1
        if row.level == 0:
            (required, alternatives), optional = reading_stems(MALIGNANT_WORDS), ()
        else:
            required, optional, alternatives = term_stems(row.title, main=True)
            optional = tuple(dict.fromkeys(optional + tuple(tokenize(row.nemod))))
        k = add(IndexNode(ROW_OFFSET + 10 * n, row.level, row.title or "Neoplasm", parent,
                          row.cells.get(2), row.see if not row.cells else None, None,
                          required, optional, [], alternatives))  # fmt: skip
        stack.append(k)
        for col, title, readings in BEHAVIORS:
            code = row.cells.get(col)
            if code:
                req, alts = reading_stems(readings)
                add(IndexNode(ROW_OFFSET + 10 * n + col, row.level + 1, title, k, code, None, None,
                              req, (), [], alts))  # fmt: skip
    return graft.index(NEOPLASM_FILE)


def load_neoplasm_table() -> list[XmlIndexRow]:
    """The table's rows from the shared data folder (FileNotFoundError says where it looked)."""
    return load_index_table(NEOPLASM_FILE, "Neoplasm Table")
