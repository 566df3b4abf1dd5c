"""The rules step of the pipeline: suggestions -> ``medcoder.rules.Encounter`` -> findings, and the
parts of a result that come from rules (HCC/RAF, E/M level with rationale, CDI queries).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.coding.context import EncounterContext
from medcoder.coding.result import (
    CdiQueryDraft,
    EmElement,
    EmLine,
    EmResult,
    EvidenceSpan,
    HccResult,
    RuleFinding,
    Suggestion,
)
from medcoder.data.records import Document
from medcoder.rules import Encounter, Finding, RuleSet, encounter_from_document, validate
from medcoder.rules.em import EmFacts, assess_family, choose_family, em_family
from medcoder.rules.em.explain import rationale
from medcoder.rules.em.extract import Evidence

log = logging.getLogger(__name__)

# Without a billed E/M code the family comes from the context's encounter metadata, then the
# document (setting, doc_type, patient age), then note cues: ``medcoder.rules.em.families``.


@dataclass(frozen=True)
class RulesOutcome:
    findings: list[RuleFinding]
    hcc: HccResult | None
    em: EmResult | None
    cdi: list[CdiQueryDraft]


def encounter_for(doc: Document, ctx: EncounterContext, suggestions: Sequence[Suggestion]) -> Encounter:
    """The encounter the rules check: suggested codes in rank order (first ICD-10-CM is first-listed)."""
    return encounter_from_document(
        doc, [(s.system, s.code) for s in suggestions], em_code=ctx.em_code, prior_hccs=ctx.prior_hccs
    )


def _finding_out(f: Finding) -> RuleFinding:
    return RuleFinding(
        rule_id=f.rule_id,
        severity=f.severity.value,
        codes=list(f.codes),
        message=f.message,
        suggested_fix=f.suggested_fix,
        source=f.source,
        version=f.version,
    )


def _span(e: Evidence) -> EvidenceSpan:
    return EvidenceSpan(start=e.start, end=e.end, text=e.text, score=1.0, section=e.kind)


def _em(doc: Document, ctx: EncounterContext) -> EmResult | None:
    """The E/M level of the note: in the billed code's family, else in the family the context,
    the document and the note's cues give; None when nothing says what kind of visit it was."""
    facts = EmFacts(
        encounter_class=ctx.encounter_class,
        new_patient=ctx.new_patient,
        place_of_service=ctx.place_of_service,
        setting=doc.setting.value,
        doc_type=doc.doc_type,
        age=doc.patient.age,
        payer=doc.payer,
    )
    billed = ctx.em_code if ctx.em_code and em_family(ctx.em_code) else None
    choice = choose_family(doc.text, billed, facts)
    if choice.family is None:
        return None
    a = assess_family(doc.text, choice, facts, billed=billed)
    elements = [
        EmElement(element=e.element, level=e.label, reason=e.reason, quotes=[_span(x) for x in e.evidence])
        for e in a.elements
    ]
    if a.time_evidence is not None:
        elements.append(
            EmElement(
                element="time",
                level=f"{a.minutes} min",
                reason=f"-> {a.time_code}",
                quotes=[_span(a.time_evidence)],
            )
        )
    return EmResult(
        billed=ctx.em_code,
        supported_code=a.supported_code,
        basis=a.basis,
        mdm=a.mdm_label,
        minutes=a.minutes,
        rationale=rationale(a),
        family=a.family,
        family_source=a.family_source,
        family_reasons=[f"{d.aspect}: {d.value} ({d.source}: {d.detail})" for d in a.family_decisions],
        elements=elements,
        lines=[
            EmLine(code=ln.code, units=ln.units, modifiers=list(ln.modifiers), reason=ln.reason)
            for ln in a.lines
        ],
        notes=list(a.notes),
    )


def apply_rules(
    doc: Document, ctx: EncounterContext, suggestions: Sequence[Suggestion], rules: RuleSet
) -> RulesOutcome:
    """Run ``medcoder.rules.validate`` and split its findings into the result's parts."""
    findings = validate(encounter_for(doc, ctx, suggestions), rules=rules)
    hcc = None
    cdi: list[CdiQueryDraft] = []
    for f in findings:
        if f.rule_id == "HCC.SUMMARY":
            d = f.details
            hcc = HccResult(
                raf=float(d.get("raf", 0.0)),
                hccs=[str(h) for h in d.get("hccs", [])],
                dropped_by_hierarchy=[str(h) for h in d.get("dropped_by_hierarchy", [])],
                model=f.version,
            )
        elif f.rule_id.startswith("CDI.") and "query" in f.details:
            q = f.details["query"]
            cdi.append(
                CdiQueryDraft(
                    code=q.get("code", ""),
                    axis=q.get("axis", ""),
                    text=q.get("text", ""),
                    options=list(q.get("options", [])),
                )  # fmt: skip
            )
    return RulesOutcome([_finding_out(f) for f in findings], hcc, _em(doc, ctx), cdi)
