"""The shipped CARC list and the RARC lookup."""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.claims import codes
from medcoder.claims.codes import carc_description, carc_table, is_known_carc, is_known_rarc, rarc_description

REQUIRED = (
    "1", "2", "3", "4", "5", "6", "9", "11", "16", "18", "22", "23", "24", "26",
    "27", "29", "31", "45", "49", "50", "51", "55", "56", "58", "59", "96", "97", "109",
    "119", "125", "129", "131", "146", "150", "151", "167", "170", "181", "182", "183", "185", "189",
    "197", "198", "204", "226", "227", "234", "236", "242", "252", "253", "256", "A1", "A2", "B7",
    "B9", "B11", "B15", "B16", "B20",
)  # fmt: skip


def test_list_covers_the_common_codes() -> None:
    table = carc_table()
    assert set(REQUIRED) <= set(table)
    assert len(table) >= 60


def test_csv_is_well_formed() -> None:
    text = resources.files("medcoder.claims").joinpath("data", "carc.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == ["code", "description", "effective_start", "effective_end", "group_hint"]
    assert all(r["group_hint"] in {"CO", "PR", "OA", "PI", "CR"} for r in rows)
    assert all(0 < len(r["description"]) <= 90 for r in rows)


def test_lookup_and_effective_dates() -> None:
    assert carc_description("45").startswith("Charge exceeds the fee schedule")
    assert is_known_carc("1")
    assert not is_known_carc("ZZ9")
    assert is_known_carc("42", date(2005, 1, 6))  # retired 2008-06-01 in our list
    assert not is_known_carc("42", date(2008, 6, 1))  # end date is exclusive
    assert is_known_carc("A2", date(2002, 3, 1)) and not is_known_carc("A2", date(2006, 2, 1))
    assert not is_known_carc("253", date(2012, 12, 31))  # sequestration code starts 2013
    with pytest.raises(KeyError, match="ZZ9"):
        carc_description("ZZ9")


def test_rarc_from_pyx12_list() -> None:
    require_shared("x12_examples", "codes", "pyx12-codes.xml")
    assert is_known_rarc("N130") and is_known_rarc("MA01") and is_known_rarc("M1")
    assert not is_known_rarc("N99999")
    assert "N130" in (rarc_description("N130") or "")
    assert rarc_description("BOGUS") is None


def test_rarc_by_pattern_when_list_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(codes, "rarc_codes_path", lambda: tmp_path / "missing.xml")
    assert is_known_rarc("N99999") is False  # five digits: outside the pattern
    assert is_known_rarc("N9999") and is_known_rarc("MA130")
    assert not is_known_rarc("X1")
