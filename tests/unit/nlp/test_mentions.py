"""Clauses: breaks, sections, header words dropped, cues, abbreviation offsets."""

from __future__ import annotations

from medcoder.nlp.mentions import clauses, words_of

NOTE = "HISTORY OF PRESENT ILLNESS:\nDenies chest pain.\nASSESSMENT:\n1. HTN; s/p CABG.\nFAMILY HISTORY:,  Mother had breast cancer."


def test_clauses_sections_and_cues() -> None:
    parts = clauses(NOTE)
    texts = [NOTE[c.start : c.end] for c in parts]
    assert "Denies chest pain." in texts
    by_text = {NOTE[c.start : c.end]: c for c in parts}
    assert by_text["Denies chest pain."].section == "hpi" and "negated" in by_text["Denies chest pain."].cues
    htn = next(c for t, c in by_text.items() if t.startswith("HTN"))
    assert htn.section == "assessment" and htn.cues == ()
    cabg = next(c for t, c in by_text.items() if "CABG" in t)
    assert "historical" in cabg.cues  # s/p
    family = next(c for t, c in by_text.items() if "Mother" in t)
    assert family.section == "family" and "family" in family.cues
    # header words name a section, they are not statements
    assert not any(w.stem == "illness" for c in parts for w in c.words)


def test_abbreviation_words_keep_the_abbreviation_offsets() -> None:
    ws = words_of("Pt has HTN.")
    assert [(w.stem, w.start, w.end) for w in ws][-1] == ("hypertens", 7, 10)


def test_headers_on_their_own_line_name_sections() -> None:
    from medcoder.nlp.mentions import clauses

    text = "FAMILY HISTORY\nMother with stroke.\n\nALLERGIES\nSulfa (hives).\n\nMEDICATIONS (home)\nWarfarin.\nHTN\n"
    got = [(text[c.start : c.end], c.section) for c in clauses(text)]
    assert got == [
        ("Mother with stroke.", "family"),
        ("Sulfa (hives).", "allergy"),
        ("Warfarin.", "meds"),
        ("HTN", "meds"),  # a shouted statement that names no section stays a statement
    ]


def test_risk_discussion_and_post_posed_negation_are_out_of_scope() -> None:
    from medcoder.nlp.mentions import clauses, excluded_by_scope

    text = "We have discussed bleeding, infection, injury to the rectum, deep vein thrombosis, stroke, and death."
    (c,) = clauses(text)
    assert excluded_by_scope(text, c, text.index("stroke"))  # far past the 60-character window
    text = "Lipase normal, so pancreatitis was not suspected. Gallstones with cholecystitis."
    first, second = clauses(text)
    assert excluded_by_scope(text, first, text.index("pancreatitis"))
    assert not excluded_by_scope(text, second, text.index("cholecystitis"))
