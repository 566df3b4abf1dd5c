"""The ICD-10-CM Table of Drugs and Chemicals (FY2026 XML), grafted onto the Alphabetic Index tree.

The main index sends "Poisoning", "Overdose", "Toxicity", "Adverse effect" and "Underdosing" to
this table, which the flattened main index does not contain. The shared data folder has it as
``icd10cm-drug-April-1-2026-XML.xml.gz``: 5,179 substances (with nested forms), each with six cells:
poisoning accidental, intentional self-harm, assault, undetermined (columns 2-5), adverse effect
(6) and underdosing (7); "--" where the table gives no code.

:func:`graft_drug_table` turns it into three main terms a coder's lookup can walk, one per way a
note names the event, each with every substance below it:

    Poisoning (overdose, overdosage, toxicity)       > acetaminophen -> T39.1X1 (accidental)
                                                        > intentional self-harm (suicide attempt) -> T39.1X2
                                                        > assault -> T39.1X3, > undetermined -> T39.1X4
    Adverse effect (side effect, adverse reaction,   > naproxen -> T39.315
      induced by, attributed to)
    Underdosing (ran out of, noncompliant with,      > furosemide -> T50.1X6
      missed doses)

The Tabular continuation (``alpha_index.resolve_code``) adds the 7th character ("A", initial
encounter). Poisoning is "accidental" when the note says nothing of intent (Official Guidelines
I.C.19.e.5.b: undetermined only when the record says the intent cannot be determined).
The readings in ``MAINS`` are medcoder's choice of the words notes use, not the CDC's text.
"""

from __future__ import annotations

from medcoder.terminology.alpha_index import AlphaIndex, IndexNode, required_stems, term_stems
from medcoder.terminology.index_xml import Graft, XmlIndexRow, load_index_table, reading_stems
from medcoder.terminology.search import tokenize

DRUG_FILE = "icd10cm-drug-April-1-2026-XML.xml.gz"
ROW_OFFSET = 2_000_000  # grafted rows are numbered from here (the Neoplasm Table uses 1,000,000)

MAINS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (2, "Poisoning", ("poisoning", "overdose", "overdosage", "overdosed", "toxicity")),
    (6, "Adverse effect", ("adverse effect", "side effect", "adverse reaction", "induced", "attributed")),
    (7, "Underdosing", ("underdosing", "underdose", "ran out", "noncompliant", "noncompliance",
                        "nonadherent", "nonadherence", "missed doses")),
)  # fmt: skip
"""(table column, main term title, the note words that lead to it; the first is its own name)."""

INTENTS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (3, "intentional self-harm", ("self harm", "suicide", "suicidal", "intentional")),
    (4, "assault", ("assault", "assaulted", "homicidal")),
    (5, "undetermined", ("undetermined intent", "intent undetermined")),
)
"""Poisoning only: (column, subterm title, note words selecting it)."""


def is_drug_table_row(row: int) -> bool:
    """Whether an index row number was grafted from this table."""
    return ROW_OFFSET <= row < ROW_OFFSET + 1_000_000


def _substance_stems(
    row: XmlIndexRow,
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(required, alternatives, optional) of a substance. A chemical name with commas inside it
    ("2,3,7,8-Tetrachlorodibenzo-p-dioxin") is one name, not a list of readings."""
    if row.title[:1].isdigit():
        req, opt, alts = required_stems(row.title), (), ()
    else:
        req, opt, alts = term_stems(row.title, main=True)
    return req, alts, tuple(dict.fromkeys(opt + tuple(tokenize(row.nemod))))


def graft_drug_table(index: AlphaIndex, rows: list[XmlIndexRow]) -> AlphaIndex:
    """A new ``AlphaIndex``: ``index``'s entries plus the table as three main terms (module docstring).
    A substance whose cell for that column is empty is a grouping entry there (no code of its own)."""
    graft = Graft(index)
    for m, (col, title, readings) in enumerate(MAINS):
        required, alternatives = reading_stems(readings)
        main = graft.add(IndexNode(ROW_OFFSET + m, 0, title, -1, None, None, None, required, (), [],
                                   alternatives))  # fmt: skip
        stack: list[int] = [main]
        for n, row in enumerate(rows):
            del stack[row.level + 1 :]
            code = row.cells.get(col)
            row_id = ROW_OFFSET + 100 + 10 * (len(MAINS) * n + m)
            req, alts, opt = _substance_stems(row)
            # a substance without a code here still groups its forms: "Factor > III" needs "factor"
            k = graft.add(IndexNode(row_id, row.level + 1, row.title, stack[-1], code,
                                    None if code else row.see, None, req, opt, [], alts))  # fmt: skip
            stack.append(k)
            if col != 2 or not code:
                continue
            for icol, ititle, ireadings in INTENTS:
                icode = row.cells.get(icol)
                if icode:
                    ireq, ialts = reading_stems(ireadings)
                    graft.add(IndexNode(row_id + icol, row.level + 2, ititle, k, icode,
                                        None, None, ireq, (), [], ialts))  # fmt: skip
    return graft.index(DRUG_FILE)


def load_drug_table() -> list[XmlIndexRow]:
    """The table's rows from the shared data folder (FileNotFoundError says where it looked)."""
    return load_index_table(DRUG_FILE, "Table of Drugs and Chemicals")
