"""build_837: structure, control numbers, errors, and pyx12 validity of generated claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from medcoder.claims.records import Address, Claim, ClaimKind, Payer, Person, Provider, ServiceLine
from medcoder.claims.validate import pyx12_errors
from medcoder.claims.x837 import CounterControlNumbers, Receiver, Submitter, build_837
from unit.claims.claim_factory import varied_claims

SUB = Submitter("ELM STREET CLINIC", "ELM0001", "BILLING OFFICE", "2175550100")
REC = Receiver("ACME CLEARINGHOUSE", "ACMECH")
WHEN = datetime(2025, 6, 2, 9, 15)


def _claim(**changes: object) -> Claim:
    claim = Claim(
        claim_id="OV1001",
        kind=ClaimKind.PROFESSIONAL,
        billing=Provider(
            name="ELM STREET CLINIC",
            npi="1234567893",
            tax_id="371234567",
            address=Address("100 ELM ST", "SPRINGFIELD", "IL", "62701"),
        ),  # fmt: skip
        subscriber=Person(
            "DOE", "JANE", "XYZ1", date(1980, 2, 3), "F", Address("9 OAK AVE", "SPRINGFIELD", "IL", "62704")
        ),
        payer=Payer("ACME HEALTH PLAN", "60054"),
        diagnoses=("E1122", "I10"),
        lines=(
            ServiceLine(
                1,
                "99214",
                Decimal("150.00"),
                service_date=date(2025, 3, 4),
                modifiers=("25",),
                diagnosis_pointers=(1, 2),
            ),
            ServiceLine(2, "83036", Decimal("35.50"), service_date=date(2025, 3, 4)),
        ),
        total_charge=Decimal("185.50"),
    )
    return replace(claim, **changes)  # type: ignore[arg-type]


def _segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def test_professional_segments() -> None:
    text = build_837([_claim()], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN)
    segs = _segments(text)
    assert segs[1] == "GS*HC*ELM0001*ACMECH*20250602*0915*1*X*005010X222A1"
    assert segs[2] == "ST*837*0001*005010X222A1"
    assert "CLM*OV1001*185.5***11:B:1*Y*A*Y*Y" in segs
    assert "HI*ABK:E1122*ABF:I10" in segs
    assert "SV1*HC:99214:25*150*UN*1***1:2" in segs
    assert "N4*SPRINGFIELD*IL*627010000" in segs  # billing ZIP completed to nine digits
    assert segs[-3] == f"SE*{len(segs) - 4}*0001"
    assert pyx12_errors(text) == []


def test_control_numbers_never_repeat() -> None:
    control = CounterControlNumbers(start=7)
    first = build_837([_claim()], submitter=SUB, receiver=REC, control=control, when=WHEN)
    second = build_837([_claim()], submitter=SUB, receiver=REC, control=control, when=WHEN)
    assert "*000000007*0*P*:" in first and "*000000008*0*P*:" in second
    assert "ST*837*0007*" in first and "ST*837*0008*" in second
    assert _segments(second)[-1] == "IEA*1*000000008"


def test_total_must_match_lines() -> None:
    with pytest.raises(ValueError, match=r"claim 'OV1001': total charge 185.00 is not the sum"):
        build_837(
            [_claim(total_charge=Decimal("185.00"))],
            submitter=SUB,
            receiver=REC,
            control=CounterControlNumbers(),
            when=WHEN,
        )


def test_bad_npi_names_the_claim() -> None:
    bad = replace(_claim().billing, npi="1234567890")
    with pytest.raises(ValueError, match=r"claim 'OV1001': the billing provider NPI fails the check digit"):
        build_837(
            [_claim(billing=bad)], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN
        )


def test_mixed_kinds_rejected() -> None:
    inst = _claim(kind=ClaimKind.INSTITUTIONAL, claim_id="I1")
    with pytest.raises(ValueError, match="one kind"):
        build_837([_claim(), inst], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN)


def test_pointer_outside_diagnoses() -> None:
    line = ServiceLine(1, "99214", Decimal("185.50"), service_date=date(2025, 3, 4), diagnosis_pointers=(3,))
    with pytest.raises(ValueError, match=r"claim 'OV1001' line 1: a diagnosis pointer is outside 1..2"):
        build_837(
            [_claim(lines=(line,))], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN
        )


def test_delimiters_in_names_are_replaced() -> None:
    person = replace(_claim().subscriber, last_name="O*NEIL~")
    text = build_837(
        [_claim(subscriber=person)], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN
    )
    assert "NM1*IL*1*O NEIL*JANE****MI*XYZ1" in _segments(text)


def test_institutional_segments() -> None:
    claim = _claim(kind=ClaimKind.INSTITUTIONAL, facility_code="13", lines=tuple(
        replace(line, revenue_code="0300") for line in _claim().lines))  # fmt: skip
    text = build_837([claim], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN)
    segs = _segments(text)
    assert "CLM*OV1001*185.5***13:A:1**A*Y*Y" in segs
    assert "DTP*434*RD8*20250304-20250304" in segs
    assert "HI*ABK:E1122" in segs and "HI*ABF:I10" in segs
    assert "SV2*0300*HC:99214:25*150*UN*1" in segs
    assert pyx12_errors(text) == []


def test_validator_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    text = build_837([_claim()], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN)
    assert pyx12_errors(text.replace("*11:B:1*", "*11*")) != []
    assert capsys.readouterr() == ("", "")


def test_validator_on_non_x12() -> None:
    (message,) = pyx12_errors("not an interchange")
    assert "could not read" in message


def test_validator_reports_errors() -> None:
    text = build_837([_claim()], submitter=SUB, receiver=REC, control=CounterControlNumbers(), when=WHEN)
    broken = text.replace("CLM*OV1001*185.5***11:B:1", "CLM*OV1001*185.5***11")
    errors = pyx12_errors(broken)
    assert errors and any("CLM05" in e for e in errors)


def test_varied_claims_small_batch_is_clean() -> None:
    control = CounterControlNumbers()
    for kind in ClaimKind:
        claims = varied_claims(8, seed=11, kind=kind)
        assert pyx12_errors(build_837(claims, submitter=SUB, receiver=REC, control=control, when=WHEN)) == []


@pytest.mark.slow
def test_200_varied_claims_are_pyx12_clean() -> None:
    control = CounterControlNumbers()
    claims = varied_claims(200, seed=2025)
    batches = [[c for c in claims if c.kind is kind] for kind in ClaimKind]
    chunks = [b[i : i + 40] for b in batches for i in range(0, len(b), 40)]
    assert sum(len(c) for c in chunks) == 200
    for chunk in chunks:
        text = build_837(chunk, submitter=SUB, receiver=REC, control=control, when=WHEN)
        assert pyx12_errors(text) == []
