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
