"""Table of Drugs and External Cause Index: XML reading and grafting on hand-written tables;
lookups through the matcher on the shared FY2026 files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.terminology.alpha_index import AlphaIndex, parse_flat_index
from medcoder.terminology.drug_table import graft_drug_table, is_drug_table_row
from medcoder.terminology.external_cause_index import graft_external_cause_index
from medcoder.terminology.index_xml import read_index_xml

DRUGS = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><letter><title>A</title>
<mainTerm><title>Acetaminophen</title>
  <cell col="2">T39.1X1</cell><cell col="3">T39.1X2</cell><cell col="4">T39.1X3</cell>
  <cell col="5">T39.1X4</cell><cell col="6">T39.1X5</cell><cell col="7">T39.1X6</cell>
</mainTerm>
<mainTerm><title>Factor</title>
  <cell col="2">--</cell><cell col="6">--</cell>
  <term level="1"><title>III</title><cell col="2">T45.8X1</cell><cell col="6">T45.8X5</cell></term>
</mainTerm>
<mainTerm><title>2,4-D<nemod>(dichlorophen-oxyacetic acid)</nemod></title><cell col="2">T60.3X1</cell></mainTerm>
</letter></ICD10CM.index>
"""

EINDEX = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><letter><title>F</title>
<mainTerm><title>Fall, falling<nemod>(accidental)</nemod></title><code>W19</code>
  <term level="1"><title>from, off, out of</title>
    <term level="2"><title>ladder</title><code>W11</code></term>
  </term>
</mainTerm>
<mainTerm><title>Accident<nemod>(to)</nemod></title><code>X58</code>
  <term level="1"><title>motor vehicle NOS</title><code>V89.2</code></term>
</mainTerm>
<mainTerm><title>Wound NEC</title><code>X58</code></mainTerm>
<mainTerm><title>Blast<nemod>(air)</nemod> in war operations</title><code>Y37.20</code></mainTerm>
<mainTerm><title>Place of occurrence</title><code>Y92.9</code>
  <term level="1"><title>residence<nemod>(private)</nemod></title><code>Y92.009</code>
    <term level="2"><title>bathroom</title><code>Y92.002</code></term>
  </term>
</mainTerm>
</letter></ICD10CM.index>
"""


def _gz(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_bytes(gzip.compress(text.encode()))
    return p


def _base() -> AlphaIndex:
    return parse_flat_index(
        ["RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code", "1,A,0,Abscess,,,,L02.91"]
    )


def _named(ix: AlphaIndex, parent: int, term: str) -> int:
    return next(k for k in ix.nodes[parent].children if ix.nodes[k].term == term)


def test_read_keeps_words_after_the_nonessential_modifier(tmp_path: Path) -> None:
    rows = read_index_xml(_gz(tmp_path, "e.xml.gz", EINDEX))
    blast = next(r for r in rows if r.title.startswith("Blast"))
    assert (blast.title, blast.nemod, blast.code) == ("Blast in war operations", "(air)", "Y37.20")
    factor = next(r for r in read_index_xml(_gz(tmp_path, "d.xml.gz", DRUGS)) if r.title == "Factor")
    assert factor.cells == {}  # "--" cells are no code


def test_drug_table_gives_three_mains_with_intent_under_poisoning(tmp_path: Path) -> None:
    ix = graft_drug_table(_base(), read_index_xml(_gz(tmp_path, "d.xml.gz", DRUGS)))
    mains = {ix.nodes[i].term: i for i in ix.mains}
    assert set(mains) == {"Abscess", "Poisoning", "Adverse effect", "Underdosing"}
    assert ("overdos",) in ix.nodes[mains["Poisoning"]].alternatives
    acet = _named(ix, mains["Poisoning"], "Acetaminophen")
    assert ix.nodes[acet].code == "T39.1X1"  # accidental when the note says nothing of intent
    intents = {ix.nodes[k].term: ix.nodes[k].code for k in ix.nodes[acet].children}
    assert intents == {"intentional self-harm": "T39.1X2", "assault": "T39.1X3", "undetermined": "T39.1X4"}
    assert ix.nodes[_named(ix, mains["Adverse effect"], "Acetaminophen")].code == "T39.1X5"
    assert ix.nodes[_named(ix, mains["Underdosing"], "Acetaminophen")].code == "T39.1X6"
    # a substance with no code in a column groups its forms: "III" is reached only through "Factor"
    factor = _named(ix, mains["Adverse effect"], "Factor")
    assert ix.nodes[factor].code is None and ix.nodes[_named(ix, factor, "III")].code == "T45.8X5"
    assert not any(ix.nodes[k].term == "III" for k in ix.nodes[mains["Adverse effect"]].children)
    # a chemical name with commas in it is one name
    d24 = _named(ix, mains["Poisoning"], "2,4-D")
    assert ix.nodes[d24].required == (
        "2",
        "4",
    )  # one-letter words are never required and ix.nodes[d24].alternatives == ()
    assert is_drug_table_row(ix.nodes[acet].row) and not is_drug_table_row(ix.nodes[ix.mains[0]].row)


def test_external_cause_index_graft(tmp_path: Path) -> None:
    base = _base()
    ix = graft_external_cause_index(base, read_index_xml(_gz(tmp_path, "e.xml.gz", EINDEX)))
    mains = {ix.nodes[i].term: i for i in ix.mains}
    # the axis main term is replaced by its subterms; the disease-like main term is left out
    assert "Place of occurrence" not in mains and "Wound NEC" not in mains and "residence" in mains
    assert (
        ix.nodes[mains["residence"]].code == "Y92.009"
        and ("home",) in ix.nodes[mains["residence"]].alternatives
    )
    assert ix.nodes[_named(ix, mains["residence"], "bathroom")].code == "Y92.002"
    fall = mains["Fall, falling"]
    assert ("fell",) in ix.nodes[fall].alternatives
    connector = _named(ix, fall, "from, off, out of")
    assert ix.nodes[connector].is_connector and ix.nodes[_named(ix, connector, "ladder")].code == "W11"
    # an unspecific code of a main term is dropped, its subterms stay
    assert ix.nodes[mains["Accident"]].code is None
    assert ix.nodes[_named(ix, mains["Accident"], "motor vehicle NOS")].code == "V89.2"
    assert len(base.nodes) == 1 and base.nodes[0].children == []  # the original tree is unchanged


def test_no_main_term_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no <mainTerm> in the Table of Drugs"):
        read_index_xml(_gz(tmp_path, "x.xml.gz", "<ICD10CM.index/>"), "Table of Drugs")


@pytest.fixture(scope="module")
def matcher():
    require_shared("icd10cm_index", "icd10cm-drug-April-1-2026-XML.xml.gz")
    require_shared("icd10cm_index", "icd10cm-eindex-April-1-2026-XML.xml.gz")
    from medcoder.models.index_match import IndexMatcher
    from medcoder.terminology.coding_index import load_coding_index

    return IndexMatcher(load_coding_index())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Peptic ulcer: adverse effect of naproxen taken as prescribed.", "T39.315A"),
        ("He ran out of furosemide 10 days ago.", "T50.1X6A"),
        ("Intentional overdose of acetaminophen, a suicide attempt.", "T39.1X2A"),
        ("Acetaminophen overdose.", "T39.1X1A"),
        ("Fall from ladder while cleaning gutters.", "W11.XXXA"),
        ("She slipped on the wet floor and fell.", "W01.0XXA"),
        ("Tripped on a bath mat and fell in the bathroom of her single-family home.", "Y92.012"),
        ("Bitten by a dog.", "W54.0XXA"),
    ],
)
def test_shared_tables_reach_the_code(matcher, text: str, code: str) -> None:
    assert code in {m.code for m in matcher.matches(text)[1]}


def test_place_and_activity_only_beside_an_external_cause(matcher) -> None:
    alone = {m.code for m in matcher.matches("She enjoys walking at home.")[1]}
    assert not any(c.startswith(("Y92", "Y93")) for c in alone)
    with_fall = {m.code for m in matcher.matches("She fell while walking at home.")[1]}
    assert {"W19.XXXA", "Y93.01", "Y92.009"} <= with_fall
