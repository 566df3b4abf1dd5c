"""Candidates over the whole ICD-10-CM code set: Alphabetic Index lookup per clause, as a coder does it.

For each clause (``medcoder.nlp.mentions``) every main term whose required words all occur in
the clause is a start; from there the lookup walks down the subterms whose required words occur
too, keeping the path that matches most words (the most specific entry the documentation
supports). Subterms under a "with"/"in" connector may be matched by words anywhere in the note:
the Official Guidelines (I.A.15) presume the link ("diabetes" + "chronic kidney disease" in
another sentence -> E11.22). A "see" reference is followed once. The code reached is continued
in the FY2026 Tabular by ``resolve_code`` (billable, 7th character).

Each :class:`Match` carries the evidence span (the matched words of the clause) and the facts the
reranker scores: words matched, depth, whether the "with" link reached outside the clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.nlp.mentions import Clause, clauses, excluded_by_scope
from medcoder.terminology.alpha_index import AlphaIndex, IndexNode, resolve_code
from medcoder.terminology.drug_table import is_drug_table_row
from medcoder.terminology.external_cause_index import is_supplementary
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm

# A condition ascribed to a relative outside the Family History section ("mother with breast
# cancer", "family history of diabetes"); "lives with her daughter" is not one.
_RELATIVE_WITH = re.compile(
    r"\bfamily history\b|\b(mother|father|sister|brother|aunt|uncle|grand(mother|father)|son|daughter|"
    r"sibling)s?\b.{0,20}\b(with|has|had|have|died|history|diagnosed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Match:
    """One (mention, candidate code) pair."""

    code: str
    index_code: str
    node: int
    main: int
    clause: int
    start: int
    end: int
    n_required: int
    n_optional: int
    depth: int
    outside: bool
    main_words: int
    words: frozenset[str] = frozenset()
    table: str = ""  # "drug": reached through the Table of Drugs and Chemicals


@dataclass(frozen=True, slots=True)
class _Path:
    node: int
    words: frozenset[str]
    optional: int
    depth: int
    outside: bool


class IndexMatcher:
    """Index lookup over clauses; ``matches(text)`` gives every candidate of a note."""

    def __init__(self, index: AlphaIndex, cm: ICD10CM | None = None, max_depth: int = 8) -> None:
        self.ix = index
        self.cm = cm or get_icd10cm()
        self.max_depth = max_depth
        counts: dict[str, int] = {}
        for i in index.mains:
            for w in index.nodes[i].required:
                counts[w] = counts.get(w, 0) + 1
        # each main term is filed under its rarest required word: one lookup finds it
        self._mains_by_word: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i in index.mains:
            for req in (index.nodes[i].required, *index.nodes[i].alternatives):
                if req:
                    key = min(req, key=lambda w: (counts.get(w, 0), w))
                    self._mains_by_word.setdefault(key, []).append((i, req))
        self._resolved: dict[tuple[str, frozenset[str]], str | None] = {}

    def _descend(self, i: int, here: Positions, note: frozenset[str], path: _Path) -> _Path:
        """The best path below node ``i`` (most required words, then shallowest).

        A child matches when one of its readings (``required`` or an ``alternatives`` entry) is in
        the clause. A child without a code that only groups its subterms ("recurrent > current
        episode > moderate") may be passed with part of its words ("recurrent episode, moderate").
        A child that only says "see ..." is followed to the entry it names."""
        best = path
        if path.depth >= self.max_depth:
            return best
        nodes = self.ix.nodes
        for c in nodes[i].children:
            child = nodes[c]
            if child.is_with:
                for g in child.children:
                    req = self._reading(nodes[g], here, note, path.words)
                    if req:
                        inside = here.compact(req)
                        sub = _Path(
                            g, path.words | req, path.optional, path.depth + 2, path.outside or not inside
                        )
                        best = _better(best, self._descend_or_see(g, here, note, sub))
                continue
            if child.is_connector:
                sub = _Path(c, path.words, path.optional, path.depth + 1, path.outside)
                best = _better(best, self._descend(c, here, note, sub))
                continue
            req = self._reading(child, here, frozenset(), path.words)
            if not req and child.code is None and not child.see and len(child.required) > 1:
                part = {w for w in child.required if w in here}
                req = part if part and not part <= path.words else set()
            if req:
                opt = sum(1 for w in child.optional if w in here)
                sub = _Path(c, path.words | req, path.optional + opt, path.depth + 1, path.outside)
                best = _better(best, self._descend_or_see(c, here, note, sub))
        return best

    def _descend_or_see(self, i: int, here: Positions, note: frozenset[str], path: _Path) -> _Path:
        """``_descend`` from node ``i``; when ``i`` has no code of its own but a "see" reference,
        from the entry the reference names (once: no chains)."""
        node = self.ix.nodes[i]
        if node.code is None and node.see and path.depth < self.max_depth:
            target = self.ix.follow(node.see)
            if target is not None and self.ix.code_of(target) is not None:
                return self._descend(target, here, note, _Path(target, path.words, path.optional,
                                                                path.depth + 1, path.outside))  # fmt: skip
        return self._descend(i, here, note, path)

    @staticmethod
    def _reading(node: IndexNode, here: Positions, note: frozenset[str], have: frozenset[str]) -> set[str]:
        """The first reading of ``node`` found in the clause (or, for ``note`` words, anywhere in
        the note) that adds words to the path; empty when none does."""
        for req in (node.required, *node.alternatives):
            r = set(req)
            if r and not r <= have and (here.compact(r) or (note and r <= note)):
                return r
        return set()

    def _resolve(self, code: str, words: frozenset[str]) -> str | None:
        key = (code, words)
        if key not in self._resolved:
            self._resolved[key] = resolve_code(code, words, self.cm)
        return self._resolved[key]

    def match_clause(self, k: int, clause: Clause, note: frozenset[str]) -> list[Match]:
        here = Positions(clause)
        stems = clause.stems()
        nodes = self.ix.nodes
        out: list[Match] = []
        seen: set[int] = set()
        for w in dict.fromkeys(wd.stem for wd in clause.words):  # text order: same result in every process
            for i, req in self._mains_by_word.get(w, ()):
                main = nodes[i]
                if i in seen or not here.compact(set(req)):
                    continue
                seen.add(i)
                opt = sum(1 for t in main.optional if t in here)
                start = _Path(i, frozenset(req), opt, 0, False)
                path = self._descend_or_see(i, here, note, start)
                code = self.ix.code_of(path.node)
                if code is None:
                    continue
                billable = self._resolve(code, stems)
                if billable is None:
                    continue
                spans = [(wd.start, wd.end) for wd in clause.words if wd.stem in path.words]
                out.append(
                    Match(
                        code=billable,
                        index_code=code,
                        node=path.node,
                        main=i,
                        clause=k,
                        start=min(s for s, _ in spans),
                        end=max(e for _, e in spans),
                        n_required=len(path.words),
                        n_optional=path.optional,
                        depth=path.depth,
                        outside=path.outside,
                        main_words=len(req),
                        words=path.words,
                        table="drug" if is_drug_table_row(main.row) else "",
                    )
                )
        return _most_specific(out)

    def matches(self, text: str, parts: Sequence[Clause] | None = None) -> tuple[list[Clause], list[Match]]:
        """The note's clauses and all their candidate matches."""
        parts = list(parts) if parts is not None else clauses(text)
        note = frozenset(w.stem for c in parts for w in c.words if "negated" not in c.cues)
        out: list[Match] = []
        for k, c in enumerate(parts):
            out.extend(m for m in self.match_clause(k, c, note) if not excluded_by_scope(text, c, m.start))
        return parts, _with_injury_only(out)

    def family_matches(self, text: str, parts: Sequence[Clause]) -> list[Match]:
        """Candidates of the conditions documented in relatives: clauses in the Family History
        section or naming a relative, not negated ("mother with breast cancer" -> C50.919, which
        the conventions turn into Z80.3). Links stay inside the clause."""
        out: list[Match] = []
        for k, c in enumerate(parts):
            if "negated" in c.cues:
                continue
            if c.section == "family" or _RELATIVE_WITH.search(text, c.start, c.end):
                out.extend(self.match_clause(k, c, frozenset()))
        return out


def _with_injury_only(found: list[Match]) -> list[Match]:
    """Drop place-of-occurrence, activity and status codes (Y92, Y93, Y99) unless the note also has
    an external cause (V00-Y38) candidate: they only describe the circumstances of one (Official
    Guidelines I.C.20), and "walking" or "in hospital" alone is no event."""
    if any(m.code[0] in "VWX" or (m.code[0] == "Y" and m.code[:3] <= "Y38") for m in found):
        return found
    return [m for m in found if not is_supplementary(m.code)]


def _most_specific(found: list[Match]) -> list[Match]:
    """Drop a match whose words are a strict subset of another match's words in the same clause
    ("Depression > recurrent" F32.A when "Disorder > depressive > recurrent > ... > moderate"
    F33.1 explains the same words and more): the coder takes the entry the documentation
    supports most fully (I.B.2). Only within one chapter letter: a combination code does not
    replace the code it asks to be coded beside it (E11.22 keeps N18.31). Matches on different
    words both stay."""
    return [m for m in found if not any(m.words < o.words and o.code[0] == m.code[0] for o in found)]


class Positions:
    """Where each stem occurs in a clause (word positions), for the adjacency check."""

    def __init__(self, clause: Clause, slack: int = 1) -> None:
        self.slack = slack
        self.pos: dict[str, list[int]] = {}
        for k, w in enumerate(clause.words):
            self.pos.setdefault(w.stem, []).append(k)

    def __contains__(self, stem: object) -> bool:
        return stem in self.pos

    def compact(self, words: set[str]) -> bool:
        """All ``words`` occur, within a window of ``len(words) + slack`` positions ("stage 3a",
        not "type 2 ... stage")."""
        if not all(w in self.pos for w in words):
            return False
        if len(words) == 1:
            return True
        width = len(words) + self.slack
        first, *rest = sorted(words, key=lambda w: len(self.pos[w]))
        return any(all(any(abs(q - p) < width for q in self.pos[w]) for w in rest) for p in self.pos[first])


def _better(a: _Path, b: _Path) -> _Path:
    if len(b.words) != len(a.words):
        return b if len(b.words) > len(a.words) else a
    if b.optional != a.optional:
        return b if b.optional > a.optional else a
    return a if a.depth <= b.depth else b
