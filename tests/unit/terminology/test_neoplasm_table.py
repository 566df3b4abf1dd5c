"""Neoplasm Table: XML reading and grafting on a hand-written table; lookups on the shared FY2026 table."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.terminology.alpha_index import parse_flat_index
from medcoder.terminology.neoplasm_table import graft_neoplasm_table, read_neoplasm_table

XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><letter><title>N</title>
<mainTerm><title>Neoplasm, neoplastic</title>
  <cell col="2">C80.1</cell><cell col="3">C79.9</cell><cell col="5">D36.9</cell>
  <term level="1"><title>prostate<nemod>(gland)</nemod></title>
    <cell col="2">C61</cell><cell col="3">C79.82</cell><cell col="4">D07.5</cell><cell col="5">D29.1</cell>
    <cell col="6">-</cell>
  </term>
  <term level="1"><title>pleura, pleural</title><see>Neoplasm, lung</see></term>
</mainTerm></letter></ICD10CM.index>
"""


def _table(tmp_path: Path) -> Path:
    p = tmp_path / "neoplasm.xml.gz"
    p.write_bytes(gzip.compress(XML.encode()))
    return p


def test_rows_cells_and_see(tmp_path: Path) -> None:
    rows = read_neoplasm_table(_table(tmp_path))
    assert [(r.level, r.title) for r in rows] == [
        (0, "Neoplasm, neoplastic"),
        (1, "prostate"),
        (1, "pleura, pleural"),
    ]
    assert rows[1].nemod == "(gland)" and rows[1].cells == {2: "C61", 3: "C79.82", 4: "D07.5", 5: "D29.1"}
    assert rows[2].see == "Neoplasm, lung" and rows[2].cells == {}


def test_graft_gives_primary_by_default_and_behaviour_children(tmp_path: Path) -> None:
    base = parse_flat_index(
        ["RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code", "1,A,0,Abscess,,,,L02.91"]
    )
    ix = graft_neoplasm_table(base, read_neoplasm_table(_table(tmp_path)))
    assert len(ix.mains) == 2
    main = ix.mains[1]
    assert ix.nodes[main].code == "C80.1" and ("carcinoma",) in ix.nodes[main].alternatives
    prostate = next(k for k in ix.nodes[main].children if ix.nodes[k].term == "prostate")
    assert ix.nodes[prostate].code == "C61" and "gland" in ix.nodes[prostate].optional
    kids = {ix.nodes[k].term: ix.nodes[k].code for k in ix.nodes[prostate].children}
    assert kids == {"secondary": "C79.82", "in situ": "D07.5", "benign": "D29.1"}  # "-" cell left out
    secondary = next(k for k in ix.nodes[prostate].children if ix.nodes[k].term == "secondary")
    assert ("metastat",) in ix.nodes[secondary].alternatives


def test_no_main_term_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "empty.xml.gz"
    p.write_bytes(gzip.compress(b"<ICD10CM.index></ICD10CM.index>"))
    with pytest.raises(ValueError, match="no <mainTerm>"):
        read_neoplasm_table(p)


def test_shared_table_codes_malignancies_by_site() -> None:
    from medcoder.models.index_match import IndexMatcher

    require_shared("icd10cm_index", "icd10cm-neoplasm-April-1-2026-XML.xml.gz")
    from medcoder.terminology.coding_index import load_coding_index

    m = IndexMatcher(load_coding_index())
    codes = {x.code for x in m.matches("Adenocarcinoma of the prostate.")[1]}
    assert "C61" in codes
    codes = {x.code for x in m.matches("Right breast carcinoma.")[1]}
    assert "C50.911" in codes
