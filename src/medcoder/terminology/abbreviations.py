"""Curated rules-data lists: abbreviations (``abbreviations.tsv``) and long-term drugs (``long_term_drugs.tsv``).

Coders read "T2DM", "CKD 3a", "HFrEF" and "s/p" every day; index lookup needs the words the
Alphabetic Index uses. The list is kept as a tab-separated file so a coder can extend it without
touching Python; :func:`abbreviations` reads it once and checks its shape.
"""

from __future__ import annotations

import functools
from importlib.resources import files

RESOURCE = "abbreviations.tsv"
DRUGS_RESOURCE = "long_term_drugs.tsv"


@functools.cache
def abbreviations() -> dict[str, str]:
    """Lower-case abbreviation -> expansion. Raises ``ValueError`` naming the line of a bad row."""
    return read_pairs(RESOURCE)


@functools.cache
def long_term_drugs() -> dict[str, str]:
    """Lower-case drug word -> Z79 long-term drug therapy code (``long_term_drugs.tsv``)."""
    return read_pairs(DRUGS_RESOURCE)


def read_pairs(resource: str) -> dict[str, str]:
    """A two-column rules-data TSV of ``terminology/data`` as a dict; keys lower-case and unique."""
    out: dict[str, str] = {}
    for n, (key, value) in read_rows(resource, 2):
        if key != key.lower() or key in out:
            raise ValueError(f"{resource}:{n}: key {key!r} must be lower-case and listed once")
        out[key] = value
    return out


def read_rows(resource: str, columns: int) -> list[tuple[int, list[str]]]:
    """(line number, fields) of a rules-data TSV of ``terminology/data`` (``#`` comments, blank lines
    skipped); raises ``ValueError`` naming the line of a row without ``columns`` non-empty fields."""
    text = (files("medcoder.terminology") / "data" / resource).read_text(encoding="utf-8")
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != columns or not all(parts):
            raise ValueError(f"{resource}:{n}: expected {columns} tab-separated fields, got {line!r}")
        rows.append((n, parts))
    return rows


@functools.cache
def status_phrases() -> tuple[tuple[str, str, str], ...]:
    """(regex, code, scope) rows of ``status_phrases.tsv``; scope is patient, family or allergy."""
    rows = []
    for n, (regex, code, scope) in read_rows("status_phrases.tsv", 3):
        if scope not in ("patient", "family", "allergy"):
            raise ValueError(
                f"status_phrases.tsv:{n}: scope must be patient, family or allergy, got {scope!r}"
            )
        rows.append((regex, code, scope))
    return tuple(rows)


HISTORY_KINDS = ("family", "personal")


@functools.cache
def history_codes() -> dict[str, tuple[tuple[str, str], ...]]:
    """kind ("family", "personal") -> (code prefix, history code) rows of ``history_codes.tsv``,
    longest prefix first (the lookup takes the first that fits)."""
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in HISTORY_KINDS}
    for n, (kind, prefix, code) in read_rows("history_codes.tsv", 3):
        if kind not in out:
            raise ValueError(f"history_codes.tsv:{n}: kind {kind!r} is not one of {HISTORY_KINDS}")
        out[kind].append((prefix.upper(), code.upper()))
    return {k: tuple(sorted(v, key=lambda r: -len(r[0]))) for k, v in out.items()}


def history_code(kind: str, code: str) -> str | None:
    """The family (Z80-Z84) or personal (Z85) history code for a condition ``code``, or None."""
    return next((z for prefix, z in history_codes()[kind] if code.upper().startswith(prefix)), None)
