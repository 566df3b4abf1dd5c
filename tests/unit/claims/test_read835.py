"""read_835 against the shared real 835s and hand-written ones (expected values read off the text)."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest

from conftest import require_shared
from medcoder.claims.read835 import read_835
from medcoder.claims.records import Adjustment
from medcoder.claims.x12 import X12Error

ISA = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260105*1200*^*00501*000000001*0*T*:~"


def wrap(*body: str) -> str:
    """An interchange around one 835 transaction with correct SE/GE/IEA counts."""
    st = ["ST*835*0001*005010X221A1", *body]
    segments = [ISA[:-1], "GS*HP*PAYER*CLINIC*20260105*1200*1*X*005010X221A1", *st, f"SE*{len(st) + 1}*0001"]
    segments += ["GE*1*1", "IEA*1*000000001"]
    return "~\n".join(segments) + "~\n"


HEADER = (
    "BPR*I*100.00*C*CHK************20260105",
    "TRN*1*TRACE1*1999999999",
    "DTM*405*20260104",
    "N1*PR*ACME INSURANCE",
    "N1*PE*GOOD CLINIC*XX*1234567893",
    "LX*1",
)


def shared_835(name: str) -> str:
    return require_shared("x12_examples", "835", name).read_text()


def test_managed_care_file() -> None:
    [remit] = read_835(shared_835("managed-care.835"))
    assert remit.trace_number == "7170066655"
    assert remit.payment_amount == Decimal("945.00")
    assert remit.payer_name == "RUSHMORE LIFE"
    assert remit.payee_name == "ACME MEDICAL CENTER"
    assert remit.payee_npi == "5544667733"
    assert remit.payment_date is None  # BPR16 is 20002316: not a date
    first, second = remit.claims
    assert (first.claim_id, first.status, first.charge, first.paid) == (
        "5554555444", "1", Decimal("800.00"), Decimal("450.00"),
    )  # fmt: skip
    assert first.patient_responsibility == Decimal("300.00")
    assert first.payer_claim_id == "94060555410000"
    assert first.adjustments == (Adjustment("CO", "A2", Decimal("50.00")),)
    assert first.patient_name == "BUDD, WILLIAM"
    assert first.position == 13
    [line] = first.lines
    assert (line.procedure, line.charge, line.paid, line.service_date) == (
        "99211", Decimal("800.00"), Decimal("500.00"), date(2002, 3, 1),
    )  # fmt: skip
    assert line.adjustments == (Adjustment("PR", "1", Decimal("300.00")),)
    assert line.position == 16
    assert second.lines[0].adjustments == (
        Adjustment("PR", "1", Decimal("600.00")),
        Adjustment("CO", "45", Decimal("50.00")),
    )


def test_secondary_payment_angle_bracket_composite(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        [remit] = read_835(shared_835("secondary-payment.835"))
    no_lines, with_lines = remit.claims
    assert no_lines.lines == ()
    assert no_lines.adjustments == (Adjustment("OA", "23", Decimal("9411.64")),)
    first, second = with_lines.lines
    assert (first.qualifier, first.procedure, first.modifiers) == ("HC", "12345", ("26",))
    assert (second.procedure, second.modifiers, second.revenue_code, second.units) == (
        "66543", ("26",), "220", Decimal("1"),
    )  # fmt: skip
    assert second.adjustments == (
        Adjustment("PR", "1", Decimal("150.00")),
        Adjustment("PR", "2", Decimal("70.00")),
        Adjustment("CO", "42", Decimal("85.00")),
    )
    assert second.service_date == date(2005, 1, 6)
    warnings = [r.getMessage() for r in caplog.records if "'>'" in r.getMessage()]
    assert len(warnings) == 2 and "position 29" in warnings[0]
    assert all("BAKI" not in r.getMessage() and "456789123" not in r.getMessage() for r in caplog.records)


def test_tertiary_payment_shifted_svc() -> None:
    [remit] = read_835(shared_835("tertiary-payment.835"))
    [claim] = remit.claims
    [line] = claim.lines
    assert (line.procedure, line.charge, line.paid, line.units) == (
        "24599", Decimal("1766.50"), Decimal("187.50"), Decimal("1"),
    )  # fmt: skip


def test_line_details_remarks_and_plb() -> None:
    text = wrap(
        *HEADER,
        "CLP*PCN1*1*150.00*90.00*10.00*12*PAYERCLAIM1",
        "NM1*QC*1*DOE*JANE****MI*M123",
        "MOA***MA01*N130",
        "DTM*232*20260101",
        "SVC*HC:99213:25:59*150.00*90.00**2*HC:99214",
        "DTM*472*20260102",
        "CAS*CO*45*50.00*1*253*0.00",
        "CAS*PR*3*10.00",
        "REF*6R*LINE-1",
        "LQ*HE*N20",
        "PLB*1234567893*20261231*WO:ABC123*-10.00*L6*5.00",
    )
    [remit] = read_835(text)
    assert remit.payment_date == date(2026, 1, 5)
    [claim] = remit.claims
    assert claim.remarks == ("MA01", "N130")
    assert claim.patient_name == "DOE, JANE"
    [line] = claim.lines
    assert line.modifiers == ("25", "59")
    assert line.units == Decimal("2")
    assert line.original_procedure == "99214"
    assert line.service_date == date(2026, 1, 2)
    assert line.line_control == "LINE-1"
    assert line.remarks == ("N20",)
    assert line.adjustments == (
        Adjustment("CO", "45", Decimal("50.00"), Decimal("1")),
        Adjustment("CO", "253", Decimal("0.00")),
        Adjustment("PR", "3", Decimal("10.00")),
    )
    assert remit.provider_adjustments == (
        Adjustment("WO", "ABC123", Decimal("-10.00")),
        Adjustment("L6", "", Decimal("5.00")),
    )


def test_unknown_carc_names_cas_segment_and_position() -> None:
    text = wrap(*HEADER, "CLP*PCN1*1*100.00*90.00**12", "SVC*HC:99213*100.00*90.00", "CAS*CO*ZZ9*10.00")
    with pytest.raises(X12Error) as info:
        read_835(text)
    assert info.value.segment == "CAS"
    assert info.value.position == 12  # ISA GS ST, 6 header segments, CLP, SVC, then CAS
    assert "ZZ9" in str(info.value)


def test_retired_carc_rejected_after_its_end_date() -> None:
    # CARC 42 ended 2008-06-01 in our list; the payment here is dated 2026-01-05.
    text = wrap(*HEADER, "CLP*PCN1*1*100.00*90.00**12", "CAS*CO*42*10.00")
    with pytest.raises(X12Error, match="not a known CARC in effect on 2026-01-05"):
        read_835(text)
    assert read_835(text, check_codes=False)[0].claims[0].adjustments[0].reason == "42"


def test_bad_group_code_and_bad_rarc() -> None:
    with pytest.raises(X12Error, match="CAS01 group code 'XX'"):
        read_835(wrap(*HEADER, "CLP*PCN1*1*100.00*90.00**12", "CAS*XX*45*10.00"))
    with pytest.raises(X12Error, match="not a remittance advice remark code") as info:
        read_835(wrap(*HEADER, "CLP*PCN1*1*100.00*90.00**12", "MOA***BOGUS"))
    assert info.value.segment == "MOA"


def test_missing_bpr_and_bad_amount() -> None:
    with pytest.raises(X12Error, match="no BPR"):
        read_835(wrap(*HEADER[1:]))
    with pytest.raises(X12Error, match="CLP04 is not a number") as info:
        read_835(wrap(*HEADER, "CLP*PCN1*1*100.00*9O.00**12"))
    assert (info.value.segment, info.value.position) == ("CLP", 10)


def test_not_an_835() -> None:
    text = wrap(*HEADER).replace("ST*835", "ST*837")
    with pytest.raises(X12Error, match="expected 835"):
        read_835(text)


def test_gc_state_restored() -> None:
    import gc

    text = wrap(*HEADER)
    assert gc.isenabled()
    read_835(text)
    assert gc.isenabled()
    gc.disable()
    try:
        read_835(text)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(X12Error):
        read_835(text.replace("BPR*I*100.00", "BPR*I*1OO"))
    assert gc.isenabled()
