"""medcoder.rules: coding rules that a suggested code must survive before it is claim-ready.

``validate(encounter, rules=RuleSet())`` returns :class:`Finding` records from ICD-10-CM
conventions, NCCI edits, medical necessity and payer packs, E/M leveling, CMS-HCC V28 recapture
and CDI query drafts. Heavy data (the ICD-10-CM tabular list, HCC tables) load on first use.
"""

from medcoder.rules.encounter import (
    Encounter,
    EncounterCode,
    PatientInfo,
    PriorService,
    encounter_from_document,
    load_encounter,
)
from medcoder.rules.engine import RuleSet, validate
from medcoder.rules.findings import Finding, Severity

__all__ = [
    "Encounter",
    "EncounterCode",
    "Finding",
    "PatientInfo",
    "PriorService",
    "RuleSet",
    "Severity",
    "encounter_from_document",
    "load_encounter",
    "validate",
]
