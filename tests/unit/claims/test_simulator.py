"""PayerSimulator: rule findings become the expected CARC on the expected line, amounts balance exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from medcoder.claims.history import denial_carcs, denied
from medcoder.claims.records import Claim, ClaimKind, Payer, Person, Provider, ServiceLine
from medcoder.claims.simulator import ADMIN_CARCS, PayerSimulator, claim_encounter, simulate_histories
from medcoder.rules.engine import RuleSet
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.ncci import NcciTables, PtpIndex
from medcoder.rules.ncci.records import MueEdit, PtpEdit

DAY = dt.date(2026, 2, 16)
D = Decimal


def make_claim(lines, claim_id="C1", dx=("I10",)) -> Claim:
    sl = tuple(
        ServiceLine(line_number=i + 1, procedure=p, charge=D(c), units=D(u), service_date=DAY)
        for i, (p, c, u) in enumerate(lines)
    )
    return Claim(
        claim_id=claim_id,
        kind=ClaimKind.PROFESSIONAL,
        billing=Provider(name="CLINIC"),
        subscriber=Person(last_name="DOE", member_id="M1", birth_date=dt.date(1970, 1, 1), sex="F"),
        payer=Payer(name="ACME", payer_id="ACME1"),
        diagnoses=dx,
        lines=sl,
        total_charge=sum((x.charge for x in sl), D("0")),
        statement_from=DAY,
    )


def assert_balanced(pay) -> None:
    """charge - paid == sum(adjustments), per line and for the claim; Decimal cents only."""
    total = D("0")
    for line in pay.lines:
        adj = sum((a.amount for a in line.adjustments), D("0"))
        assert line.charge - line.paid == adj
        for a in line.adjustments:
            assert isinstance(a.amount, Decimal) and a.amount == a.amount.quantize(D("0.01"))
        total += adj
    assert pay.charge - pay.paid == total + sum((a.amount for a in pay.adjustments), D("0"))
    assert pay.patient_responsibility == sum(
        (a.amount for line in pay.lines for a in line.adjustments if a.group == "PR"), D("0")
    )


def _no_random(**kw) -> PayerSimulator:
    """No administrative denials, fixed 80 % allowed, no deductible: amounts are hand-computable."""
    return PayerSimulator(seed=1, base_denial_rate=0.0, allowed_ratio=(0.8, 0.8), deductible_rate=0.0, **kw)


def ptp_finding(col1: str, col2: str, mi: int) -> Finding:
    return Finding(
        rule_id="NCCI.PTP",
        severity=Severity.ERROR,
        codes=(col1, col2),
        message="bundled",
        source="NCCI PTP practitioner",
        version="2026Q1",
        details={"modifier_indicator": mi},
    )


def test_ptp_from_project_ncci_tables_denies_column2_line_co97():
    # 93000/93005 modifier indicator 0 is a pair of the project's NCCI test fixture (tests/unit/rules/fixtures)
    tables = NcciTables(
        version="2026Q1",
        ptp={"practitioner": PtpIndex([PtpEdit("93000", "93005", True, dt.date(1996, 1, 1), None, 0, "")])},
    )
    sim = _no_random(rules=RuleSet(icd=False, ncci=tables, em=False, hcc=False, cdi=False))
    claim = make_claim([("93000", "100.00", 1), ("93005", "50.00", 1)])
    pay = sim.adjudicate(claim, service_date=DAY)
    first, second = pay.lines
    # line 1: allowed 80.00 -> CO-45 20.00, coinsurance 20 % = 16.00, paid 64.00
    assert first.paid == D("64.00")
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", D("20.00")),
        ("PR", "2", D("16.00")),
    ]
    assert second.paid == D("0")
    assert [(a.group, a.reason, a.amount) for a in second.adjustments] == [("CO", "97", D("50.00"))]
    assert second.remarks == ("N20",)
    assert pay.status == "1" and pay.paid == D("64.00") and pay.patient_responsibility == D("16.00")
    assert_balanced(pay)


def test_ptp_bypassable_indicator_1_gets_co236():
    pay = _no_random().adjudicate(
        make_claim([("11042", "200.00", 1), ("97597", "80.00", 1)]),
        findings=[ptp_finding("11042", "97597", 1)],
        service_date=DAY,
    )
    assert [(a.reason, a.amount) for a in pay.lines[1].adjustments] == [("236", D("80.00"))]
    assert pay.lines[0].paid == D("128.00")  # 200 * 0.8 = 160 allowed, 20 % coinsurance 32
    assert_balanced(pay)


def test_mue_denies_only_units_over_the_limit():
    tables = NcciTables(version="2026Q1", mue={"practitioner": {"20610": MueEdit("20610", 2, 2, "")}})
    sim = _no_random(rules=RuleSet(icd=False, ncci=tables, em=False, hcc=False, cdi=False))
    pay = sim.adjudicate(make_claim([("20610", "300.00", 3)]), service_date=DAY)
    (line,) = pay.lines
    # 1 of 3 units over: 100.00 denied CO-151; payable 200.00 -> allowed 160.00, CO-45 40.00, PR-2 32.00
    assert [(a.group, a.reason, a.amount, a.quantity) for a in line.adjustments] == [
        ("CO", "151", D("100.00"), D("1")),
        ("CO", "45", D("40.00"), None),
        ("PR", "2", D("32.00"), None),
    ]
    assert line.paid == D("128.00") and line.remarks == ("N362",)
    assert_balanced(pay)


def test_medical_necessity_and_diagnosis_findings_map_to_co50_and_pointed_lines():
    mn = Finding(
        rule_id="MN.VITD",
        severity=Severity.ERROR,
        codes=("82306", "E55.9"),
        message="m",
        source="s",
        version="1",
    )
    age = Finding(
        rule_id="ICD.AGE_CONFLICT",
        severity=Severity.ERROR,
        codes=("I10",),
        message="m",
        source="s",
        version="1",
    )
    warn = Finding(
        rule_id="ICD.USE_ADDITIONAL",
        severity=Severity.WARNING,
        codes=("I10",),
        message="m",
        source="s",
        version="1",
    )
    claim = make_claim([("99213", "100.00", 1), ("82306", "40.00", 1)])
    pay = _no_random().adjudicate(claim, findings=[mn, age, warn], service_date=DAY)
    assert [(a.reason, a.amount) for a in pay.lines[1].adjustments] == [("50", D("40.00"))]
    assert [(a.reason, a.amount) for a in pay.lines[0].adjustments] == [("9", D("100.00"))]
    assert pay.status == "4" and denied_record(claim, pay)
    assert_balanced(pay)


def denied_record(claim, pay):
    from medcoder.claims.history import HistoryRecord

    return denied(HistoryRecord(claim, pay, DAY, "ACME", "ACME1", "k"))


def test_copay_on_office_visit_and_rounding_goes_to_co45():
    # 33.33 * 0.8 = 26.664 -> allowed 26.66 (CO-45 6.67); copay 25.00 instead of coinsurance; paid 1.66
    pay = _no_random().adjudicate(make_claim([("99213", "33.33", 1)]), findings=[], service_date=DAY)
    (line,) = pay.lines
    assert [(a.group, a.reason, a.amount) for a in line.adjustments] == [
        ("CO", "45", D("6.67")),
        ("PR", "3", D("25.00")),
    ]
    assert line.paid == D("1.66")
    assert_balanced(pay)


def test_seeded_simulator_is_deterministic_and_order_independent():
    claims = [
        make_claim([("99213", "120.00", 1), ("36415", "15.00", 1)], claim_id=f"C{i}") for i in range(200)
    ]
    no_rules = RuleSet(icd=False, em=False, hcc=False, cdi=False)

    def run(cs, seed):
        return simulate_histories(
            cs, seed=seed, simulator=PayerSimulator(no_rules, seed=seed, base_denial_rate=0.1)
        )

    a, b, c = run(claims, 3), run(list(reversed(claims)), 3), run(claims, 4)
    assert any(r.simulated_denial for r in a) and not all(r.simulated_denial for r in a)
    assert [r.payment for r in a] == [r.payment for r in b]
    assert [r.payment for r in a] != [r.payment for r in c]
    for r in a:
        assert_balanced(r.payment)
        if r.simulated_denial:
            assert denied(r) and denial_carcs(r)[0] in ADMIN_CARCS


def test_base_rate_of_administrative_denials_is_near_the_rate():
    claims = [make_claim([("99213", "100.00", 1)], claim_id=f"K{i}") for i in range(2000)]
    sim = PayerSimulator(seed=11, base_denial_rate=0.05)
    n = sum(sim.adjudicate(c, findings=[], service_date=DAY).status == "4" for c in claims)
    # binomial(2000, 0.05): mean 100, sd 9.7; the seeded draw is fixed, the band is a sanity check
    assert 70 <= n <= 130


def test_claim_encounter_carries_codes_age_and_sex():
    enc = claim_encounter(make_claim([("99213", "10.00", 2)], dx=("E119", "I10")), DAY)
    assert [(c.system.value, c.code, c.position) for c in enc.diagnoses()] == [
        ("ICD-10-CM", "E119", 1),
        ("ICD-10-CM", "I10", 2),
    ]
    assert [(c.code, c.units) for c in enc.procedures()] == [("99213", 2)]
    assert enc.patient.age == 56 and enc.patient.sex.value == "F"


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="base_denial_rate"):
        PayerSimulator(seed=0, base_denial_rate=2.0)
    with pytest.raises(ValueError, match="allowed_ratio"):
        PayerSimulator(seed=0, allowed_ratio=(0.9, 0.5))


def test_payer_coverage_policies_deny_by_payer_code_and_age() -> None:
    import dataclasses

    from medcoder.claims.simulator import PayerPolicy, load_payer_policies

    sim = _no_random(rules=RuleSet(icd=False, em=False, hcc=False, cdi=False))
    medicare = dataclasses.replace(make_claim([("99397", "270.00", "1"), ("90656", "45.00", "1")], dx=("Z0000",)),
                                   payer=Payer(name="MEDICARE", payer_id="MEDICARE"))  # fmt: skip
    pay = sim.adjudicate(medicare, findings=[], service_date=DAY)
    assert [a.reason for a in pay.lines[0].adjustments] == ["49"] and pay.lines[0].paid == D("0.00")
    assert pay.lines[1].paid == D("28.80")  # flu vaccine covered: 45.00 * 0.8 allowed, 20 % coinsurance
    assert_balanced(pay)
    child = dataclasses.replace(
        medicare, payer=Payer(name="MEDICAID", payer_id="MEDICAID"),
        subscriber=Person(last_name="DOE", member_id="M2", birth_date=dt.date(2020, 1, 1), sex="M"),
    )  # fmt: skip
    always = [PayerPolicy("MEDICAID", "90476", "90759", "96", "N130", 1.0, age_to=19)]
    pay = _no_random(rules=RuleSet(icd=False, em=False, hcc=False, cdi=False), policies=always).adjudicate(
        child, findings=[], service_date=DAY
    )
    assert pay.lines[0].paid > 0 and [a.reason for a in pay.lines[1].adjustments] == ["96"]
    adult = dataclasses.replace(
        child, subscriber=Person(last_name="DOE", member_id="M3", birth_date=dt.date(1970, 1, 1))
    )
    pay = _no_random(rules=RuleSet(icd=False, em=False, hcc=False, cdi=False), policies=always).adjudicate(
        adult, findings=[], service_date=DAY
    )
    assert all(line.paid > 0 for line in pay.lines)
    assert any(p.payer == "MEDICARE" and p.carc == "49" for p in load_payer_policies())
