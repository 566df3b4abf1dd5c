"""Code tables for C-CDA intake: document types and sections (LOINC, C-CDA R2.1 templateIds),
code-system OIDs, and encounter settings.

Sources: HL7 C-CDA R2.1 Implementation Guide (templateIds, section LOINC codes), LOINC document
ontology, HL7 v3 ActEncounterCode (2.16.840.1.113883.5.4), and the CPT E/M code ranges.
"""

from __future__ import annotations

from medcoder.data.records import CodeSystem, Setting

# ClinicalDocument/code LOINC -> medcoder doc_type.
DOC_TYPES: dict[str, str] = {
    "34133-9": "summary_of_episode",  # CCD
    "11488-4": "consultation_note",
    "18842-5": "discharge_summary",
    "34117-2": "history_and_physical",
    "11504-8": "operative_note",
    "28570-0": "procedure_note",
    "11506-3": "progress_note",
    "57133-1": "referral_note",
    "18761-7": "transfer_summary",
    "18748-4": "diagnostic_imaging_report",
    "52521-2": "care_plan",
    "18776-5": "care_plan",
    "34109-9": "note",
    "51855-5": "patient_note",
}

# Section LOINC -> canonical section name (the names the nlp sectionizer uses too).
SECTIONS_BY_LOINC: dict[str, str] = {
    "10154-3": "chief_complaint",
    "46239-0": "chief_complaint",
    "29299-5": "reason_for_visit",
    "42349-1": "reason_for_referral",
    "10164-2": "history_of_present_illness",
    "11348-0": "past_medical_history",
    "10157-6": "family_history",
    "29762-2": "social_history",
    "10187-3": "review_of_systems",
    "29545-1": "physical_exam",
    "8716-3": "vital_signs",
    "48765-2": "allergies",
    "10160-0": "medications",
    "29549-3": "medications",
    "10183-2": "discharge_medications",
    "42346-7": "admission_medications",
    "11450-4": "problem_list",
    "75310-3": "health_concerns",
    "47519-4": "procedures",
    "46240-8": "encounters",
    "30954-2": "results",
    "11369-6": "immunizations",
    "51848-0": "assessment",
    "18776-5": "plan",
    "51847-2": "assessment_and_plan",
    "8648-8": "hospital_course",
    "46241-6": "admission_diagnosis",
    "11535-2": "discharge_diagnosis",
    "10218-6": "postprocedure_diagnosis",
    "10219-4": "preoperative_diagnosis",
    "59768-2": "procedure_indications",
    "29554-3": "procedure_description",
    "59775-7": "procedure_specimens",
    "29749-5": "operative_findings",
    "10223-6": "surgical_drains",
    "61149-1": "objective",
    "61150-9": "subjective",
    "47420-5": "functional_status",
    "10162-6": "pregnancy_history",
    "46264-8": "medical_equipment",
    "48768-6": "payers",
    "42348-3": "advance_directives",
    "61146-7": "goals",
    "18782-3": "findings",
    "55111-9": "current_imaging_procedure",
    "55107-7": "addendum",
    "28650-0": "clinical_presentation",
    "11329-0": "history_general",
    "8653-8": "hospital_discharge_instructions",
    "69730-0": "instructions",
    "34109-9": "note",
    "46209-3": "orders",
    "80791-7": "nutrition",
    "85847-2": "patient_treatment_preferences",
    "8689-2": "history_of_outpatient_visits",
}

# Section templateId root -> canonical name, for sections without a recognised code.
SECTIONS_BY_TEMPLATE: dict[str, str] = {
    "2.16.840.1.113883.10.20.22.2.5.1": "problem_list",
    "2.16.840.1.113883.10.20.22.2.5": "problem_list",
    "2.16.840.1.113883.10.20.22.2.7.1": "procedures",
    "2.16.840.1.113883.10.20.22.2.22.1": "encounters",
    "2.16.840.1.113883.10.20.22.2.8": "assessment",
    "2.16.840.1.113883.10.20.22.2.9": "assessment_and_plan",
    "2.16.840.1.113883.10.20.22.2.10": "plan",
    "2.16.840.1.113883.10.20.22.2.65": "note",
    "2.16.840.1.113883.10.20.21.2.1": "findings",
    "2.16.840.1.113883.10.20.22.2.58": "health_concerns",
}

# Code system OIDs -> the systems medcoder codes in (others are ignored as hints).
CODE_SYSTEM_OIDS: dict[str, CodeSystem] = {
    "2.16.840.1.113883.6.90": CodeSystem.ICD10CM,
    "2.16.840.1.113883.6.4": CodeSystem.ICD10PCS,
    "2.16.840.1.113883.6.12": CodeSystem.CPT,
    "2.16.840.1.113883.6.285": CodeSystem.HCPCS,
    "2.16.840.1.113883.6.14": CodeSystem.HCPCS,
}

LOINC_OID = "2.16.840.1.113883.6.1"

# HL7 v3 ActEncounterCode -> setting.
ACT_ENCOUNTER: dict[str, Setting] = {
    "AMB": Setting.OUTPATIENT,
    "HH": Setting.OUTPATIENT,
    "VR": Setting.OUTPATIENT,
    "FLD": Setting.OUTPATIENT,
    "IMP": Setting.INPATIENT,
    "ACUTE": Setting.INPATIENT,
    "NONAC": Setting.INPATIENT,
    "SS": Setting.OUTPATIENT,
    "OBSENC": Setting.OUTPATIENT,
    "EMER": Setting.EMERGENCY,
}


def setting_from_cpt(code: str) -> Setting:
    """Setting implied by a CPT E/M code (office 99202-99215, hospital 99221-99239, ED 99281-99285)."""
    if not code.isdigit():
        return Setting.UNKNOWN
    n = int(code)
    if 99202 <= n <= 99215:
        return Setting.OUTPATIENT
    if 99221 <= n <= 99239:
        return Setting.INPATIENT
    if 99281 <= n <= 99285:
        return Setting.EMERGENCY
    return Setting.UNKNOWN
