"""Everything known about one code as a plain, JSON-ready mapping (used by ``medcoder codes show``).

:func:`detect_system` guesses the code system from the code's shape and the loaded code sets, in
the order ICD-10-CM, ICD-10-PCS (complete code or prefix), CPT, HCPCS.
"""

from __future__ import annotations

import re
from typing import Any

from medcoder.terminology.codesets import CodeSets
from medcoder.terminology.systems import CodeSystem


def detect_system(sets: CodeSets, code: str) -> CodeSystem:
    """The first system that knows ``code``; KeyError naming the code when none does."""
    if sets.icd10cm.is_valid(code):
        return CodeSystem.ICD10CM
    if sets.icd10pcs.is_valid_prefix(code) and len(code.strip()) >= 3 and code.strip()[0].isdigit():
        return CodeSystem.ICD10PCS
    if sets.cpt.is_valid(code):
        return CodeSystem.CPT
    rel = sets.hcpcs
    if rel is not None:
        try:
            rel.get(code)
            return CodeSystem.HCPCS
        except KeyError:
            pass
    if sets.icd10pcs.is_valid_prefix(code):
        return CodeSystem.ICD10PCS
    raise KeyError(f"{code!r} is not a code of ICD-10-CM {sets.icd10cm.version}, ICD-10-PCS, CPT or HCPCS")


def code_info(sets: CodeSets, code: str, system: CodeSystem | str | None = None) -> dict[str, Any]:
    """A mapping with the code's system, version, description and system-specific details."""
    sys_ = CodeSystem(system) if system is not None else detect_system(sets, code)
    if sys_ is CodeSystem.ICD10CM:
        info = _icd10cm_info(sets, code)
        # Undotted "J1100" is both ICD-10-CM J11.00 and HCPCS J1100: say so (pick with --system).
        text = code.strip().upper()
        rel = sets.hcpcs if system is None and re.fullmatch(r"[A-V]\d{4}", text) else None
        if rel is not None and rel.is_valid(text):
            info["also_in"] = [CodeSystem.HCPCS.value]
        return info
    if sys_ is CodeSystem.ICD10PCS:
        pcs = sets.icd10pcs
        complete = pcs.is_valid(code)
        info: dict[str, Any] = {
            "system": sys_.value,
            "code": code.strip().upper(),
            "description": pcs.description(code),
            "complete": complete,
        }
        if complete:
            rec = pcs.get(code)
            info.update(version=rec.release, source=rec.source)
        else:
            matches = pcs.codes_with_prefix(code)
            info.update(version=pcs.version, source=pcs.source, codes_with_prefix=len(matches),
                        examples=matches[:10])  # fmt: skip
        return info
    if sys_ is CodeSystem.CPT:
        entry = sets.cpt.get(code)
        return {"system": sys_.value, "code": entry.code, "description": entry.descriptor,
                "category": entry.category, "version": sets.cpt.version, "source": sets.cpt.source}  # fmt: skip
    rel = sets.hcpcs
    if rel is None:
        raise KeyError(f"no HCPCS release loaded to look up {code!r}")
    r = rel.get(code)
    return {
        "system": sys_.value, "code": r.code, "description": r.long_description,
        "short_description": r.short_description, "modifier": r.is_modifier,
        "add_date": r.add_date.isoformat() if r.add_date else None,
        "termination_date": r.termination_date.isoformat() if r.termination_date else None,
        "action_code": r.action_code, "coverage": r.coverage, "betos": r.betos,
        "version": rel.version, "source": rel.source,
    }  # fmt: skip


def _icd10cm_info(sets: CodeSets, code: str) -> dict[str, Any]:
    cm = sets.icd10cm
    name = cm.name(code)
    chapter = cm.chapter(code)
    return {
        "system": CodeSystem.ICD10CM.value,
        "code": name,
        "description": cm.description(code),
        "billable": cm.is_billable(code),
        "chapter": {"code": chapter, "description": cm.description(chapter)},
        "block": {"code": cm.block(code), "description": cm.description(cm.block(code))},
        "category": cm.category(code),
        "ancestors": [{"code": a, "description": cm.description(a)} for a in cm.ancestors(code)],
        "excludes1": cm.excludes1(code),
        "excludes1_ranges": [str(r) for r in cm.excludes1_ranges(code)],
        "excludes2": cm.excludes2(code),
        "excludes2_ranges": [str(r) for r in cm.excludes2_ranges(code)],
        "inclusion_terms": cm.inclusion_terms(code),
        "code_first": cm.code_first(code),
        "use_additional": cm.use_additional(code),
        "code_also": cm.code_also(code),
        "notes": cm.notes(code),
        "seventh_characters": cm.seventh_characters(code),
        "needs_seventh_character": cm.needs_seventh_character(code),
        "children": [{"code": c, "description": cm.description(c)} for c in cm.children(code)],
        "version": cm.version,
        "source": cm.source,
    }
