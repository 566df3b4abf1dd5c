"""The curated rules-data lists: shape, the readings coders expect, codes that exist."""

from __future__ import annotations

import re

from medcoder.terminology.abbreviations import abbreviations, long_term_drugs
from medcoder.terminology.icd10cm import get_icd10cm
from medcoder.terminology.search import tokenize


def test_abbreviation_list_shape_and_readings() -> None:
    ab = abbreviations()
    assert len(ab) >= 60
    assert all(re.fullmatch(r"[a-z0-9]+(/[a-z0-9]+)?", k) for k in ab)
    for key, expansion in {"htn": "hypertension", "hld": "hyperlipidemia", "t2dm": "type 2 diabetes mellitus",
                           "ckd": "chronic kidney disease", "afib": "atrial fibrillation", "s/p": "status post",
                           "r/o": "rule out", "h/o": "history of"}.items():  # fmt: skip
        assert ab[key] == expansion
    assert "pe" not in ab and "ra" not in ab  # ambiguous: physical exam / room air


def test_search_uses_the_same_list() -> None:
    assert tokenize("HTN") == tokenize("hypertension")


def test_long_term_drugs_map_to_billable_z79_codes() -> None:
    drugs = long_term_drugs()
    cm = get_icd10cm()
    assert drugs["metformin"] == "Z79.84" and drugs["insulin"] == "Z79.4" and drugs["apixaban"] == "Z79.01"
    assert all(code.startswith("Z79") and cm.is_billable(code) for code in drugs.values())
