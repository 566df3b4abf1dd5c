"""Section detection: medspacy's sectionizer plus our rules for common clinical note headers.

Two engines return the same ``Section`` records (character offsets into the text):
- ``rule_sections``: a line-anchored header matcher over ``HEADERS`` (fast, no spaCy); used by
  intake for plain-text sources.
- ``medcoder.nlp.pipeline.medspacy_sections``: medspacy's sectionizer with its 140 default English header rules plus
  ``HEADERS`` added as extra rules (medspacy's defaults miss e.g. "Assessment and Plan" and
  "Review of Systems", which lets the previous section run on).

Canonical names match the C-CDA section names in ``medcoder.ingest.ccda_codes``.
"""

from __future__ import annotations

import re

from medcoder.data.records import Section

HEADERS: dict[str, tuple[str, ...]] = {
    "chief_complaint": (
        "chief complaint",
        "cc",
        "presenting complaint",
        "reason for visit",
        "reason for consultation",
    ),
    "history_of_present_illness": (
        "history of present illness",
        "hpi",
        "history of the present illness",
        "present illness",
    ),
    "past_medical_history": (
        "past medical history",
        "pmh",
        "medical history",
        "past history",
        "past surgical history",
        "psh",
    ),
    "family_history": ("family history", "fh", "family hx"),
    "social_history": ("social history", "sh", "social hx"),
    "review_of_systems": ("review of systems", "ros"),
    "physical_exam": ("physical exam", "physical examination", "exam", "examination", "pe"),
    "vital_signs": ("vital signs", "vitals"),
    "allergies": ("allergies", "allergy", "drug allergies"),
    "medications": (
        "medications",
        "current medications",
        "meds",
        "home medications",
        "medications on admission",
    ),
    "discharge_medications": ("discharge medications", "medications on discharge"),
    "problem_list": ("problem list", "problems", "active problems"),
    "assessment": ("assessment", "impression", "clinical impression", "impressions"),
    "plan": ("plan", "recommendations", "plan of care", "treatment plan"),
    "assessment_and_plan": ("assessment and plan", "assessment & plan", "a/p", "impression and plan"),
    "hospital_course": ("hospital course", "brief hospital course"),
    "procedures": (
        "procedures",
        "procedure",
        "procedure performed",
        "procedures performed",
        "operation performed",
    ),
    "procedure_description": (
        "description of procedure",
        "procedure description",
        "description of operation",
        "operative procedure",
    ),
    "preoperative_diagnosis": ("preoperative diagnosis", "pre-operative diagnosis", "preoperative diagnoses"),
    "postprocedure_diagnosis": (
        "postoperative diagnosis",
        "post-operative diagnosis",
        "postoperative diagnoses",
    ),
    "admission_diagnosis": ("admission diagnosis", "admitting diagnosis", "admission diagnoses"),
    "discharge_diagnosis": (
        "discharge diagnosis",
        "discharge diagnoses",
        "final diagnosis",
        "final diagnoses",
    ),
    "diagnoses": ("diagnosis", "diagnoses"),
    "findings": ("findings",),
    "indications": ("indication", "indications", "indications for procedure"),
    "results": ("results", "labs", "laboratory data", "lab results", "laboratory"),
    "immunizations": ("immunizations", "immunization history"),
    "instructions": (
        "discharge instructions",
        "instructions",
        "patient instructions",
        "follow up",
        "follow-up",
    ),
    "anesthesia": ("anesthesia",),
    "complications": ("complications",),
    "estimated_blood_loss": ("estimated blood loss", "ebl"),
    "subjective": ("subjective",),
    "objective": ("objective",),
}

_PHRASE_TO_NAME = {p: name for name, phrases in HEADERS.items() for p in phrases}
_ALT = "|".join(re.escape(p) for p in sorted(_PHRASE_TO_NAME, key=len, reverse=True))
# A header starts a line (optionally after markdown '#'), and ends with ':' or the end of the line.
_HEADER_RE = re.compile(rf"^[ \t]*#*[ \t]*(?P<h>{_ALT})[ \t]*(?::|$)", re.IGNORECASE | re.MULTILINE)


def mask_markdown(text: str) -> str:
    """Blank out markdown heading marks (``# Plan``) so line-start header rules see the header;
    the length is unchanged, so offsets stay valid for the original text."""
    return re.sub(r"(?m)^[ \t]*#+", lambda m: "\n" * len(m.group(0)), text)


def rule_sections(text: str) -> tuple[Section, ...]:
    """Sections from line-initial headers in ``HEADERS``; each runs until the next header.

    Short abbreviations (``cc``, ``pe``, ``sh``) count only when followed by a colon, so ordinary
    words at a line start are not taken for headers.
    """
    hits: list[tuple[int, str]] = []
    for m in _HEADER_RE.finditer(text):
        phrase = m.group("h").lower()
        if len(phrase) <= 3 and not m.group(0).rstrip().endswith(":"):
            continue
        hits.append((m.start(), _PHRASE_TO_NAME[phrase]))
    out: list[Section] = []
    for i, (start, name) in enumerate(hits):
        end = hits[i + 1][0] if i + 1 < len(hits) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append(Section(name, start, end))
    return tuple(out)


def section_rules() -> list:
    """``HEADERS`` as medspacy ``SectionRule``s (header followed by a colon, or alone on a line)."""
    from medspacy.section_detection import SectionRule  # lazy: medspacy is the optional nlp extra

    rules = []
    for name, phrases in HEADERS.items():
        for p in phrases:
            if " " in p:
                rules.append(SectionRule(literal=p, category=name))
            rules.append(SectionRule(literal=f"{p}:", category=name))
    return rules
