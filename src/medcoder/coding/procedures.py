"""The procedure step of the pipeline: CPT and HCPCS Level II lines read out of the note.

Pure functions over the note text and a few encounter facts, driven by the curated lexicon
``medcoder/rules/data/procedures.yaml`` (patterns, code tables, J-code billing units, modifier
rules). :func:`find_procedures` returns :class:`ProcedureLine` records (code, units, modifiers with
the reason for each, evidence offsets); :func:`procedure_suggestions` turns them into the result's
``Suggestion`` records; :func:`em_modifiers` says whether a billed E/M needs modifier 25.

Only services done at this encounter count (``medcoder.coding.procedure_text``). Families with
their own logic (lacerations by summed length, joint injections by joint size, vaccines with their
administration, J-code drugs with units from the dose) live in ``medcoder.coding.procedure_families``.

Example::

    lines = find_procedures("Ketorolac 30 mg IM given in the office today.", NoteFacts())
    # -> J1885 x 2 and 96372 x 1
"""

from __future__ import annotations

from collections.abc import Sequence

from medcoder.coding.context import EncounterContext
from medcoder.coding.procedure_drugs import drug_lines
from medcoder.coding.procedure_families import (
    joint_lines,
    laceration_lines,
    skin_lesion_lines,
    vaccine_lines,
)
from medcoder.coding.procedure_lexicon import Lexicon, Service, procedure_lexicon
from medcoder.coding.procedure_text import (
    Mention,
    NoteFacts,
    NoteIndex,
    ProcedureLine,
    context_blocked,
    cue_ok,
    laterality,
)
from medcoder.coding.result import Assertion, EvidenceSpan, Suggestion
from medcoder.data.records import Document

__all__ = [
    "NoteFacts",
    "ProcedureLine",
    "code_procedures",
    "em_modifiers",
    "find_procedures",
    "procedure_suggestions",
]

RULE_PROBABILITY = 0.9
"""The probability a lexicon line is reported with (a rule match, not a model score)."""


def _applies(s: Service, facts: NoteFacts) -> bool:
    if s.settings is not None and facts.setting.value not in s.settings:
        return False
    return s.note_types is None or facts.note_type in s.note_types


def _service_lines(
    index: NoteIndex, lex: Lexicon, facts: NoteFacts, mentions: list[Mention]
) -> list[tuple[Service, Mention, int]]:
    """Candidate (service, mention, mention id) that pass the cue checks (ConText comes later)."""
    out = []
    for s in lex.services:
        if not _applies(s, facts):
            continue
        for m in index.find(s.patterns):
            if s.unless is not None and s.unless.search(index.sentence_text(m)):
                continue
            if not cue_ok(index, m, lex, needs_cue=s.needs_cue, cue=s.cue):
                continue
            out.append((s, m, len(mentions)))
            mentions.append(m)
    return out


def _add(lines: dict[str, ProcedureLine], line: ProcedureLine) -> ProcedureLine:
    """Merge a line into the note's lines by code: evidence joined, modifiers added (first side wins)."""
    old = lines.get(line.code)
    if old is None:
        lines[line.code] = line
        return line
    old.evidence += [e for e in line.evidence if e not in old.evidence]
    sided = set(old.modifiers) & {"LT", "RT", "50"}
    for mod, reason in line.modifiers.items():
        if mod == "50" and sided - {"50"}:  # an explicit bilateral mention wins over one side
            old.modifiers = {k: v for k, v in old.modifiers.items() if k not in ("LT", "RT")}
        elif mod in ("LT", "RT") and sided:  # the first side documented (the title) wins
            continue
        old.modifiers[mod] = reason
    return old


def find_procedures(
    text: str, facts: NoteFacts | None = None, lex: Lexicon | None = None
) -> list[ProcedureLine]:
    """CPT/HCPCS lines for the services the note documents as done at this encounter."""
    facts = facts or NoteFacts()
    lex = lex or procedure_lexicon()
    if facts.note_type in lex.skip_note_types:
        return []
    index = NoteIndex(text)
    mentions: list[Mention] = []
    services = _service_lines(index, lex, facts, mentions)
    families = [
        fam(index, lex, facts, mentions)
        for fam in (laceration_lines, skin_lesion_lines, joint_lines, vaccine_lines)
    ]
    drugs = drug_lines(index, lex, facts, mentions)
    blocked = context_blocked(text, mentions, lex)
    ok = {k for k in range(len(mentions)) if not blocked[k]}

    lines: dict[str, ProcedureLine] = {}
    counts: dict[str, int] = {}
    for s, m, mid in services:
        if mid not in ok:
            continue
        code = s.code
        if s.by_minutes:
            minutes = int(next(g for g in m.groups if g))
            code = next(
                (c for lo, hi, c in s.by_minutes if minutes >= lo and (hi is None or minutes <= hi)), ""
            )
            if not code:
                continue
        line = _add(lines, ProcedureLine(s.system, code, s.desc, evidence=[(m.start, m.end)],
                                          bundles_admin=s.bundles_admin))  # fmt: skip
        if s.count_units:
            counts[code] = counts.get(code, 0) + 1
            line.units = float(counts[code])
        if s.clia_waived:
            line.modifiers["QW"] = "CLIA-waived test performed in the office"
        if s.laterality and (side := laterality(index.window_text(m))):
            _add(lines, ProcedureLine(s.system, code, s.desc, modifiers={side[0]: side[1]}))
    for build in families:
        for line in build(ok):
            _add(lines, line)
    for line in drugs(ok, lines):
        _add(lines, line)
    by_code = {s.code: s for s in lex.services}
    for code in list(lines):
        s = by_code.get(code)
        if s is None:
            continue
        if any(c in lines for c in s.replaced_by) or (
            s.requires_any and not any(c in lines for c in s.requires_any)
        ):
            del lines[code]
    for pair in lex.distinct_pairs:
        if pair.column1 in lines and pair.column2 in lines:
            lines[pair.column2].modifiers[pair.modifier] = pair.reason
    return sorted(lines.values(), key=lambda ln: ln.evidence[0][0] if ln.evidence else len(text))


def em_modifiers(
    em_billed: str | None, lines: Sequence[ProcedureLine], lex: Lexicon | None = None
) -> dict[str, str]:
    """``{"25": reason}`` when an E/M is billed with a service that needs a separately identifiable
    E/M (a minor procedure, injection, vaccine administration or cessation counselling), else ``{}``."""
    lex = lex or procedure_lexicon()
    if not em_billed:
        return {}
    with_25 = [ln.code for ln in lines if ln.code in lex.em_25_codes]
    if not with_25:
        return {}
    return {"25": f"significant, separately identifiable E/M on the day of {', '.join(with_25)}"}


def procedure_suggestions(
    text: str, lines: Sequence[ProcedureLine], want_evidence: bool = True
) -> list[Suggestion]:
    """The lines as ``Suggestion`` records (system CPT or HCPCS, units, modifiers, evidence quotes)."""
    out = []
    for ln in lines:
        evidence = [EvidenceSpan(start=s, end=e, text=text[s:e], score=1.0) for s, e in ln.evidence]
        out.append(
            Suggestion(
                system=ln.system,
                code=ln.code,
                description=ln.description,
                probability=RULE_PROBABILITY,
                model_probability=RULE_PROBABILITY,
                threshold=0.5,
                evidence=evidence if want_evidence else [],
                assertion=Assertion.AFFIRMED,
                units=ln.units,
                modifiers=list(ln.modifiers),
                modifier_reasons=dict(ln.modifiers),
            )
        )
    return out


def facts_of(doc: Document) -> NoteFacts:
    """The encounter facts of a ``Document`` the step uses."""
    return NoteFacts(setting=doc.setting, note_type=doc.doc_type, age=doc.patient.age, payer=doc.payer)


def code_procedures(doc: Document, ctx: EncounterContext) -> tuple[list[Suggestion], dict[str, object]]:
    """The pipeline's one call: CPT/HCPCS suggestions for the note, and the E/M line's modifier
    update (``{"modifiers": ["25"], "modifier_reasons": {...}}`` or ``{}``)."""
    lines = find_procedures(doc.text, facts_of(doc))
    mods = em_modifiers(ctx.em_code, lines)
    update: dict[str, object] = {"modifiers": list(mods), "modifier_reasons": mods} if mods else {}
    return procedure_suggestions(doc.text, lines, ctx.want_evidence), update
