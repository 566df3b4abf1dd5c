"""History records: denial status, CARCs and the per-line training frame."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from medcoder.claims.history import (
    FRAME_COLUMNS,
    HistoryRecord,
    denial_carcs,
    denied,
    history_frame,
    patient_key,
)
from medcoder.claims.records import (
    Adjustment,
    Claim,
    ClaimKind,
    ClaimPayment,
    Payer,
    Person,
    Provider,
    RemitLine,
    ServiceLine,
)

D = Decimal
DAY = dt.date(2025, 3, 4)


def record(remits, status="1", claim_adjs=()) -> HistoryRecord:
    lines = tuple(
        ServiceLine(line_number=i + 1, procedure=r.procedure, charge=r.charge, modifiers=r.modifiers)
        for i, r in enumerate(remits)
    )
    claim = Claim(
        claim_id="C9",
        kind=ClaimKind.PROFESSIONAL,
        billing=Provider(name="CLINIC"),
        subscriber=Person(last_name="DOE"),
        payer=Payer(name="ACME", payer_id="ACME1"),
        diagnoses=("Z0000", "Z23"),
        lines=lines,
        total_charge=sum((x.charge for x in lines), D("0")),
    )
    pay = ClaimPayment(
        claim_id="C9",
        status=status,
        charge=claim.total_charge,
        paid=sum((r.paid for r in remits), D("0")),
        adjustments=tuple(claim_adjs),
        lines=tuple(remits),
    )
    return HistoryRecord(claim, pay, DAY, "ACME", "ACME1", patient_key("x"))


PAID = RemitLine(
    "99395",
    D("100.00"),
    D("60.00"),
    adjustments=(Adjustment("CO", "45", D("25.00")), Adjustment("PR", "2", D("15.00"))),
)
BUNDLED = RemitLine(
    "93005", D("50.00"), D("0"), modifiers=("59", "XU"), adjustments=(Adjustment("CO", "97", D("50.00")),)
)
DEDUCTIBLE = RemitLine("36415", D("10.00"), D("0"), adjustments=(Adjustment("PR", "1", D("10.00")),))


def test_partial_denial_is_not_a_denied_claim_but_lists_its_carc():
    rec = record([PAID, BUNDLED])
    assert not denied(rec)
    assert denial_carcs(rec) == ("97",)


def test_deductible_only_line_is_not_a_denial_and_status_4_is():
    assert not denied(record([DEDUCTIBLE]))
    assert denial_carcs(record([PAID])) == ()  # CO-45 is a contractual reduction, not a denial
    assert denied(record([BUNDLED]))
    assert denied(record([PAID], status="4", claim_adjs=[Adjustment("CO", "29", D("100.00"))]))


def test_frame_has_one_row_per_line_with_hand_checked_values():
    frame = history_frame(
        [record([PAID, BUNDLED]), record([PAID], status="4", claim_adjs=[Adjustment("CO", "18", D("1"))])]
    )
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 3
    row = frame.iloc[1]
    assert (row.procedure, row.modifiers, row.n_modifiers, row.charge, row.paid) == (
        "93005",
        "59,XU",
        2,
        50.0,
        0.0,
    )
    assert bool(row.denied) and row.denial_carc == "97"
    assert (row.principal_diagnosis, row.n_diagnoses) == ("Z0000", 2)
    first = frame.iloc[0]
    assert not bool(first.denied) and first.denial_carc == "" and first.paid == 60.0
    last = frame.iloc[2]  # the whole claim was denied: the claim-level CARC shows on the line
    assert bool(last.denied) and last.denial_carc == "18"
    assert str(frame.service_date.iloc[0].date()) == "2025-03-04"


def test_patient_key_is_a_stable_hash_not_the_input():
    assert patient_key("synthea", "abc") == patient_key("synthea", "abc")
    assert patient_key("synthea", "abc") != patient_key("synthea", "abd")
    assert len(patient_key("x")) == 16 and "abc" not in patient_key("abc")
