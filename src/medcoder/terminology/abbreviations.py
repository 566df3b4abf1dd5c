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
    """A two-column rules-data TSV of ``terminology/data`` (``#`` comments) as a dict."""
    text = (files("medcoder.terminology") / "data" / resource).read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1].strip():
            raise ValueError(f"{resource}:{n}: expected 'key<TAB>value', got {line!r}")
        key = parts[0].strip()
        if key != key.lower() or key in out:
            raise ValueError(f"{resource}:{n}: key {key!r} must be lower-case and listed once")
        out[key] = parts[1].strip()
    return out


@functools.cache
def status_phrases() -> tuple[tuple[str, str, str], ...]:
    """(regex, code, scope) rows of ``status_phrases.tsv``; scope is patient, family or allergy."""
    text = (files("medcoder.terminology") / "data" / "status_phrases.tsv").read_text(encoding="utf-8")
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[2] not in ("patient", "family", "allergy"):
            raise ValueError(f"status_phrases.tsv:{n}: expected 'regex<TAB>code<TAB>patient|family|allergy'")
        rows.append((parts[0], parts[1], parts[2]))
    return tuple(rows)
