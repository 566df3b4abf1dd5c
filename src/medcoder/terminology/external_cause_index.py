"""The ICD-10-CM External Cause of Injuries Index (FY2026 XML), grafted onto the Alphabetic Index tree.

The shared data folder has it as ``icd10cm-eindex-April-1-2026-XML.xml.gz``: 314 main terms
("Fall, falling", "Struck by", "Accident, transport", ...) with 7,776 nested terms leading to the
V00-Y99 codes (cause, intent, place of occurrence, activity, status). Its terms become index
entries exactly like the main index's (``alpha_index.term_stems``), with two changes:

- Three main terms name an axis, not words a note uses: "Place of occurrence" (Y92), "Activity"
  (Y93) and "External cause status" (Y99). Nobody writes "place of occurrence: bathroom"; the note
  says "in the bathroom of her house". Their subterms become main terms of their own
  ("Residence (non-institutional) > house, single family > bathroom" -> Y92.012), and
  ``SUPPLEMENTARY`` marks their codes so the matcher proposes them only beside an external cause
  (V00-Y38) (Official Guidelines I.C.20.a: used with a code of the injury it describes).
- A subterm's comma parts are readings of one choice ("stairs, steps"; "from, off, out of"). A
  subterm whose every word is a connector ("due to", "on", "from, off, out of") requires nothing:
  the matcher passes through it to its subterms ("Fall > from, off, out of > ladder" -> W11 on
  "fall from a ladder").
- ``ALIASES`` adds the words notes use for a few terms ("fell" for "Fall", "home" for a
  residence): medcoder's list, not the CDC's.
- Main terms that also name a disease ("Disease", "Failure", "Hemorrhage", "Fracture" and the
  like, ``SKIPPED_MAINS``) are left out: their external-cause readings (X58, Y84) would be
  proposed on every note that mentions the disease.
"""

from __future__ import annotations

from medcoder.terminology.alpha_index import AlphaIndex, IndexNode, or_variants, required_stems, term_stems
from medcoder.terminology.index_xml import Graft, XmlIndexRow, load_index_table
from medcoder.terminology.search import tokenize

EINDEX_FILE = "icd10cm-eindex-April-1-2026-XML.xml.gz"
ROW_OFFSET = 3_000_000  # grafted rows are numbered from here (apart from the other tables)
AXIS_MAINS = frozenset({"place of occurrence", "activity", "external cause status"})
SKIPPED_MAINS = frozenset({
    # they also name a disease or finding in the main index
    "disease", "failure", "hemorrhage", "fracture", "complication", "exhaustion", "ictus", "wound",
    "injury, injured", "misadventure during surgical or medical care", "reaction, abnormal to medical procedure", "sequelae", "high",
    "hot", "broken", "abuse", "suicide, suicidal", "heat", "noise", "vibration", "exposure",
    # the drug table's own main terms (``drug_table``) cover these
    "adverse effect of drugs", "effect of", "poisoning",
    # a posture or effort a note describes, not the cause of an injury (X50 asks for a statement
    # of overexertion, which "Overexertion" and "Strenuous" still reach)
    "standing", "reaching", "straining, excessive", "abandonment",
})  # fmt: skip
UNSPECIFIC = frozenset({"X58", "Y84.9"})
"""Codes a main term gives when the note names no specific cause: a coder assigns them only on an
explicit statement, so a main term keeps its subterms but not these codes of its own."""
ALIASES: dict[str, tuple[str, ...]] = {
    "fall, falling": ("fell", "fallen"),
    "residence": ("home", "house"),
    "house, single family": ("single family",),
    "struck by": ("hit by",),
    "striking against": ("struck", "hit"),
    "bite, bitten by": ("bit", "bitten"),
}
"""Term (lower case, without nonessential words) -> other words a note uses for it."""
SUPPLEMENTARY = ("Y92", "Y93", "Y99")
"""Code prefixes proposed only beside an external-cause (V00-Y38) code."""


def is_supplementary(code: str) -> bool:
    return code.startswith(SUPPLEMENTARY)


def _sub_stems(title: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(required, alternatives) of a subterm: each comma part (and "X or Y" reading) is a reading;
    a subterm with a part made only of connector words requires nothing (a connector)."""
    readings = [required_stems(v) for part in title.split(",") for v in or_variants(part)]
    if not readings or any(not r for r in readings):
        return (), ()
    return readings[0], tuple(dict.fromkeys(r for r in readings[1:] if r != readings[0]))


def _main_name(title: str) -> str:
    """A main term's name for ``SKIPPED_MAINS``/``AXIS_MAINS``: lower case, without NEC/NOS."""
    return " ".join(w for w in title.lower().split() if w not in ("nec", "nos"))


def graft_external_cause_index(index: AlphaIndex, rows: list[XmlIndexRow]) -> AlphaIndex:
    """A new ``AlphaIndex``: ``index``'s entries plus the External Cause Index (module docstring)."""
    graft = Graft(index)
    stack: list[int] = []
    shift = 0  # 1 below an axis main term: its subterms move up one level
    skipping = False
    for n, row in enumerate(rows):
        if row.level == 0:
            name = _main_name(row.title)
            skipping = name in SKIPPED_MAINS
            shift = 1 if name in AXIS_MAINS else 0
            stack = []
            if skipping or shift:
                continue
        if skipping:
            continue
        level = row.level - shift
        del stack[level:]
        parent = stack[-1] if stack else -1
        if level == 0:
            required, optional, alternatives = term_stems(row.title, main=True)
        else:
            (required, alternatives), optional = _sub_stems(row.title), ()
        optional = tuple(dict.fromkeys(optional + tuple(tokenize(row.nemod))))
        extra = tuple(required_stems(a) for a in ALIASES.get(row.title.lower().strip(), ()))
        alternatives = tuple(dict.fromkeys(alternatives + extra))
        code = None if level == 0 and row.code in UNSPECIFIC else row.code
        k = graft.add(IndexNode(ROW_OFFSET + n, level, row.title, parent, code,
                                None if row.code else row.see, row.see_also, required, optional, [],
                                alternatives))  # fmt: skip
        stack.append(k)
    return graft.index(EINDEX_FILE)


def load_external_cause_index() -> list[XmlIndexRow]:
    """The table's rows from the shared data folder (FileNotFoundError says where it looked)."""
    return load_index_table(EINDEX_FILE, "External Cause Index")
