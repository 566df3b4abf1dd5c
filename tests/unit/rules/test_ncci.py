"""NCCI loaders and checks on fixture files in CMS's published layouts (outcomes stated per test).

Fixture rows (tests/unit/rules/fixtures, invented values in the official layout):
PTP practitioner 2026Q1
  11042/97597 eff 2009-01-01, modifier indicator 1
  93000/93005 pre-1996, eff 1996-01-01, indicator 0
  20610/20604 eff 2015-01-01, DELETED 2025-01-01, indicator 1
  29880/29881 eff 2012-01-01, indicator 0   (hospital outpatient table: indicator 1)
  99214/96372 eff 2020-01-01, indicator 1
  36415/36416 indicator 9
MUE practitioner: 82306=1 (MAI 3), 20610=2 (MAI 2), 97597=1 (MAI 2), 96372=4 (MAI 3), 97110=4 (MAI 1), 0001U=0
AOC: 11045 type 1 with primaries 11042, 11043 (11044 deleted 2020-01-01); 77001 type 2 (CCCCC);
     64484 type 3 with 64483; 99417 type 1 with 99205, 99215
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from medcoder.errors import InputFormatError
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Severity
from medcoder.rules.ncci import NcciTables, PtpIndex, check_ncci
from medcoder.rules.ncci.checks import check_aoc, check_mue, check_ptp
from medcoder.rules.ncci.loaders import load_aoc, load_mue, load_mue_json_subset, load_ptp
from medcoder.rules.ncci.store import import_quarter, load_for_date, load_quarter, quarter_of

DAY = dt.date(2026, 2, 16)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def tables() -> NcciTables:
    return NcciTables(
        version="2026Q1",
        ptp={
            "practitioner": PtpIndex(load_ptp(FIXTURES / "ptp_practitioner_2026Q1.txt")),
            "hospital_outpatient": PtpIndex(load_ptp(FIXTURES / "ptp_hospital_outpatient_2026Q1.txt")),
        },
        mue={"practitioner": {m.code: m for m in load_mue(FIXTURES / "mue_practitioner_2026Q1.csv")}},
        aoc=NcciTables.index_aoc(load_aoc(FIXTURES / "aoc_2026Q1.csv")),
    )


def enc_of(*lines, day=DAY, provider="practitioner") -> Encounter:
    codes = [{"system": "CPT", "code": c, "modifiers": list(m), "units": u} for c, m, u in lines]
    return Encounter(date_of_service=day, codes=codes, provider_type=provider)


def test_ptp_loader_reads_official_columns():
    edits = load_ptp(FIXTURES / "ptp_practitioner_2026Q1.txt")
    assert len(edits) == 7  # banner and header lines skipped
    e = next(x for x in edits if x.column1 == "93000")
    assert (e.column2, e.pre_1996, e.effective, e.deletion, e.modifier_indicator) == (
        "93005",
        True,
        dt.date(1996, 1, 1),
        None,
        0,
    )
    d = next(x for x in edits if x.column1 == "20610")
    assert d.deletion == dt.date(2025, 1, 1) and d.rationale == "Mutually exclusive procedures"


def test_indicator_0_is_never_bypassed(tables):
    fs = check_ptp(enc_of(("93000", (), 1), ("93005", ("59",), 1)), tables)
    assert [(f.rule_id, f.codes, f.severity) for f in fs] == [
        ("NCCI.PTP", ("93000", "93005"), Severity.ERROR)
    ]
    fs = check_ptp(enc_of(("29880", ("RT",), 1), ("29881", ("XS", "LT"), 1)), tables)
    assert [f.rule_id for f in fs] == ["NCCI.PTP"]


def test_indicator_1_bypassed_by_59_or_xs_but_not_without(tables):
    base = check_ptp(enc_of(("11042", (), 1), ("97597", (), 1)), tables)
    assert [(f.rule_id, f.severity) for f in base] == [("NCCI.PTP", Severity.ERROR)]
    for mod in ("59", "XS", "XU", "LT"):
        fs = check_ptp(enc_of(("11042", (), 1), ("97597", (mod,), 1)), tables)
        assert [(f.rule_id, f.severity) for f in fs] == [("NCCI.PTP_BYPASSED", Severity.INFO)], mod
        assert fs[0].details["modifier"] == mod
    # A modifier that is not NCCI-associated (e.g. 26) does not bypass.
    assert check_ptp(enc_of(("11042", (), 1), ("97597", ("26",), 1)), tables)[0].rule_id == "NCCI.PTP"


def test_modifier_25_counts_only_on_the_em_line(tables):
    ok = check_ptp(enc_of(("99214", ("25",), 1), ("96372", (), 1)), tables)
    assert [f.rule_id for f in ok] == ["NCCI.PTP_BYPASSED"]
    bad = check_ptp(enc_of(("99214", (), 1), ("96372", ("25",), 1)), tables)
    assert [f.rule_id for f in bad] == ["NCCI.PTP"]


def test_deleted_edit_applies_before_and_not_after_deletion_date(tables):
    pair = (("20610", (), 1), ("20604", (), 1))
    assert [f.rule_id for f in check_ptp(enc_of(*pair, day=dt.date(2024, 12, 31)), tables)] == ["NCCI.PTP"]
    assert check_ptp(enc_of(*pair, day=dt.date(2025, 1, 1)), tables) == []
    assert check_ptp(enc_of(*pair, day=DAY), tables) == []


def test_edit_not_in_force_before_effective_date_and_indicator_9(tables):
    assert check_ptp(enc_of(("11042", (), 1), ("97597", (), 1), day=dt.date(2008, 12, 31)), tables) == []
    assert check_ptp(enc_of(("36415", (), 1), ("36416", (), 1)), tables) == []


def test_reversed_order_on_claim_still_found(tables):
    fs = check_ptp(enc_of(("93005", (), 1), ("93000", (), 1)), tables)
    assert fs[0].codes == ("93000", "93005")


def test_hospital_outpatient_table_is_separate(tables):
    lines = (("29880", (), 1), ("29881", ("59",), 1))
    assert [f.rule_id for f in check_ptp(enc_of(*lines), tables)] == ["NCCI.PTP"]
    assert [f.rule_id for f in check_ptp(enc_of(*lines, provider="hospital_outpatient"), tables)] == [
        "NCCI.PTP_BYPASSED"
    ]


def test_mue_date_of_service_sums_lines_and_line_edit_does_not(tables):
    # 20610 MUE 2, MAI 2: 2 lines x 2 units = 4 on the day -> exceeded.
    (f,) = check_mue(enc_of(("20610", ("RT",), 2), ("20610", ("LT",), 2)), tables)
    assert f.details == {"units": 4, "mue": 2, "mai": 2} and "Policy" in f.message
    assert check_mue(enc_of(("20610", ("RT",), 1), ("20610", ("LT",), 1)), tables) == []
    # 97110 MUE 4, MAI 1 (line edit): two lines of 3 pass, one line of 5 fails.
    assert check_mue(enc_of(("97110", (), 3), ("97110", ("59",), 3)), tables) == []
    (f,) = check_mue(enc_of(("97110", (), 5)), tables)
    assert f.details["mai"] == 1 and "one claim line" in f.message
    # MUE 0: any unit is over.
    assert len(check_mue(enc_of(("0001U", (), 1)), tables)) == 1


def test_mue_loader_parses_adjudication_indicator():
    rows = {m.code: m for m in load_mue(FIXTURES / "mue_practitioner_2026Q1.csv")}
    assert (rows["82306"].value, rows["82306"].mai, rows["82306"].rationale) == (1, 3, "Clinical: Data")
    assert rows["97110"].mai == 1


def test_addon_without_primary(tables):
    (f,) = check_aoc(enc_of(("11045", (), 1)), tables)
    assert f.severity is Severity.ERROR and set(f.details["primary_codes"]) == {"11042", "11043"}
    assert check_aoc(enc_of(("11043", (), 1), ("11045", (), 1)), tables) == []
    # 11044 was deleted as a primary of 11045 on 2020-01-01.
    assert [x.rule_id for x in check_aoc(enc_of(("11044", (), 1), ("11045", (), 1)), tables)] == ["NCCI.AOC"]
    assert check_aoc(enc_of(("11044", (), 1), ("11045", (), 1), day=dt.date(2019, 6, 1)), tables) == []


def test_addon_types_2_and_3(tables):
    # Type 2: contractor-defined primaries -> only alone is an error.
    assert check_aoc(enc_of(("77001", (), 1), ("36556", (), 1)), tables) == []
    assert check_aoc(enc_of(("77001", (), 1)), tables)[0].severity is Severity.ERROR
    # Type 3: listed primary missing but another procedure present -> warning.
    assert check_aoc(enc_of(("64484", (), 1), ("64490", (), 1)), tables)[0].severity is Severity.WARNING
    assert check_aoc(enc_of(("64483", (), 1), ("64484", (), 1)), tables) == []


def test_prolonged_service_addon_99417(tables):
    assert check_aoc(enc_of(("99215", (), 1), ("99417", (), 1)), tables) == []
    assert check_aoc(enc_of(("99214", (), 1), ("99417", (), 1)), tables)[0].rule_id == "NCCI.AOC"


def test_check_ncci_combines(tables):
    fs = check_ncci(enc_of(("11042", (), 1), ("97597", (), 3), ("11045", (), 1)), tables)
    assert sorted(f.rule_id for f in fs) == ["NCCI.MUE", "NCCI.PTP"]


def test_store_roundtrip_by_quarter(tmp_path):
    import_quarter(
        tmp_path,
        "2026Q1",
        ptp={"practitioner": [FIXTURES / "ptp_practitioner_2026Q1.txt"]},
        mue={"practitioner": FIXTURES / "mue_practitioner_2026Q1.csv"},
        aoc=FIXTURES / "aoc_2026Q1.csv",
    )
    t = load_quarter(tmp_path, "2026Q1")
    assert t.ptp["practitioner"].size == 7 and t.mue["practitioner"]["20610"].value == 2
    assert t.ptp["practitioner"].active(
        "20610", "20604", dt.date(2024, 6, 1).toordinal()
    ).deletion == dt.date(2025, 1, 1)
    assert len(t.aoc["11045"]) == 3
    assert load_for_date(tmp_path, dt.date(2025, 12, 31)) is None
    assert load_for_date(tmp_path, dt.date(2026, 5, 1)).version == "2026Q1"
    assert quarter_of(dt.date(2026, 5, 1)) == "2026Q2"
    import duckdb

    n = duckdb.sql(
        f"SELECT count(*) FROM '{tmp_path}/2026Q1/ptp_practitioner.parquet' WHERE modifier_indicator = 0"
    ).fetchall()[0][0]
    assert n == 2


def test_bad_rows_name_file_and_line(tmp_path):
    bad = tmp_path / "ptp.txt"
    bad.write_text(
        "Column 1\tColumn 2\t*\tEffective Date\tDeletion Date\tModifier\tRationale\n"
        "11042\t97597\t\t20090101\t*\t2\tx\n"
    )
    with pytest.raises(InputFormatError, match=r"ptp.txt:2: Modifier indicator must be 0, 1 or 9"):
        load_ptp(bad)
    bad.write_text("11042\t97597\t\t2009-13-01X\t*\t1\tx\n")
    with pytest.raises(InputFormatError, match="Effective Date"):
        load_ptp(bad)


@pytest.mark.shared_data
def test_real_mue_subset_from_shared_data():
    from conftest import require_shared

    path = require_shared("ncci", "mue_practitioner_medicaid_subset.json.gz")
    rows = load_mue_json_subset(path)
    # Counts stated in ../shared/data/ncci/README.md.
    assert len(rows) == 8253
    by_rationale = {}
    for r in rows:
        by_rationale[r.rationale] = by_rationale.get(r.rationale, 0) + 1
    assert by_rationale["Code Descriptor / CPT Instruction"] == 1965
    assert by_rationale["Anatomic Consideration"] == 1309
    assert all(r.mai is None for r in rows)
    assert min(r.value for r in rows) == 0 and max(r.value for r in rows) == 90000
    table = NcciTables(version="medicaid-subset", mue={"practitioner": {r.code: r for r in rows}})
    code = next(r for r in rows if 1 <= r.value < 1000)
    over = enc_of((code.code, (), code.value + 1))
    assert [f.rule_id for f in check_mue(over, table)] == ["NCCI.MUE"]
    assert check_mue(enc_of((code.code, (), code.value)), table) == []
