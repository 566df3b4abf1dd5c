"""The rules step of the pipeline: suggestions -> ``medcoder.rules.Encounter`` -> findings, and the
parts of a result that come from rules (HCC/RAF, E/M level with rationale, CDI queries).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import CodeSystem, Document, Setting
from medcoder.rules import Encounter, EncounterCode, Finding, PatientInfo, RuleSet, validate
from medcoder.serving.intake import EncounterContext
from medcoder.serving.schemas import CdiQueryOut, EmOut, FindingOut, HccOut, Suggestion

log = logging.getLogger(__name__)

# Without a billed E/M code the note is levelled as this family's visit (established office / ED).
DEFAULT_EM = {Setting.OUTPATIENT: "99213", Setting.EMERGENCY: "99283"}


@dataclass(frozen=True)
class RulesOutcome:
    findings: list[FindingOut]
    hcc: HccOut | None
    em: EmOut | None
    cdi: list[CdiQueryOut]


def encounter_for(doc: Document, ctx: EncounterContext, suggestions: Sequence[Suggestion]) -> Encounter:
    """The encounter the rules check: suggested codes in rank order (first ICD-10-CM is first-listed)."""
    codes: list[EncounterCode] = []
    position = 1
    for s in suggestions:
        system = CodeSystem(s.system)
        if system is CodeSystem.ICD10CM:
            codes.append(EncounterCode(system=system, code=s.code, position=position))
            position += 1
        else:
            codes.append(EncounterCode(system=system, code=s.code))
    if ctx.em_code:
        codes.append(EncounterCode(system=CodeSystem.CPT, code=ctx.em_code))
    return Encounter(
        id=doc.id,
        date_of_service=doc.encounter_date or dt.datetime.now(dt.UTC).date(),
        patient=PatientInfo(age=doc.patient.age, sex=doc.patient.sex),
        payer=doc.payer,
        setting=doc.setting if doc.setting is not Setting.UNKNOWN else Setting.OUTPATIENT,
        codes=tuple(codes),
        note_text=doc.text,
        prior_hccs=ctx.prior_hccs,
    )


def _finding_out(f: Finding) -> FindingOut:
    return FindingOut(
        rule_id=f.rule_id,
        severity=f.severity.value,
        codes=list(f.codes),
        message=f.message,
        suggested_fix=f.suggested_fix,
        source=f.source,
        version=f.version,
    )


def _em(doc: Document, ctx: EncounterContext) -> EmOut | None:
    from medcoder.rules.em import assess_em
    from medcoder.rules.em.level import em_family, rationale

    code = ctx.em_code if ctx.em_code and em_family(ctx.em_code) else DEFAULT_EM.get(doc.setting)
    if code is None:
        return None
    a = assess_em(doc.text, code)
    return EmOut(
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
    cdi: list[CdiQueryOut] = []
    for f in findings:
        if f.rule_id == "HCC.SUMMARY":
            d = f.details
            hcc = HccOut(
                raf=float(d.get("raf", 0.0)),
                hccs=[str(h) for h in d.get("hccs", [])],
                dropped_by_hierarchy=[str(h) for h in d.get("dropped_by_hierarchy", [])],
                model=f.version,
            )
        elif f.rule_id.startswith("CDI.") and "query" in f.details:
            q = f.details["query"]
            cdi.append(
                CdiQueryOut(
                    code=q.get("code", ""),
                    axis=q.get("axis", ""),
                    text=q.get("text", ""),
                    options=list(q.get("options", [])),
                )  # fmt: skip
            )
    return RulesOutcome([_finding_out(f) for f in findings], hcc, _em(doc, ctx), cdi)
