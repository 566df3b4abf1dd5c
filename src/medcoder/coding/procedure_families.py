"""Procedure families whose code depends on facts in the sentence, not on the words alone.

- lacerations: repair type (simple / intermediate when "layered") and site group pick the family,
  the summed length in cm picks the code (CPT wound-repair guidelines);
- joint injections and arthrocentesis: joint size and ultrasound guidance pick 20600-20611, the
  side adds LT / RT / 50;
- vaccines: the product named picks the product code; administration is G0008/G0009/G0010 for
  Medicare (influenza, pneumococcal, hepatitis B), 90480 for COVID-19, 90460 under 18 with
  counselling, else 90471 + 90472 per additional vaccine;
- HCPCS Level II drugs are in ``medcoder.coding.procedure_drugs``.

Each ``*_lines`` function registers its candidate mentions (for the one ConText pass) and returns a
builder that, given the mention ids ConText left affirmed, returns the lines.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from medcoder.coding.procedure_lexicon import Lexicon
from medcoder.coding.procedure_text import (
    Mention,
    NoteFacts,
    NoteIndex,
    ProcedureLine,
    cue_ok,
    laterality,
    note_age,
)

Builder = Callable[[set[int]], list[ProcedureLine]]

OFFICE_SETTINGS = ("outpatient", "unknown")


@functools.cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def register_mentions(mentions: list[Mention], found: list[Mention]) -> list[int]:
    start = len(mentions)
    mentions.extend(found)
    return list(range(start, start + len(found)))


def _table(rows: list[list[Any]], length: float) -> str:
    return next(code for limit, code in rows if limit is None or length <= float(limit) + 1e-9)


# lacerations --------------------------------------------------------------------------------------
def laceration_lines(index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]) -> Builder:
    cfg = lex.lacerations
    pats = [_rx(p) for p in cfg["patterns"]]
    length_rx, inter_rx, skip_rx = _rx(cfg["length"]), _rx(cfg["intermediate_cue"]), _rx(cfg["skip_if"])
    groups = {k: _rx(v) for k, v in cfg["site_groups"].items()}
    nhf = _rx(cfg["intermediate_neck_hands_feet"])
    found = [m for m in index.find(pats) if cue_ok(index, m, lex, needs_cue=False)]
    ids = register_mentions(mentions, found)

    def build(ok: set[int]) -> list[ProcedureLine]:
        sums: dict[tuple[str, str], float] = {}
        evidence: dict[tuple[str, str], list[tuple[int, int]]] = {}
        seen: set[tuple[float, ...]] = set()
        for k, m in zip(ids, found, strict=True):
            sent = index.sentence_text(m)
            if k not in ok or skip_rx.search(sent):
                continue
            lengths = tuple(float(v) / (10 if u.lower() == "mm" else 1) for v, u in length_rx.findall(sent))
            if not lengths or lengths in seen:  # the same wounds described twice are one repair
                continue
            seen.add(lengths)
            kind = "intermediate" if inter_rx.search(sent) else "simple"
            site = "face" if groups["face"].search(sent) else "trunk_ext"
            if kind == "intermediate" and site == "trunk_ext" and nhf.search(sent):
                site = "neck_hands_feet"
            sums[(kind, site)] = sums.get((kind, site), 0.0) + sum(lengths)
            evidence.setdefault((kind, site), []).append((m.start, m.end))
        out = []
        for (kind, site), total in sums.items():
            rows = cfg["neck_hands_feet"] if site == "neck_hands_feet" else cfg[kind][site]
            desc = f"{'Intermediate (layered)' if kind == 'intermediate' else 'Simple'} wound repair, {site.replace('_', '/')}, total {total:g} cm"
            out.append(ProcedureLine("CPT", _table(rows, total), desc, evidence=evidence[(kind, site)]))
        return out

    return build


# skin lesions -------------------------------------------------------------------------------------
def _diameter_cm(sentence: str, size_rx: re.Pattern[str]) -> float | None:
    m = size_rx.search(sentence)
    if m is None:
        return None
    if m.group(1):
        value, unit = max(float(m.group(1)), float(m.group(2))), m.group(3)
    else:
        value, unit = float(m.group(4)), m.group(5)
    return value / 10 if unit.lower() == "mm" else value


def skin_lesion_lines(index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]) -> Builder:
    cfg = lex.skin_lesions
    if facts.note_type not in ("procedure", "operative", "office_visit", "note", "other", "consult"):
        return lambda ok: []
    exc, shave, lesion = _rx(cfg["excision"]), _rx(cfg["shave"]), _rx(cfg["lesion"])
    size_rx, skip_rx = _rx(cfg["size"]), _rx(cfg["skip_if"])
    groups = [(name, _rx(p)) for name, p in cfg["site_groups"].items()]
    found = [m for m in index.find([shave, exc]) if cue_ok(index, m, lex, needs_cue=False)]
    ids = register_mentions(mentions, found)

    def build(ok: set[int]) -> list[ProcedureLine]:
        out: dict[str, ProcedureLine] = {}
        seen: set[tuple[int, int]] = set()
        for k, m in zip(ids, found, strict=True):
            sent = index.sentence_text(m)
            if k not in ok or m.sentence in seen or skip_rx.search(sent) or not lesion.search(sent):
                continue
            site = next((name for name, rx in groups if rx.search(sent)), None)
            size = _diameter_cm(sent, size_rx)
            if site is None or size is None:
                continue
            seen.add(m.sentence)
            kind = "shave" if shave.search(sent) else "excision"
            code = _table(cfg[f"{kind}_codes"][site], size)
            line = out.get(code)
            if line is None:
                desc = f"{'Shave removal' if kind == 'shave' else 'Excision'} of benign skin lesion, {site.replace('_', '/')}, {size:g} cm"
                out[code] = ProcedureLine("CPT", code, desc, units=1.0, evidence=[m.sentence])
            else:
                line.units += 1
                line.evidence.append(m.sentence)
        return list(out.values())

    return build


# joint injections --------------------------------------------------------------------------------
def joint_lines(index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]) -> Builder:
    cfg = lex.joints
    if facts.setting.value not in (*OFFICE_SETTINGS, "emergency"):
        return lambda ok: []
    pats = [_rx(p) for p in cfg["patterns"]]
    us, no_us = _rx(cfg["ultrasound"]), _rx(cfg["no_ultrasound"])
    sizes = [(name, _rx(p)) for name, p in cfg["sizes"].items()]
    found = [m for m in index.find(pats) if cue_ok(index, m, lex, needs_cue=True)]
    ids = register_mentions(mentions, found)

    def build(ok: set[int]) -> list[ProcedureLine]:
        out = []
        for k, m in zip(ids, found, strict=True):
            if k not in ok:
                continue
            sent, window = index.sentence_text(m), index.window_text(m)
            size = next((name for name, rx in sizes if rx.search(window)), None)
            if size is None:
                continue
            guided = bool(us.search(sent)) and not no_us.search(sent)
            code = cfg["codes"][size]["ultrasound" if guided else "plain"]
            desc = f"Arthrocentesis, aspiration and/or injection, {size} joint or bursa" + (
                ", with ultrasound guidance" if guided else ""
            )
            side = laterality(window)
            out.append(ProcedureLine("CPT", code, desc, modifiers=dict([side]) if side else {},
                                     evidence=[(m.start, m.end)], bundles_admin=True))  # fmt: skip
        return out

    return build


# vaccines ------------------------------------------------------------------------------------------
def _medicare(facts: NoteFacts, age: int | None, cfg: dict[str, Any]) -> bool:
    if facts.payer:
        return "MEDICARE" in facts.payer.upper()
    return age is not None and age >= int(cfg["medicare_age"])


def vaccine_lines(index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]) -> Builder:
    cfg = lex.vaccines
    if facts.setting.value not in OFFICE_SETTINGS:
        return lambda ok: []
    generic = str(cfg["generic_flu"])
    triggers = [_rx(p) for p in cfg["patterns"]] + [
        p.pattern for p in lex.vaccine_products if p.code != generic
    ]
    found = [m for m in index.find(triggers) if cue_ok(index, m, lex, needs_cue=True)]
    ids = register_mentions(mentions, found)
    age = note_age(index.text, facts)
    counsel = _rx(cfg["pediatric_counsel"])

    def build(ok: set[int]) -> list[ProcedureLine]:
        products: dict[str, tuple[str, Mention]] = {}
        for k, m in zip(ids, found, strict=True):
            if k not in ok:
                continue
            sent = index.sentence_text(m)
            flu_done = any(g == "influenza" for g, _ in products.values())
            for p in lex.vaccine_products:
                if p.code in products or (p.group == "influenza" and flu_done) or not p.pattern.search(sent):
                    continue
                products[p.code] = (p.group, m)
                flu_done = flu_done or p.group == "influenza"
        out: list[ProcedureLine] = []
        descs = {p.code: p.desc for p in lex.vaccine_products}
        admin_rest: list[Mention] = []
        for code, (group, m) in products.items():
            ev = [(m.start, m.end)]
            out.append(ProcedureLine("CPT", code, f"Vaccine product: {descs[code]}", evidence=ev))
            if group == "covid":
                out.append(
                    ProcedureLine("CPT", cfg["covid_admin"], "COVID-19 vaccine administration", evidence=ev)
                )
            elif _medicare(facts, age, cfg) and group in cfg["medicare_admin"]:
                g = cfg["medicare_admin"][group]
                out.append(
                    ProcedureLine(
                        "HCPCS",
                        g,
                        f"Administration of {group.replace('_', ' ')} vaccine (Medicare)",
                        evidence=ev,
                    )
                )
            else:
                admin_rest.append(m)
        if admin_rest:
            pediatric = (
                age is not None
                and age < 18
                and any(counsel.search(index.sentence_text(m)) for m in admin_rest)
            )
            first = cfg["pediatric_first"] if pediatric else cfg["first_admin"]
            ev = [(m.start, m.end) for m in admin_rest]
            out.append(
                ProcedureLine("CPT", first, "Immunization administration, first vaccine", evidence=ev[:1])
            )
            if len(admin_rest) > 1:
                out.append(ProcedureLine("CPT", cfg["added_admin"], "Immunization administration, each additional vaccine",
                                         units=float(len(admin_rest) - 1), evidence=ev[1:]))  # fmt: skip
        return out

    return build
