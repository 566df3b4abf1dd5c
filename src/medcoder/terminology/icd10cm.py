"""ICD-10-CM: a typed layer over the ``simple_icd_10_cm`` package (April 1 2026 tabular list).

All methods accept dotted or undotted codes in any case. Unknown codes raise
:class:`UnknownCodeError` (a ``KeyError``), except :meth:`ICD10CM.is_valid`.

Inheritance of instructional notes. ICD-10-CM conventions say that an Excludes1/Excludes2,
"code first", "use additional code" or "code also" note at a chapter, block, category or
subcategory applies to every code below it. :meth:`ICD10CM.excludes1` and the other note methods
therefore return the code's own notes first, then those of each ancestor from the nearest
(parent) to the farthest (chapter), without duplicates. Pass ``inherited=False`` for the code's
own notes only. Inclusion terms are not inherited (they describe that code only).

The package is imported lazily (it parses its XML at import, ~3 s), inside :func:`get_icd10cm`.
It exposes its parsed tree only through module-private names; we read the nodes directly
(``simple_icd_10_cm==1.5.0`` is pinned and the tests pin the facts we rely on) because the public
functions cannot tell a block from a category of the same name (``B99``).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from medcoder.terminology.coderefs import CodeRange, normalize_icd10cm, ranges_from_notes, undotted

__all__ = [
    "ICD10CM",
    "CodeRange",
    "UnknownCodeError",
    "get_icd10cm",
    "normalize_icd10cm",
    "undotted",
]

log = logging.getLogger(__name__)

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}  # fmt: skip
_CODE_TYPES = ("category", "subcategory", "extended subcategory")


class UnknownCodeError(KeyError):
    """A code that is not in this ICD-10-CM release (message names the code and the release)."""

    def __str__(self) -> str:  # KeyError would print the message with quotes
        return str(self.args[0]) if self.args else ""


def _version_from_filename(name: str) -> str:
    """``icd10c-tabular-April-1-2026.xml`` -> ``2026-04-01`` (the file name as shipped otherwise)."""
    m = re.search(r"([A-Za-z]+)-(\d{1,2})-(\d{4})", name)
    if not m or m.group(1).lower() not in _MONTHS:
        return name
    return f"{m.group(3)}-{_MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}"


def _split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


class ICD10CM:
    """The ICD-10-CM tabular list: validity, billable flag, hierarchy, notes and 7th characters.

    Build it with :func:`get_icd10cm` (a cached singleton); construction imports the data package.
    """

    def __init__(self) -> None:
        import simple_icd_10_cm as sicd
        from simple_icd_10_cm import simple_icd_10_cm as impl

        self._sicd = sicd
        self._nodes: dict[str, Any] = impl._code_to_node
        pkg_version = _package_version("simple-icd-10-cm")
        self.version: str = _version_from_filename(impl._classification_data_package_file_name)
        self.source: str = (
            f"CDC/NCHS ICD-10-CM tabular list ({impl._classification_data_package_file_name}) "
            f"via simple-icd-10-cm {pkg_version}"
        )
        self._billable: list[str] | None = None
        log.debug("loaded ICD-10-CM %s (%d items)", self.version, len(self._nodes))

    # --- lookup -------------------------------------------------------------------------------
    def _node(self, code: str) -> Any:
        """The tree node of a code, chapter (``"4"``) or block (``"E08-E13"``)."""
        if isinstance(code, str):
            raw = code.strip().upper()
            try:
                node = self._nodes.get(normalize_icd10cm(raw))
            except ValueError:
                node = None
            if node is None:
                node = self._nodes.get(raw)
            if node is not None:
                return node
        raise UnknownCodeError(f"unknown ICD-10-CM code {code!r} (release {self.version})")

    def _code_node(self, code: str) -> Any:
        node = self._node(code)
        if node.type not in _CODE_TYPES:
            raise UnknownCodeError(
                f"{code!r} is an ICD-10-CM {'block' if node.type == 'section' else node.type}, not a code"
            )
        return node

    @staticmethod
    def _lineage(node: Any) -> list[Any]:
        """The node and its ancestors, nearest first (chapter last)."""
        out = []
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    # --- validity and hierarchy ---------------------------------------------------------------
    def is_valid(self, code: str) -> bool:
        """Whether ``code`` is a category, subcategory or full code of this release (chapters/blocks: False)."""
        try:
            return self._node(code).type in _CODE_TYPES
        except UnknownCodeError:
            return False

    def is_billable(self, code: str) -> bool:
        """Whether the code is a leaf (valid for submission on a claim)."""
        return not self._code_node(code).children

    def name(self, code: str) -> str:
        """The canonical form of a code, chapter or block as stored in the release."""
        return str(self._node(code).name)

    def description(self, code: str) -> str:
        """The tabular description of a code, block (``"E08-E13"``) or chapter (``"4"``)."""
        return str(self._node(code).description)

    def chapter(self, code: str) -> str:
        """The chapter number as a string (``"4"`` for E11.22); see :meth:`description` for its title."""
        return str(self._lineage(self._code_node(code))[-1].name)

    def block(self, code: str) -> str:
        """The block (section) holding the code, e.g. ``"E08-E13"``."""
        for node in self._lineage(self._code_node(code))[1:]:
            if node.type == "section":
                return str(node.name)
        raise UnknownCodeError(f"no block found for {code!r}")  # pragma: no cover - every code has one

    def category(self, code: str) -> str:
        """The 3-character category, e.g. ``"E11"``."""
        return str(self._code_node(code).name)[:3]

    def ancestors(self, code: str) -> list[str]:
        """Ancestors from the parent up to the chapter: E11.22 -> [E11.2, E11, E08-E13, 4]."""
        return [str(n.name) for n in self._lineage(self._node(code))[1:]]

    def children(self, code: str) -> list[str]:
        """Direct children (of a code, block or chapter), in tabular order."""
        return [str(c.name) for c in self._node(code).children]

    def billable_descendants(self, code: str) -> list[str]:
        """Billable codes strictly below ``code`` in tabular order ([] for a billable code)."""
        out: list[str] = []
        stack = list(reversed(self._node(code).children))
        while stack:
            node = stack.pop()
            if node.children:
                stack.extend(reversed(node.children))
            elif node.type in _CODE_TYPES:  # a few blocks (e.g. C00-C96) are empty headings, not codes
                out.append(str(node.name))
        return out

    def billable_codes(self) -> list[str]:
        """All billable (leaf) codes of the release in tabular order, dotted (74,719 in April 2026).

        simple-icd-10-cm's own leaf list has 74,736 entries: it also counts 12 empty heading blocks
        (C00-C96, ...) and lists 5 single-category blocks (B20, F99, P84, R99, Z66) twice.
        """
        if self._billable is None:
            self._billable = [c for ch in self._sicd_chapters() for c in self.billable_descendants(ch)]
        return list(self._billable)

    def _sicd_chapters(self) -> list[str]:
        from simple_icd_10_cm import simple_icd_10_cm as impl

        return [str(ch.name) for ch in impl._chapter_list]

    # --- notes --------------------------------------------------------------------------------
    def _list_notes(self, code: str, attr: str, inherited: bool) -> list[str]:
        node = self._code_node(code)
        nodes = self._lineage(node) if inherited else [node]
        seen: dict[str, None] = {}
        for n in nodes:
            for text in getattr(n, attr):
                seen.setdefault(text.strip(), None)
        return list(seen)

    def _text_notes(self, code: str, attr: str, inherited: bool) -> list[str]:
        node = self._code_node(code)
        nodes = self._lineage(node) if inherited else [node]
        seen: dict[str, None] = {}
        for n in nodes:
            for line in _split_lines(getattr(n, attr)):
                seen.setdefault(line, None)
        return list(seen)

    def excludes1(self, code: str, inherited: bool = True) -> list[str]:
        """Excludes1 notes ("not coded here": never code together), own then ancestors' (see module doc)."""
        return self._list_notes(code, "excludes1", inherited)

    def excludes2(self, code: str, inherited: bool = True) -> list[str]:
        """Excludes2 notes ("not included here": may be coded together), own then ancestors'."""
        return self._list_notes(code, "excludes2", inherited)

    def excludes1_ranges(self, code: str, inherited: bool = True) -> list[CodeRange]:
        """Code ranges cited by the Excludes1 notes, e.g. E11 -> [E08, E09, O24.4, P70.2, E13, E10, ...]."""
        return ranges_from_notes(self.excludes1(code, inherited))

    def excludes2_ranges(self, code: str, inherited: bool = True) -> list[CodeRange]:
        """Code ranges cited by the Excludes2 notes."""
        return ranges_from_notes(self.excludes2(code, inherited))

    def includes(self, code: str, inherited: bool = False) -> list[str]:
        """ "Includes" notes (what the category covers); own only unless ``inherited``."""
        return self._list_notes(code, "includes", inherited)

    def inclusion_terms(self, code: str) -> list[str]:
        """Inclusion terms (synonyms) listed under the code itself."""
        return [t.strip() for t in self._code_node(code).inclusion_term]

    def code_first(self, code: str, inherited: bool = True) -> list[str]:
        """ "Code first" note lines (the etiology to sequence first), own then ancestors'."""
        return self._text_notes(code, "code_first", inherited)

    def use_additional(self, code: str, inherited: bool = True) -> list[str]:
        """ "Use additional code" note lines, own then ancestors'."""
        return self._text_notes(code, "use_additional_code", inherited)

    def code_also(self, code: str, inherited: bool = True) -> list[str]:
        """ "Code also" note lines, own then ancestors'."""
        return self._text_notes(code, "code_also", inherited)

    def code_first_ranges(self, code: str, inherited: bool = True) -> list[CodeRange]:
        """Code ranges cited by the "code first" notes."""
        return ranges_from_notes(self.code_first(code, inherited))

    def use_additional_ranges(self, code: str, inherited: bool = True) -> list[CodeRange]:
        """Code ranges cited by the "use additional code" notes (E11.22 -> N18.1-N18.6, ...)."""
        return ranges_from_notes(self.use_additional(code, inherited))

    def code_also_ranges(self, code: str, inherited: bool = True) -> list[CodeRange]:
        """Code ranges cited by the "code also" notes."""
        return ranges_from_notes(self.code_also(code, inherited))

    def notes(self, code: str, inherited: bool = True) -> list[str]:
        """Free-text notes (e.g. chapter guidance), own then ancestors'."""
        return self._text_notes(code, "notes", inherited)

    # --- 7th characters -----------------------------------------------------------------------
    def _seventh_source(self, code: str) -> Any | None:
        node = self._code_node(code)
        if node.seven_chr_def:
            return node
        return node.seven_chr_def_ancestor

    def seventh_characters(self, code: str) -> dict[str, str]:
        """7th-character values and meanings that apply to the code ({} if none).

        They come from the nearest code (usually the category) that defines them:
        S72.001 -> {"A": "initial encounter for closed fracture", ...}.
        """
        src = self._seventh_source(code)
        if src is None:
            return {}
        return {k: re.sub(r"/\s*", " / ", v.replace("\t", " ")).strip() for k, v in src.seven_chr_def.items()}

    def seventh_character_note(self, code: str) -> str:
        """The "appropriate 7th character is to be added ..." note that applies, or ""."""
        node = self._code_node(code)
        src = node if node.seven_chr_note else node.seven_chr_note_ancestor
        return str(src.seven_chr_note).strip() if src is not None else ""

    def needs_seventh_character(self, code: str) -> bool:
        """Whether the code belongs to a 7th-character category and does not carry its 7th character yet.

        True for S72.001 (and S72); False for S72.001A and for E11.22.
        """
        node = self._code_node(code)
        return node.type != "extended subcategory" and self._seventh_source(code) is not None


def _package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - installed from source
        return "unknown"


@functools.cache
def get_icd10cm() -> ICD10CM:
    """The process-wide ICD-10-CM release (loaded on first call, ~3 s)."""
    return ICD10CM()
