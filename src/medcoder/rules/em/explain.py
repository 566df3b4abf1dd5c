"""The coder-readable rationale of an :class:`EmAssessment`: one part per element.

Each part gives the element's level, why, and short quotes of the note with their character
offsets (the full evidence, every span, stays in the structured record).
"""

from __future__ import annotations

from collections.abc import Iterable

from medcoder.rules.em.assessment import EmAssessment
from medcoder.rules.em.extract import Evidence

MAX_QUOTES = 3  # quotes per element in the text; the record keeps them all
MAX_QUOTE_CHARS = 60


def quote(e: Evidence) -> str:
    """“text” [start:end], the text cut to 60 characters."""
    text = " ".join(e.text.split())
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1] + "…"
    return f"\u201c{text}\u201d [{e.start}:{e.end}]"


def quotes(evidence: Iterable[Evidence]) -> str:
    """Up to three quotes (distinct spans, in note order) and how many more there are."""
    seen, out = set(), []
    for e in sorted(evidence, key=lambda x: (x.start, x.end)):
        if (e.start, e.end) not in seen:
            seen.add((e.start, e.end))
            out.append(e)
    shown = " ".join(quote(e) for e in out[:MAX_QUOTES])
    more = f" (+{len(out) - MAX_QUOTES} more)" if len(out) > MAX_QUOTES else ""
    return f" {shown}{more}" if out else ""


def _family_part(a: EmAssessment) -> str:
    how = "; ".join(d.detail for d in a.family_decisions) or "default"
    return f"family: {a.family_label or a.family} (source {a.family_source}: {how})"


def rationale(a: EmAssessment) -> str:
    """One "; "-separated part per element (problems, data, risk, MDM, time), then the family,
    add-on and separate-visit lines and notes, each quoting the note where it can."""
    parts = [f"{e.element}: {e.label} ({e.reason}){quotes(e.evidence)}" for e in a.elements]
    if a.elements:
        code = a.mdm_code or ("see lines" if a.basis == "age" else "none")
        parts.append(f"MDM (2 of 3): {a.mdm_label} -> {code}")
    if a.basis == "age":
        parts.append(
            f"preventive age band: age {a.age if a.age is not None else 'unknown'} -> {a.supported_code or 'none'}"
        )
    elif a.family != "emergency":
        label = "critical care time" if a.family == "critical_care" else "total time"
        tq = quotes([a.time_evidence]) if a.time_evidence else ""
        parts.append(
            f"{label}: {a.minutes} min -> {a.time_code or 'none'}{tq}"
            if a.minutes is not None
            else f"{label}: not documented"
        )
    parts.append(_family_part(a))
    for ln in a.lines[1:]:
        mods = f"-{'-'.join(ln.modifiers)}" if ln.modifiers else ""
        parts.append(f"also {ln.code}{mods} x{ln.units} ({ln.reason})")
    parts += list(a.notes)
    return "; ".join(parts)
