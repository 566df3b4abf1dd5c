"""Section detection: header rules and medspacy's sectionizer with our added rules."""

from __future__ import annotations

import pytest

from medcoder.nlp.pipeline import medspacy_sections
from medcoder.nlp.sections import mask_markdown, rule_sections

NOTE = (
    "CHIEF COMPLAINT: Cough.\n"
    "HPI: Three days of cough.\n"
    "Review of Systems\nNegative except as above.\n"
    "Assessment and Plan: Bronchitis. Fluids.\n"
)
SYNTHEA = "# Chief Complaint\nNo complaints.\n\n# History of Present Illness\nShe is 40.\n\n# Assessment and Plan\nRest."


def names_and_text(text: str, sections: tuple) -> list[tuple[str, str]]:
    return [(s.name, text[s.start : s.end]) for s in sections]


def test_rule_sections() -> None:
    assert names_and_text(NOTE, rule_sections(NOTE)) == [
        ("chief_complaint", "CHIEF COMPLAINT: Cough."),
        ("history_of_present_illness", "HPI: Three days of cough."),
        ("review_of_systems", "Review of Systems\nNegative except as above."),
        ("assessment_and_plan", "Assessment and Plan: Bronchitis. Fluids."),
    ]
    assert names_and_text(SYNTHEA, rule_sections(SYNTHEA)) == [
        ("chief_complaint", "# Chief Complaint\nNo complaints."),
        ("history_of_present_illness", "# History of Present Illness\nShe is 40."),
        ("assessment_and_plan", "# Assessment and Plan\nRest."),
    ]


def test_short_abbreviation_needs_colon() -> None:
    text = "Pe\nPlan: rest."
    assert [s.name for s in rule_sections(text)] == ["plan"]


def test_mask_markdown_keeps_length() -> None:
    assert len(mask_markdown(SYNTHEA)) == len(SYNTHEA)
    assert "#" not in mask_markdown(SYNTHEA)


@pytest.mark.slow
def test_medspacy_sections_with_added_rules() -> None:
    # medspacy's defaults have no "review of systems" or "assessment and plan" rule; ours add them.
    got = names_and_text(NOTE, medspacy_sections(NOTE))
    assert got == [
        ("chief_complaint", "CHIEF COMPLAINT: Cough."),
        ("history_of_present_illness", "HPI: Three days of cough."),
        ("review_of_systems", "Review of Systems\nNegative except as above."),
        ("assessment_and_plan", "Assessment and Plan: Bronchitis. Fluids."),
    ]
    assert names_and_text(SYNTHEA, medspacy_sections(SYNTHEA)) == [
        ("chief_complaint", "Chief Complaint\nNo complaints."),
        ("history_of_present_illness", "History of Present Illness\nShe is 40."),
        ("assessment_and_plan", "Assessment and Plan\nRest."),
    ]
