"""Alphabetic Index tree: parsing rules on hand-written rows, Tabular continuation on the FY2026 release."""

from __future__ import annotations

import pytest

from medcoder.terminology.alpha_index import parse_flat_index, resolve_code, term_stems

HEADER = "RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code"
ROWS = [
    HEADER,
    '1,D,0,"Diabetes, diabetic",,,(mellitus) (sugar),E11.9',
    "2,D,1,type 2,,,,E11.9",
    "3,D,2,with,,,,",
    "4,D,3,chronic kidney disease,,,,E11.22",
    '5,M,0,"Mellitus, diabetes",Diabetes,,,',
    "6,C,0,Cancer,,,(o),F45.29",
    '7,F,0,"Fracture, traumatic",,,,T14.8',
]


def test_tree_structure_and_stems() -> None:
    ix = parse_flat_index(ROWS)
    assert len(ix) == 7 and ix.mains == [0, 4, 5, 6]
    assert ix.nodes[0].children == [1] and ix.nodes[1].children == [2] and ix.nodes[2].children == [3]
    assert ix.path_text(3) == "Diabetes, diabetic > type 2 > with > chronic kidney disease"
    assert ix.nodes[2].is_with and ix.code_of(2) == "E11.9"  # a "with" node inherits its parent's code
    assert ix.nodes[0].required == ("diabet",)
    assert set(ix.nodes[0].optional) >= {"mellitu", "sugar"}
    assert ix.nodes[1].required == ("type", "2")
    assert ix.follow("Diabetes") == 0 and ix.follow("Diabetes, type 2") == 1 and ix.follow("Nothing") is None


def test_flattening_artifact_never_matches() -> None:
    ix = parse_flat_index(ROWS)
    assert ix.nodes[5].required == ("<flattening-artifact>",)  # "Cancer(o)phobia" cut at "(o)"


def test_main_term_spellings_and_inversions() -> None:
    assert term_stems("Hyperlipemia, hyperlipidemia", main=True)[2] == (("hyperlipidemia",),)
    required, optional, alternatives = term_stems("Fracture, traumatic", main=True)
    assert required == ("fracture",) and "traumat" in optional and alternatives == ()


def test_level_jump_is_an_error_naming_the_row() -> None:
    with pytest.raises(ValueError, match=r":3: level 2 under a level-0 term"):
        parse_flat_index([HEADER, "1,A,0,Abscess,,,,L02.91", "2,A,2,deep,,,,L02.91"])


def test_resolve_code_continues_in_the_tabular() -> None:
    assert resolve_code("E11.22", set()) == "E11.22"  # already billable
    assert resolve_code("N18.3", {"stage", "3a"}) == "N18.31"  # title words pick the child
    assert resolve_code("N18.3", set()) == "N18.30"  # "unspecified" child by default
    assert resolve_code("S72.0-", {"right"}) == "S72.001A"  # right femur, initial encounter
    assert resolve_code("ZZZ.9", set()) is None


def test_or_readings_of_a_term() -> None:
    from medcoder.terminology.alpha_index import or_variants

    assert or_variants("atrial or auricular") == ["atrial", "auricular"]
    assert or_variants("lymph gland or node") == ["lymph gland", "lymph node"]
    assert len(or_variants("with or following ectopic or molar pregnancy")) == 4
    required, _, alternatives = term_stems("atrial or auricular", main=False)
    assert required == ("atri",) and alternatives == (("auricular",),)


FLAT_QUIRKS = [
    HEADER,
    "1,F,0,Failure,,,,",
    "2,F,1,heart,,,(acute),I50.9",
    "3,F,2,left,,,,I50.1",
    '4,F,1,"Note: stages A, B, C",,,,',
    "5,F,2,systolic,,,(congestive),I50.20",
    "6,F,3,acute,,,,I50.21",
    "7,F,4,and,,,(on) chronic (congestive),I50.23",
    "8,D,0,Dependence,,,,F19.20",
    "9,D,1,drug NEC,,,,F19.20",
    "10,D,2,nicotine,,,,F17.200",
    '11,D,1,nicotine,"Dependence, drug, nicotine",,,',
    '12,W,0,"Wound, open",,,,T14.8',
    "13,W,1,toe,,,,S91.109",
    '14,T,0,Toe,"Wound, open, toe",,,',
    "15,O,0,Old,,,(previous),I25.2",
]


def test_flattening_quirks_note_rows_moved_words_and_truncated_mains() -> None:
    ix = parse_flat_index(FLAT_QUIRKS)
    heart = 1
    # the "Note:" row is skipped and "systolic" stays a child of "heart", not of the note
    assert [ix.nodes[k].term for k in ix.nodes[heart].children] == ["left", "systolic"]
    # "and" + "(on) chronic": the moved word is required again
    and_node = next(k for k, n in enumerate(ix.nodes) if n.term == "and")
    assert ix.nodes[and_node].required == ("chron",) and ix.code_of(and_node) == "I50.23"
    old = next(k for k, n in enumerate(ix.nodes) if n.term == "Old")
    assert ix.nodes[old].required == ("<flattening-artifact>",)


def test_see_references_are_followed_leniently() -> None:
    ix = parse_flat_index(FLAT_QUIRKS)
    nicotine = ix.follow("Dependence, drug, nicotine")  # "drug" names "drug NEC"
    assert nicotine is not None and ix.code_of(nicotine) == "F17.200"
    toe = ix.follow("Wound, open, toe")  # a main term with a comma in its name
    assert toe is not None and ix.code_of(toe) == "S91.109"
    assert ix.follow("Failure, by type, heart") == heart_of(ix)  # an instruction part is passed over


def heart_of(ix) -> int:  # type: ignore[no-untyped-def]
    return next(k for k, n in enumerate(ix.nodes) if n.term == "heart")
