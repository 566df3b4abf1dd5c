"""HCPCS Level II loader against the shared CMS October 2025 file, counted independently."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.errors import InputFormatError
from medcoder.terminology.hcpcs import load_hcpcs, version_from_filename


@pytest.fixture(scope="module")
def csv_path() -> Path:
    return require_shared("hcpcs", "HCPC2025_OCT_ANWEB.csv.gz")


def _count(path: Path) -> tuple[int, int, int, int]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    codes = sum(1 for r in rows if r["RECID"] == "3")
    mods = sum(1 for r in rows if r["RECID"] == "7")
    term = sum(1 for r in rows if r["TERM DT"].strip())
    return len(rows), codes, mods, term


def test_row_counts_match_the_file(csv_path: Path) -> None:
    rows, codes, mods, term = _count(csv_path)
    assert (rows, codes, mods) == (8_846, 8_463, 383)  # also stated in the shared README
    rel = load_hcpcs(csv_path)
    assert len(rel) == rows
    assert len(rel.codes()) == codes and len(rel.modifiers()) == mods
    assert sum(1 for r in rel.records if r.termination_date) == term == 1_225
    assert rel.version == "2025-10"


def test_known_records(csv_path: Path) -> None:
    rel = load_hcpcs(csv_path)
    j1100 = rel.get("j1100")
    assert j1100.long_description == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert j1100.add_date == dt.date(1982, 1, 1) and j1100.termination_date is None
    assert rel.is_valid("G0008") and rel.is_active("G0008", dt.date(2025, 10, 1))
    lt = rel.get("LT")  # modifier, right-aligned in the file
    assert lt.is_modifier and "left side" in lt.long_description.lower()
    assert not rel.is_valid("LT")
    terminated = next(r for r in rel.records if r.termination_date)
    assert not rel.is_active(terminated.code, terminated.termination_date + dt.timedelta(days=1))
    assert rel.is_active(terminated.code, terminated.termination_date) or (
        terminated.add_date is not None and terminated.add_date > terminated.termination_date
    )
    with pytest.raises(KeyError, match="ZZZZZ"):
        rel.get("ZZZZZ")


@pytest.mark.slow
def test_xlsx_equals_csv(csv_path: Path) -> None:
    xlsx = require_shared("hcpcs", "HCPC2025_OCT_ANWEB.xlsx")
    assert load_hcpcs(xlsx).records == load_hcpcs(csv_path).records


def test_version_from_filename() -> None:
    assert version_from_filename("HCPC2026_JAN_ANWEB_v2.xlsx") == "2026-01"
    with pytest.raises(InputFormatError, match="file name"):
        version_from_filename("codes.csv")


HEADER = "HCPC,SEQNUM,RECID,LONG DESCRIPTION,SHORT DESCRIPTION,ADD DT,ACT EFF DT,TERM DT,ACTION CD\n"


def test_bad_date_names_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2025_JUL_ANWEB.csv"
    path.write_text(
        HEADER + "A0425,0010,3,Ground mileage,Ground mileage,19950101,19950101,,N\n"
        "A0426,0010,3,Ambulance,Ambulance,2025-13-01,19950101,,N\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFormatError) as err:
        load_hcpcs(path)
    assert err.value.line == 3 and str(path) in str(err.value) and "ADD DT" in str(err.value)


def test_bad_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2025_JUL_ANWEB.csv"
    path.write_text(HEADER + "A0425,0010,5,x,x,19950101,,,N\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r":2: RECID"):
        load_hcpcs(path)
    path.write_text(HEADER + "A04!5,0010,3,x,x,19950101,,,N\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r":2: HCPC"):
        load_hcpcs(path)
    path.write_text("HCPC,RECID\nA0425,3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r":1: missing columns"):
        load_hcpcs(path)


def test_continuation_rows_join_long_description(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2025_APR_ANWEB.csv"
    path.write_text(
        HEADER + "A0425,0010,3,Ground mileage,,19950101,,,N\nA0425,0020,4,per statute mile,,,,,\n",
        encoding="utf-8",
    )
    rel = load_hcpcs(path)
    assert len(rel) == 1 and rel.get("A0425").long_description == "Ground mileage per statute mile"
    assert rel.version == "2025-04"
