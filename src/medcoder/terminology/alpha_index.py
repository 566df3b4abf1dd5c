"""The ICD-10-CM Alphabetic Index to Diseases as a tree, with codes checked against the FY2026 Tabular.

Source: ``icd10cm_index/icd10cm-index-2025-flat.csv.gz`` in the shared data folder (the FY2025
index flattened to rows ``RowID, Letter, Level, Term, See, SeeAlso, NonEssModif, Code``; a row's
parent is the nearest preceding row of lower level). The flattening kept only the first code of a
term (a manifestation code in brackets is lost) and dropped ``<seecat>``/``<subcat>``; see the
shared data README and ``data_cards/alpha_index.md``.

The index is FY2025 and often names a category or subcategory ("C94.0-", "M17.1-", "S72.0-")
where a coder continues in the Tabular. :func:`resolve_code` does that continuation: the most
specific billable FY2026 code under the index code whose title best matches the words around the
mention, "unspecified" when the words say nothing more, 7th character "A" (initial encounter) and X
placeholders where the category needs them.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medcoder.paths import shared_data_dir
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm
from medcoder.terminology.search import tokenize

FLAT_INDEX = "icd10cm-index-2025-flat.csv.gz"
_PAREN = re.compile(r"\(([^)]*)\)")
# Words an index term uses for structure, not content: they are never required in the note.
# Nonessential "modifiers" that are really a cut word ("Cancer(o)phobia" -> term "Cancer" + "(o)").
_CUT_WORDS = frozenset({"(o)"})
# Main terms whose words after the nonessential modifier were dropped by the flattening ("Old
# (previous) myocardial infarction" is the row "Old", I25.2): "80 years old" must not match them.
_TRUNCATED_MAINS = frozenset({"old"})
_STRUCTURAL = frozenset({"nec", "nos", "due", "other", "specified", "unspecified", "site"})


@dataclass(slots=True)
class IndexNode:
    """One index term. ``required``: word stems the note must contain for the term to match;
    ``optional``: nonessential modifiers and extra comma parts of a main term (they add evidence)."""

    row: int
    level: int
    term: str
    parent: int
    code: str | None
    see: str | None
    see_also: str | None
    required: tuple[str, ...]
    optional: tuple[str, ...]
    children: list[int] = field(default_factory=list)
    alternatives: tuple[tuple[str, ...], ...] = ()  # other spellings ("diabetic"), "or" readings

    @property
    def is_with(self) -> bool:
        """A "with" connector: its subterms are linked to the main term by the "with" convention."""
        return self.term.strip().lower() in ("with", "in")

    @property
    def is_connector(self) -> bool:
        """A term made of connector words only ("due to", "from, off, out of"), with no code or
        reference: it groups its subterms and asks nothing of the note."""
        return not self.required and not self.alternatives and self.code is None and not self.see


def required_stems(text: str) -> tuple[str, ...]:
    """The stems of ``text`` a note must contain: structural words ("NEC", "due") and stop words left out."""
    return tuple(
        dict.fromkeys(t for t in tokenize(text) if t not in _STRUCTURAL and (len(t) > 1 or t.isdigit()))
    )


_OR = re.compile(r"([\w'-]+) or ([\w'-]+)", re.IGNORECASE)


def or_variants(text: str, limit: int = 4) -> list[str]:
    """The readings of a term with "X or Y" in it, the word either side of "or" being the choice:
    "lymph gland or node" -> ["lymph gland", "lymph node"]; "atrial or auricular" -> both words."""
    out, todo = [], [text]
    while todo and len(out) + len(todo) <= limit * 2:
        t = todo.pop(0)
        m = _OR.search(t)
        if m is None:
            out.append(t)
            continue
        todo += [t[: m.start()] + m.group(1) + t[m.end() :], t[: m.start()] + m.group(2) + t[m.end() :]]
    return (out + [t for t in todo if not _OR.search(t)])[:limit] or [text]


def term_stems(term: str, main: bool) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(required, optional, alternatives) stems of an index term.

    A main term's first comma part is required ("X or Y" in it: each reading is an alternative,
    ``or_variants``). A later one-word part that shares its first four
    letters is another spelling of the main term ("Diabetes, diabetic", "Hyperlipemia,
    hyperlipidemia"), kept in ``alternatives``; other parts ("Fracture, traumatic") and
    parenthesised words are optional."""
    optional = [t for group in _PAREN.findall(term) for t in tokenize(group)]
    plain = _PAREN.sub(" ", term)
    parts = plain.split(",") if main else [plain]
    first, *others = or_variants(parts[0])
    required = required_stems(first)
    alternatives = [alt for alt in (required_stems(o) for o in others) if alt and alt != required]
    for extra in parts[1:]:
        words = extra.split()
        if (
            len(words) == 1
            and len(parts[0].split()) == 1
            and words[0][:4].lower() == parts[0].strip()[:4].lower()
        ):
            alt = required_stems(extra)
            if alt and alt != required:
                alternatives.append(alt)
        else:
            optional += tokenize(extra)
    return required, tuple(dict.fromkeys(optional)), tuple(alternatives)


class AlphaIndex:
    """The index tree: ``nodes[i]`` with ``children`` as node indices; ``mains`` the level-0 nodes."""

    def __init__(self, nodes: list[IndexNode], source: str) -> None:
        self.nodes = nodes
        self.source = source
        self.mains = [i for i, n in enumerate(nodes) if n.level == 0]
        self._by_name: dict[str, list[int]] = {}
        for i in self.mains:
            self._by_name.setdefault(_key(nodes[i].term.split(",")[0]), []).append(i)
        # a main term with a comma in it ("Wound, open") under its whole name, for "see" references
        self._followed: dict[str, int | None] = {}
        self._by_full: dict[tuple[str, ...], list[int]] = {}
        for i in self.mains:
            if "," in nodes[i].term:
                full = tuple(_key(p) for p in _PAREN.sub(" ", nodes[i].term).split(",") if p.strip())
                self._by_full.setdefault(full, []).append(i)

    def __len__(self) -> int:
        return len(self.nodes)

    def path(self, i: int) -> list[int]:
        """Node indices from the main term down to node ``i``."""
        out = []
        while i >= 0:
            out.append(i)
            i = self.nodes[i].parent
        return out[::-1]

    def path_text(self, i: int) -> str:
        """ "Diabetes, diabetic > type 2 > with > chronic kidney disease"."""
        return " > ".join(self.nodes[j].term for j in self.path(i))

    def code_of(self, i: int) -> str | None:
        """The code of node ``i``, else of its nearest coded ancestor (a "with" node has none)."""
        while i >= 0:
            if self.nodes[i].code:
                return self.nodes[i].code
            i = self.nodes[i].parent
        return None

    def follow(self, see: str) -> int | None:
        """The node a "see" reference names, or None (memoised: the lookup walks it per clause)."""
        if see not in self._followed:
            self._followed[see] = self._follow(see)
        return self._followed[see]

    def _follow(self, see: str) -> int | None:
        """The node a "see" reference names ("Abuse, drug, inhalant" -> that subterm), or None.

        Parts are compared without parentheses and a trailing NEC/NOS ("drug" finds "drug NEC"),
        may sit under a "with"/"in" connector ("Diabetes, polyneuropathy"), and an instruction
        part ("by type", "by site") that names no entry is passed over."""
        parts = [p.strip() for p in see.split(",") if p.strip()]
        if not parts:
            return None
        starts = [(i, 1) for i in self._by_name.get(_key(parts[0]), [])]
        for k in range(len(parts), 1, -1):
            starts = [(i, k) for i in self._by_full.get(tuple(_key(p) for p in parts[:k]), [])] + starts
        for start, used in starts:
            node, ok = start, True
            for part in parts[used:]:
                nxt = self._child_named(node, _key(part))
                if nxt is None and part.lower().startswith("by "):
                    continue
                if nxt is None:
                    ok = False
                    break
                node = nxt
            if ok:
                return node
        return None

    def _child_named(self, node: int, key: str) -> int | None:
        kids = self.nodes[node].children
        for c in kids:
            if key in _keys(self.nodes[c].term):
                return c
        bare = key.removeprefix("with ")
        for c in kids:
            if self.nodes[c].is_with:
                for g in self.nodes[c].children:
                    if bare in _keys(self.nodes[g].term):
                        return g
        return next((c for c in kids if bare in _keys(self.nodes[c].term)), None)


def _keys(term: str) -> set[str]:
    """A subterm's names for "see" lookups: itself and its "X or Y" readings."""
    return {_key(term), *(_key(v) for v in or_variants(term))}


def _key(term: str) -> str:
    words = _PAREN.sub(" ", term).lower().split()
    while words and words[-1] in ("nec", "nos"):
        words.pop()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def parse_flat_index(lines: Iterable[str], source: str = FLAT_INDEX) -> AlphaIndex:
    """Build the tree from the flattened CSV rows (header line included). Raises ``ValueError``
    naming the row when a level jumps by more than one or a row is malformed."""
    reader = csv.DictReader(lines)
    nodes: list[IndexNode] = []
    stack: list[int] = []
    for n, row in enumerate(reader, 2):
        try:
            level = int(row["Level"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{source}:{n}: bad or missing Level {row.get('Level')!r}") from None
        if level > len(stack) and not (row.get("Term") or "").lower().startswith("note:"):
            raise ValueError(f"{source}:{n}: level {level} under a level-{len(stack) - 1} term")
        term = (row.get("Term") or "").strip()
        if term.lower().startswith("note:"):
            continue  # an instruction, not a term: its "children" belong to the term above it
        del stack[level:]
        parent = stack[-1] if stack else -1
        required, optional, alternatives = term_stems(term, main=level == 0)
        nonessential_raw = row.get("NonEssModif") or ""
        nonessential = tokenize(nonessential_raw)
        outside = _PAREN.sub(" ", nonessential_raw)
        if not required and outside.strip():
            # "and" + "(on) chronic": the flattening moved the term's words into this column
            required = required_stems(outside)
        if nonessential_raw.strip() in _CUT_WORDS or (level == 0 and term.lower() in _TRUNCATED_MAINS):
            # the flattening cut a word at a bracketed letter ("Cancer(o)phobia" -> "Cancer" + "(o)"):
            # the row's term is not what it says, so it must never match
            required = ("<flattening-artifact>",)
        node = IndexNode(
            row=int(row.get("RowID") or n),
            level=level,
            term=term,
            parent=parent,
            code=(row.get("Code") or "").strip().upper() or None,
            see=(row.get("See") or "").strip() or None,
            see_also=(row.get("SeeAlso") or "").strip() or None,
            required=required,
            optional=tuple(dict.fromkeys(optional + tuple(nonessential))),
            alternatives=alternatives,
        )
        idx = len(nodes)
        nodes.append(node)
        if parent >= 0:
            nodes[parent].children.append(idx)
        stack.append(idx)
    return AlphaIndex(nodes, source)


def flat_index_path() -> Path:
    return shared_data_dir() / "icd10cm_index" / FLAT_INDEX


@functools.cache
def load_alpha_index(path: str | None = None) -> AlphaIndex:
    """The Alphabetic Index from the shared data folder (FileNotFoundError says where it looked)."""
    p = Path(path) if path else flat_index_path()
    if not p.exists():
        raise FileNotFoundError(f"ICD-10-CM Alphabetic Index not found at {p} (set MEDCODER_SHARED_DATA)")
    with gzip.open(p, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8").read()
    return parse_flat_index(text.splitlines(), p.name)


def _title_overlap(cm: ICD10CM, code: str, words: Collection[str]) -> tuple[int, int]:
    title = set(tokenize(cm.description(code)))
    return len(title & set(words)), cm.description(code).lower().count("unspecified")


def resolve_code(code: str, words: Collection[str], cm: ICD10CM | None = None) -> str | None:
    """The billable FY2026 code a coder reaches from index code ``code`` given the mention's ``words``
    (stems), or None when ``code`` is not in the FY2026 Tabular.

    Walks down while the code has children: the child whose title shares most words with the
    mention, then the "unspecified" one, then the first. Adds X placeholders and 7th character
    "A" (or the first listed) where the category requires a 7th character.
    """
    cm = cm or get_icd10cm()
    code = code.rstrip("-").rstrip(".").upper()
    if not code or not cm.is_valid(code):
        return None
    while not cm.is_billable(code):
        kids = [k for k in cm.children(code) if cm.is_valid(k)]
        if not kids:
            break
        code = max(kids, key=lambda k: _title_overlap(cm, k, words))
        if cm.needs_seventh_character(code) and len(code.replace(".", "")) >= 6:
            break
    if cm.needs_seventh_character(code):
        chars = cm.seventh_characters(code)
        seventh = "A" if "A" in chars else next(iter(chars), "A")
        if "subsequent" in words or "sequela" in words:
            for k, meaning in chars.items():
                if ("subsequent" in words and "subsequent" in meaning) or (
                    "sequela" in words and "sequela" in meaning
                ):
                    seventh = k
                    break
        flat = code.replace(".", "")
        flat = flat.ljust(6, "X") + seventh
        candidate = f"{flat[:3]}.{flat[3:]}"
        return candidate if cm.is_valid(candidate) and cm.is_billable(candidate) else None
    return code if cm.is_billable(code) else None
