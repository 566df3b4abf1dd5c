"""The rules step of the pipeline: suggestions -> ``medcoder.rules.Encounter`` -> findings, and the
parts of a result that come from rules (HCC/RAF, E/M level with rationale, CDI queries).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.coding.context import EncounterContext
from medcoder.coding.result import CdiQueryDraft, EmResult, HccResult, RuleFinding, Suggestion
from medcoder.data.records import Document, Setting
from medcoder.rules import Encounter, Finding, RuleSet, encounter_from_document, validate
from medcoder.rules.em import assess_em
from medcoder.rules.em.level import em_family, rationale

log = logging.getLogger(__name__)

# Without a billed E/M code the note is levelled as this family's visit (established office / ED).
DEFAULT_EM = {Setting.OUTPATIENT: "99213", Setting.EMERGENCY: "99283"}


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


def _em(doc: Document, ctx: EncounterContext) -> EmResult | None:
    code = ctx.em_code if ctx.em_code and em_family(ctx.em_code) else DEFAULT_EM.get(doc.setting)
    if code is None:
        return None
    a = assess_em(doc.text, code)
    return EmResult(
        billed=ctx.em_code,
        supported_code=a.supported_code,
        basis=a.basis,
        mdm=a.mdm_label,
        minutes=a.minutes,
        rationale=rationale(a),
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
