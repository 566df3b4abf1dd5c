"""render_835: hand-built remittances survive render -> read_835 unchanged (positions aside)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from medcoder.claims.balance import check_balance
from medcoder.claims.bench835 import synthetic_remittance
from medcoder.claims.read835 import read_835
from medcoder.claims.records import Address, Adjustment, ClaimPayment, RemitLine, Remittance
from medcoder.claims.write835 import PayerDetails, render_835

D = Decimal
WHEN = datetime(2026, 2, 3, 9, 30)


def _render(remittances: list[Remittance]) -> str:
    return render_835(
        remittances, payer_id="PAYER01", payee_id="CLINIC01", control_isa=42, control_gs=7, when=WHEN
    )


def _unplaced(remittance: Remittance) -> Remittance:
    """The remittance with segment positions zeroed (they depend on the file, not the content)."""
    claims = tuple(
        replace(c, position=0, lines=tuple(replace(line, position=0) for line in c.lines))
        for c in remittance.claims
    )
    return replace(remittance, position=0, claims=claims)


def _hand_built() -> list[Remittance]:
    lines = (
        RemitLine(
            "99214", D("200.00"), D("120.00"), modifiers=("25", "59"), units=D("2"), service_date=date(2026, 1, 2),
            adjustments=(Adjustment("CO", "45", D("60.00")), Adjustment("CO", "253", D("2.40"), D("1")),
                         Adjustment("PR", "2", D("17.60"))),
            remarks=("N130", "M15"), line_control="L1", original_procedure="99215",
        ),
        RemitLine("0450", D("50.00"), D("0.00"), qualifier="NU", revenue_code="0450",
                  adjustments=(Adjustment("CO", "96", D("50.00")),)),
    )  # fmt: skip
    paid = ClaimPayment(
        "PCN-1", "1", D("250.00"), D("120.00"), patient_responsibility=D("17.60"), filing_indicator="MC",
        payer_claim_id="ICN1", lines=lines, remarks=("MA01",), patient_name="DOE, JANE",
    )  # fmt: skip
    denied = ClaimPayment(
        "PCN-2", "4", D("80.00"), D("0.00"), filing_indicator="12",
        adjustments=(Adjustment("CO", "197", D("80.00")),), patient_name="ROE",
    )  # fmt: skip
    first = Remittance(
        "TRACE-A", D("110.00"), "ACME INSURANCE", "GOOD CLINIC", (paid, denied), payment_date=date(2026, 2, 1),
        payee_npi="1234567893", provider_adjustments=(Adjustment("WO", "REF9", D("12.50")), Adjustment("L6", "", D("-2.50"))),
    )  # fmt: skip
    seven = tuple(Adjustment("CO", code, D("1.00")) for code in ("4", "5", "6", "9", "11", "16", "18"))
    many = ClaimPayment("PCN-3", "1", D("17.00"), D("10.00"), adjustments=seven)  # 7 triplets: two CAS
    second = Remittance(
        "TRACE-B", D("10.00"), "ACME INSURANCE", "OTHER CLINIC", (many,), payment_date=date(2026, 2, 2)
    )
    return [first, second]


def test_round_trip_hand_built() -> None:
    remittances = _hand_built()
    for r in remittances:
        check_balance(r)
    text = _render(remittances)
    assert text.startswith("ISA*00*")
    assert "SVC*HC:99214:25:59*200.00*120.00**2*HC:99215~" in text
    assert "CAS*CO*4*1.00**5*1.00**6*1.00**9*1.00**11*1.00**16*1.00~\nCAS*CO*18*1.00~" in text
    assert "PLB*1234567893*20261231*WO:REF9*12.50*L6*-2.50~" in text
    back = read_835(text)
    assert [_unplaced(r) for r in back] == remittances
    assert back[0].claims[0].position == 10  # ISA GS ST BPR TRN DTM N1 N1 LX, then CLP


def test_envelope_control_numbers() -> None:
    text = _render(_hand_built()[:1])
    segments = text.split("~\n")
    assert segments[0][90:99] == "000000042"
    assert segments[1] == "GS*HP*PAYER01*CLINIC01*20260203*0930*7*X*005010X221A1"
    assert segments[-2] == "IEA*1*000000042"


def test_missing_payment_date_written_as_when() -> None:
    remit = replace(_hand_built()[1], payment_date=None)
    [back] = read_835(_render([remit]))
    assert back.payment_date == date(2026, 2, 3)


def test_synthetic_round_trip_balances() -> None:
    remit = synthetic_remittance(50, seed=3)
    [back] = read_835(_render([remit]))
    check_balance(back)
    assert _unplaced(back) == remit


def test_empty_input_refused() -> None:
    with pytest.raises(ValueError, match="at least one remittance"):
        _render([])


def test_pyx12_accepts_a_complete_835() -> None:
    pytest.importorskip("pyx12")
    from medcoder.claims.validate import pyx12_errors

    remittances = _hand_built()
    complete = []
    for r in remittances:
        claims = tuple(
            replace(c, filing_indicator=c.filing_indicator or "12", payer_claim_id=c.payer_claim_id or "ICN9",
                    patient_name=c.patient_name or "ROE, RICHARD")
            for c in r.claims
        )  # fmt: skip
        complete.append(replace(r, claims=claims))
    payer = PayerDetails("123456789", Address("1 PAYER WAY", "HARTFORD", "CT", "06101"))
    text = render_835(
        complete,
        payer_id="PAYER01",
        payee_id="CLINIC01",
        control_isa=42,
        control_gs=7,
        when=WHEN,
        payer=payer,
    )
    assert pyx12_errors(text) == []
    assert [_unplaced(r) for r in read_835(text)] == complete


def test_bench_small() -> None:
    from medcoder.claims.bench835 import bench_835

    result = bench_835(n_clp=20, seed=1, repeats=1)
    assert result["n_clp"] == 20
    assert (
        result["segments"] == 9 + 20 * 13 + 3
    )  # header, 13 per claim (CLP CAS NM1 + 2x SVC DTM CAS REF), SE GE IEA
    assert float(result["clp_per_second"]) > 0  # type: ignore[arg-type]
