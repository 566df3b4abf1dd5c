"""check_balance: the shared 835s balance (checked by hand below); unbalanced variants are refused."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from conftest import require_shared
from medcoder.claims.balance import check_balance
from medcoder.claims.read835 import read_835
from medcoder.claims.records import Adjustment, ClaimPayment, RemitLine, Remittance
from medcoder.claims.x12 import X12Error

D = Decimal


@pytest.mark.parametrize("name", ["managed-care.835", "secondary-payment.835", "tertiary-payment.835"])
def test_shared_files_balance(name: str) -> None:
    # managed-care: CLP 800-450 = 50 (CO A2) + 300 (line PR 1); line 800-500 = 300;
    #   CLP 1200-495 = 55 + 600 + 50; BPR 945 = 450 + 495.
    # secondary: CLP 10323.64-912 = 9411.64 (no lines); CLP 751.50-310 = 136.50 + (150+70+85);
    #   BPR 1222 = 912 + 310. tertiary: 1766.50-187.50 = 1579 (OA 23); BPR 187.50.
    for remittance in read_835(require_shared("x12_examples", "835", name).read_text()):
        check_balance(remittance)


def _remit() -> Remittance:
    line1 = RemitLine(
        "99213", D("120.00"), D("80.00"), adjustments=(Adjustment("CO", "45", D("40.00")),), position=12
    )
    line2 = RemitLine(
        "36415", D("30.00"), D("0.00"),
        adjustments=(Adjustment("CO", "97", D("20.00")), Adjustment("PR", "1", D("10.00"))), position=15,
    )  # fmt: skip
    claim = ClaimPayment(
        "PCN1", "1", D("150.00"), D("75.00"), adjustments=(Adjustment("CO", "253", D("5.00")),),
        lines=(line1, line2), position=10,
    )  # fmt: skip
    # 150 - 75 = 75 = 5 (claim) + 40 + 30 (lines); BPR 75 - PLB 2.50 = 72.50
    return Remittance(
        "T1", D("72.50"), "PAYER", "CLINIC", (claim,),
        provider_adjustments=(Adjustment("WO", "X1", D("2.50")),), position=4,
    )  # fmt: skip


def test_hand_built_remittance_balances() -> None:
    check_balance(_remit())


def test_unbalanced_line_names_svc() -> None:
    remit = _remit()
    claim = remit.claims[0]
    bad_line = replace(claim.lines[1], paid=D("1.00"))
    bad = replace(remit, claims=(replace(claim, lines=(claim.lines[0], bad_line)),))
    with pytest.raises(X12Error) as info:
        check_balance(bad)
    assert (info.value.segment, info.value.position) == ("SVC", 15)
    assert "charge 30.00 - paid 1.00 = 29.00, but its CAS adjustments total 30.00" in str(info.value)


def test_unbalanced_claim_names_clp() -> None:
    remit = _remit()
    claim = replace(remit.claims[0], adjustments=(Adjustment("CO", "253", D("6.00")),))
    with pytest.raises(X12Error) as info:
        check_balance(replace(remit, claims=(claim,)))
    assert (info.value.segment, info.value.position) == ("CLP", 10)
    assert "claim CAS 6.00 + line CAS 70.00 = 76.00" in str(info.value)


def test_claim_without_lines_uses_claim_cas_only() -> None:
    claim = ClaimPayment(
        "PCN2", "4", D("200.00"), D("0.00"), adjustments=(Adjustment("CO", "50", D("200.00")),)
    )
    check_balance(Remittance("T2", D("0.00"), "P", "C", (claim,)))
    short = replace(claim, adjustments=(Adjustment("CO", "50", D("199.99")),), position=7)
    with pytest.raises(X12Error) as info:
        check_balance(Remittance("T2", D("0.00"), "P", "C", (short,)))
    assert (info.value.segment, info.value.position) == ("CLP", 7)


def test_payment_total_names_bpr() -> None:
    remit = replace(_remit(), payment_amount=D("75.00"))  # forgot the PLB 2.50
    with pytest.raises(X12Error) as info:
        check_balance(remit)
    assert (info.value.segment, info.value.position) == ("BPR", 4)
    assert "claims paid 75.00 minus provider adjustments (PLB) 2.50" in str(info.value)
