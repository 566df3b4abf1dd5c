"""Synthea bundles to claim histories: mapping, dropped items, exact balancing (fixture and shared data)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from decimal import Decimal

import pytest

from conftest import require_shared
from medcoder.claims.history import history_frame
from medcoder.claims.synthea import load_bundle, load_map, synthea_histories, synthea_history
from medcoder.errors import InputFormatError

D = Decimal
SCT, CVX = "http://snomed.info/sct", "http://hl7.org/fhir/sid/cvx"
ADJ = "https://bluebutton.cms.gov/resources/variables/"


def _adj(sub, allowed, paid, coins, ded=0.0):
    vals = {
        "line_sbmtd_chrg_amt": sub,
        "line_alowd_chrg_amt": allowed,
        "line_prvdr_pmt_amt": paid,
        "line_coinsrnc_amt": coins,
        "line_bene_ptb_ddctbl_amt": ded,
    }
    return [{"category": {"coding": [{"code": ADJ + k}]}, "amount": {"value": v}} for k, v in vals.items()]


def _item(seq, system, code, **extra):
    return {"sequence": seq, "productOrService": {"coding": [{"system": system, "code": code}]}, **extra}


def fixture_bundle() -> dict:
    """A 30-year-old's check-up on 2020-06-01: flu + Td vaccines, one unmapped procedure, one condition."""
    period = {"start": "2020-06-01T10:00:00+00:00", "end": "2020-06-01T10:30:00+00:00"}
    claim_items = [
        _item(1, SCT, "162673000", encounter=[{"reference": "urn:uuid:enc1"}]),
        _item(2, SCT, "59621000", diagnosisSequence=[1]),
        _item(3, CVX, "140", informationSequence=[1], net={"value": 140.52}),
        _item(4, CVX, "113", informationSequence=[2], net={"value": 100.0}),
        _item(5, SCT, "999999999", procedureSequence=[1], net={"value": 50.0}),
    ]
    eob_items = [
        _item(1, SCT, "162673000", encounter=[{"reference": "urn:uuid:enc1"}]),
        # 140.52: allowed 140.52, coinsurance 28.104 -> 28.10, paid 112.416 -> 112.42
        _item(3, CVX, "140", adjudication=_adj(140.52, 140.52, 112.416, 28.104)),
        # 100.00: allowed 90.00 (CO-45 10.00), deductible 20.00, coinsurance 14.00, paid 56.00
        _item(4, CVX, "113", adjudication=_adj(100.0, 90.0, 56.0, 14.0, 20.0)),
        _item(5, SCT, "999999999", adjudication=_adj(50.0, 50.0, 40.0, 10.0)),
    ]
    resources = [
        (
            "urn:uuid:pat1",
            {"resourceType": "Patient", "id": "pat1", "birthDate": "1990-01-15", "gender": "female"},
        ),
        (
            "urn:uuid:cond1",
            {
                "resourceType": "Condition",
                "id": "cond1",
                "code": {"coding": [{"system": SCT, "code": "59621000"}]},
            },
        ),
        (
            "urn:uuid:claim1",
            {
                "resourceType": "Claim",
                "id": "claim1",
                "billablePeriod": period,
                "provider": {"display": "PCP1"},
                "diagnosis": [{"sequence": 1, "diagnosisReference": {"reference": "urn:uuid:cond1"}}],
                "item": claim_items,
                "total": {"value": 129.16},
            },
        ),
        ("urn:uuid:rx1", {"resourceType": "Claim", "id": "rx1", "billablePeriod": period, "item": []}),
        (
            "urn:uuid:eob1",
            {
                "resourceType": "ExplanationOfBenefit",
                "id": "eob1",
                "claim": {"reference": "urn:uuid:claim1"},
                "insurer": {"display": "Blue Cross Blue Shield"},
                "item": eob_items,
                "payment": {"amount": {"value": 208.416}},
            },
        ),
    ]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"fullUrl": u, "resource": r} for u, r in resources],
    }


def assert_balanced(pay) -> None:
    total = D("0")
    for line in pay.lines:
        adj = sum((a.amount for a in line.adjustments), D("0"))
        assert line.charge - line.paid == adj, line
        total += adj
    assert pay.charge - pay.paid == total + sum((a.amount for a in pay.adjustments), D("0"))


def test_fixture_bundle_maps_codes_and_amounts():
    unmapped = Counter()
    (rec,) = synthea_history(fixture_bundle(), unmapped=unmapped)
    claim, pay = rec.claim, rec.payment
    assert claim.claim_id == "claim1" and rec.service_date.isoformat() == "2020-06-01"
    # check-up reason first, then the condition, then Z23 for the vaccines
    assert claim.diagnoses == ("Z0000", "I10", "Z23")
    got = [(ln.procedure, ln.units, ln.charge, ln.diagnosis_pointers) for ln in claim.lines]
    assert got == [
        ("99395", D("1"), D("0.00"), (1,)),  # preventive visit, age 30; Synthea does not price it
        ("90656", D("1"), D("140.52"), (3,)),
        ("90714", D("1"), D("100.00"), (3,)),
        ("90471", D("1"), D("0.00"), (3,)),
        ("90472", D("1"), D("0.00"), (3,)),
    ]
    assert unmapped == Counter({("sct", "999999999"): 1}) and rec.dropped_items == 1
    flu, td = pay.lines[1], pay.lines[2]
    assert flu.paid == D("112.42") and [(a.group, a.reason, a.amount) for a in flu.adjustments] == [
        ("PR", "2", D("28.10"))
    ]
    assert td.paid == D("56.00")
    assert [(a.group, a.reason, a.amount) for a in td.adjustments] == [
        ("CO", "45", D("10.00")),
        ("PR", "1", D("20.00")),
        ("PR", "2", D("14.00")),
    ]
    assert pay.charge == D("240.52") and pay.paid == D("168.42") and pay.patient_responsibility == D("62.10")
    assert rec.payer_name == "Blue Cross Blue Shield" and rec.payer_id == "BLUECROSSBLUESH"
    assert rec.patient_key != "pat1" and claim.subscriber.member_id == rec.patient_key
    assert not rec.simulated_denial
    assert_balanced(pay)


def test_child_age_band_and_gzip_loading(tmp_path):
    bundle = fixture_bundle()
    bundle["entry"][0]["resource"]["birthDate"] = "2018-03-01"  # age 2 on 2020-06-01
    path = tmp_path / "b.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(bundle, fh)
    (rec,) = synthea_histories([path])
    assert rec.claim.diagnoses[0] == "Z00129"
    assert [ln.procedure for ln in rec.claim.lines][:2] == ["99392", "90655"]  # flu 0.25 mL under 3 years


def test_bad_bundle_names_the_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    with pytest.raises(InputFormatError, match="x.json"):
        load_bundle(bad)


def test_map_rows_have_known_targets():
    rows = [r for rs in load_map().values() for r in rs]
    assert len(rows) > 100
    assert {r.target_system for r in rows} == {"CPT", "ICD-10-CM"}
    assert all("." not in r.target_code for r in rows)


@pytest.mark.shared_data
def test_shared_synthea_bundles_balance_and_counts_are_plausible():
    root = require_shared("synthea_fhir")
    paths = sorted(root.glob("*/*.json.gz"))
    assert len(paths) == 31
    unmapped = Counter()
    recs = synthea_histories(paths, unmapped=unmapped)
    # 1,278 institutional EOBs in the README; a claim with no mapped diagnosis is left out
    assert 1100 <= len(recs) <= 1278
    assert [r.service_date for r in recs] == sorted(r.service_date for r in recs)
    for r in recs:
        assert_balanced(r.payment)
    n_lines = sum(len(r.claim.lines) for r in recs)
    assert sum(unmapped.values()) < 0.05 * n_lines
    frame = history_frame(recs)
    assert len(frame) == n_lines and not frame.denied.any()
    assert frame.procedure.value_counts().index[0] == "90471"
