"""HCPCS Level II drugs given at the visit: J-code units from the documented dose, plus administration.

Units = ceil(dose / the code's billing unit) (CMS rounding: a partial unit bills as one), the dose
being the one nearest the drug's name in its sentence, converted to the code's unit (g and mcg to
mg). A drug whose dose is not documented is left to the coder (its units cannot be set) unless the
lexicon gives ``default_units``. The administration is 96372 (IM/SC) or 96374 + 96375 (IV push),
unless the note is a procedure/operative note or a procedure on the note includes it. Oral,
sublingual, inhaled and topical mentions are not J-codes; in the ED and hospital the drugs go on
the facility claim, so none are suggested there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from medcoder.coding.procedure_families import OFFICE_SETTINGS, register_mentions
from medcoder.coding.procedure_lexicon import Lexicon
from medcoder.coding.procedure_text import Mention, NoteFacts, NoteIndex, ProcedureLine, cue_ok

_DOSE = re.compile(
    r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*-?\s*(mg|milligrams?|g|gm|grams?|mcg|micrograms?|µg|units?|u|mL|ml|cc)\b",
    re.I,
)
_MASS = {"mg": 1.0, "milligram": 1.0, "g": 1000.0, "gm": 1000.0, "gram": 1000.0, "mcg": 0.001,
         "microgram": 0.001, "µg": 0.001}  # fmt: skip
_VOLUME = {"ml": 1.0, "cc": 1.0}


def billing_units(dose: float, per: float) -> int:
    """CMS rounding: units = dose / billing unit, rounded up (a partial unit bills as one)."""
    return max(1, math.ceil(dose / per - 1e-9))


# drugs ---------------------------------------------------------------------------------------------
def _dose(window: str, name_at: int, unit: str) -> tuple[float, tuple[int, int]] | None:
    """The documented dose nearest the drug name, in the code's unit (mg, units or mL)."""
    best = None
    for m in _DOSE.finditer(window):
        value, u = float(m.group(1).replace(",", "")), m.group(2).lower().rstrip("s")
        if unit == "mg" and u in _MASS:
            amount = value * _MASS[u]
        elif unit == "units" and u in ("unit", "u") or unit == "mL" and u in _VOLUME:
            amount = value
        else:
            continue
        dist = min(abs(m.start() - name_at), abs(m.end() - name_at))
        if best is None or dist < best[0]:
            best = (dist, amount, (m.start(), m.end()))
    return (best[1], best[2]) if best else None


def _route(lex: Lexicon, window: str, near: str) -> str | None:
    if lex.routes["oral"].search(near):
        return None
    for name in ("local", "IM", "SC", "IV"):
        if lex.routes[name].search(window):
            return name
    return None


def drug_lines(
    index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]
) -> Callable[[set[int], dict[str, ProcedureLine]], list[ProcedureLine]]:
    if facts.setting.value not in OFFICE_SETTINGS or facts.note_type in lex.drug_skip_note_types:
        return lambda ok, lines: []
    cands = []
    for d in lex.drugs:
        for m in index.find([d.names]):
            if cue_ok(index, m, lex, needs_cue=True):
                cands.append((d, m))
    ids = register_mentions(mentions, [m for _, m in cands])
    bundled_note = facts.note_type in ("operative", "procedure")

    def build(ok: set[int], lines: dict[str, ProcedureLine]) -> list[ProcedureLine]:
        out: list[ProcedureLine] = []
        routes: list[tuple[str, tuple[int, int]]] = []
        done: set[str] = set()
        for k, (d, m) in zip(ids, cands, strict=True):
            if k not in ok or d.code in done:
                continue
            w0 = m.window[0]
            window = index.window_text(m)
            near = index.text[max(m.sentence[0], m.start - 25) : min(m.sentence[1], m.end + 25)]
            route = _route(lex, index.sentence_text(m), near) or d.default_route
            if route is None:
                continue
            dose = _dose(window, m.start - w0, d.unit)
            if dose is None and d.default_units is None:
                continue  # no documented dose: the units cannot be set, so the line is left to the coder
            units = float(billing_units(dose[0], d.per)) if dose else float(d.default_units or 1)
            ev = [(m.start, m.end)] + ([(w0 + dose[1][0], w0 + dose[1][1])] if dose else [])
            out.append(ProcedureLine("HCPCS", d.code, d.desc, units=units, evidence=ev))
            done.add(d.code)
            routes.append((route, (m.start, m.end)))
        if bundled_note or any(ln.bundles_admin for ln in lines.values()):
            return out
        admin = lex.administration
        im = [ev for r, ev in routes if r in ("IM", "SC")]
        iv = [ev for r, ev in routes if r == "IV"]
        if im:
            out.append(
                ProcedureLine(
                    "CPT", admin["IM"]["code"], admin["IM"]["desc"], units=float(len(im)), evidence=im
                )
            )
        if iv:
            out.append(ProcedureLine("CPT", admin["IV"]["code"], admin["IV"]["desc"], evidence=iv[:1]))
            if len(iv) > 1:
                out.append(ProcedureLine("CPT", admin["IV"]["added"], "IV push, each additional sequential new drug",
                                         units=float(len(iv) - 1), evidence=iv[1:]))  # fmt: skip
        return out

    return build
