"""BM25 search: a hand-computed tiny case, and retrieval over all billable ICD-10-CM codes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from medcoder.terminology.search import IndexedDoc, SearchIndex, build_index, tokenize


def _tiny() -> SearchIndex:
    docs = [
        IndexedDoc("K1", "X", "kidney disease", "kidney disease"),
        IndexedDoc("H1", "X", "heart disease", "heart disease"),
        IndexedDoc("K2", "Y", "kidney stone", "kidney stone"),
    ]
    return SearchIndex.build(docs, k1=1.2, b=0.75)


def test_bm25_by_hand() -> None:
    idx = _tiny()
    # "kidney": df = 2 of N = 3 -> idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6);
    # tf = 1 and every document has 2 terms (= average), so the tf part is 1 * 2.2 / (1 + 1.2) = 1.
    hits = idx.search("kidney", k=5)
    assert [h.code for h in hits] == ["K1", "K2"]
    assert hits[0].score == pytest.approx(math.log(1.6))
    # "heart disease": heart idf = ln(1 + 2.5 / 1.5), disease idf = ln(1.6)
    hits = idx.search("heart disease", k=1)
    assert hits[0].code == "H1" and hits[0].score == pytest.approx(math.log(1 + 2.5 / 1.5) + math.log(1.6))
    assert [h.code for h in idx.search("kidney", k=5, system="Y")] == ["K2"]
    assert idx.search("liver", k=3) == []
    with pytest.raises(ValueError):
        idx.search("kidney", k=0)


def test_self_scores_by_hand() -> None:
    # Each tiny document has two terms with tf part 1 (see above): its self score is the sum of
    # their idfs. kidney/disease: ln(1.6) each; heart/stone: ln(1 + 2.5 / 1.5) each.
    rare, common = math.log(1 + 2.5 / 1.5), math.log(1.6)
    assert _tiny().self_scores() == pytest.approx([2 * common, rare + common, common + rare])


def test_tokenize() -> None:
    assert tokenize("Diabetic") == tokenize("diabetes")
    assert tokenize("hypertensive") == tokenize("hypertension")
    assert tokenize("CKD") == tokenize("chronic kidney disease")
    assert tokenize("of the and") == []


def test_save_and_load(tmp_path: Path) -> None:
    idx = _tiny()
    loaded = SearchIndex.load(idx.save(tmp_path / "idx"))
    assert loaded.search("kidney stone", k=3) == idx.search("kidney stone", k=3)
    assert loaded.meta["documents"] == 3


@pytest.fixture(scope="module")
def cm_index() -> SearchIndex:
    return build_index()


@pytest.mark.slow
def test_icd10cm_retrieval(cm_index: SearchIndex) -> None:
    assert len(cm_index) == 74_719  # every billable code of the April 2026 release
    top = [h.code for h in cm_index.search("type 2 diabetes with diabetic chronic kidney disease", k=5)]
    assert "E11.22" in top
    assert "E11.22" in [h.code for h in cm_index.search("type 2 diabetes with ckd", k=5)]
    assert cm_index.search("essential hypertension", k=1)[0].code == "I10"
    assert cm_index.search("copd with acute exacerbation", k=1)[0].code == "J44.1"
    # inclusion terms are indexed: "Gestational diabetes mellitus NOS" is an inclusion term of O24.4
    assert any(h.code.startswith("O24.4") for h in cm_index.search("gestational diabetes", k=5))
