"""read_837: the shipped example files (hand-written expectations) and the real 5010 examples
(parse, rebuild pyx12-clean, read back the same claims, lines, codes and amounts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.claims.read837 import read_837
from medcoder.claims.records import Claim, ClaimKind
from medcoder.claims.validate import pyx12_errors
from medcoder.claims.x12 import X12Error
from medcoder.claims.x837 import CounterControlNumbers, Receiver, Submitter, build_837

DATA = Path(__file__).parent / "data"
SUB = Submitter("ACME BILLING", "ACME01", "EDI DESK", "5555551234")
REC = Receiver("CLEARINGHOUSE", "CH01")

REAL = [f"837P/{n}" for n in (
    "demo.ambulance.example5.837", "demo.cob.2ndary.example4.837", "demo.cob.example3.A.837",
    "demo.cob.example3.C.837", "demo.cob.example4.837", "demo.drug.example10.1.837",
    "demo.drug.example10.3.837", "demo.example1.837", "demo.example11.837", "demo.example12.837",
    "demo.example2.837", "demo.example6.837", "demo.example7.837", "demo.example8.837", "demo.example9.837",
)] + [f"837I/{n}" for n in ("institutional-claim.837i", "out-of-network-repriced-claim.837i", "ppo-repriced-claim.837i")]  # fmt: skip


@pytest.mark.parametrize("name", ["office_visit", "dependent_multi_line", "institutional"])
def test_shipped_files_validate(name: str) -> None:
    assert pyx12_errors((DATA / f"{name}.837").read_text()) == []


def test_office_visit() -> None:
    (claim,) = read_837((DATA / "office_visit.837").read_text())
    assert claim.claim_id == "OV1001" and claim.kind is ClaimKind.PROFESSIONAL
    assert claim.total_charge == Decimal("185.50")
    assert claim.diagnoses == ("E1122", "I10")
    assert claim.patient is None and claim.subscriber.member_id == "XYZ123456789"
    assert claim.billing.npi == "1234567893" and claim.billing.tax_id == "371234567"
    assert [(ln.procedure, ln.modifiers, ln.charge, ln.diagnosis_pointers) for ln in claim.lines] == [
        ("99214", ("25",), Decimal("150"), (1, 2)),
        ("83036", (), Decimal("35.5"), (1,)),
    ]
    assert claim.lines[0].service_date == date(2025, 3, 4)


def test_dependent_multi_line() -> None:
    (claim,) = read_837((DATA / "dependent_multi_line.837").read_text())
    assert claim.claim_id == "DEP2002" and claim.total_charge == Decimal("225.25")
    assert claim.diagnoses == ("J069", "R509", "H6690")
    assert claim.patient is not None and claim.patient.first_name == "SAM"
    assert claim.patient.birth_date == date(2015, 6, 7) and claim.relationship == "19"
    assert claim.rendering is not None and claim.rendering.npi == "1245319599"
    assert claim.rendering.taxonomy == "207R00000X"
    assert len(claim.lines) == 4
    assert claim.lines[2].modifiers == ("LT", "RT", "59", "XU") and claim.lines[2].units == Decimal("2")
    assert claim.lines[2].diagnosis_pointers == (3,)
    assert [ln.line_control for ln in claim.lines] == ["A1", "A2", "A3", ""]
    assert claim.lines[3].ndc == "00004196501"


def test_institutional() -> None:
    (claim,) = read_837((DATA / "institutional.837").read_text())
    assert claim.claim_id == "INST3003" and claim.kind is ClaimKind.INSTITUTIONAL
    assert claim.total_charge == Decimal("209.99") and claim.facility_code == "13"
    assert claim.diagnoses == ("R0789", "I10", "E785")
    assert [(ln.revenue_code, ln.procedure, ln.charge) for ln in claim.lines] == [
        ("0730", "93005", Decimal("120")),
        ("0301", "80053", Decimal("89.99")),
    ]
    assert claim.statement_from == claim.statement_to == date(2025, 5, 6)
    assert claim.attending is not None and claim.attending.name == "SMITH"


def test_not_837_is_an_error() -> None:
    text = (
        (DATA / "office_visit.837")
        .read_text()
        .replace("ST*837*0101*005010X222A1", "ST*837*0101*005010X221A1")
    )
    with pytest.raises(X12Error, match=r"segment ST at position 3: implementation '005010X221A1'"):
        read_837(text)


def _essentials(claim: Claim) -> tuple[object, ...]:
    """What must survive a rebuild: ids, kind, amounts, codes and lines (effective place of service)."""
    lines = tuple(
        (ln.line_number, ln.procedure, ln.modifiers, ln.charge, ln.units, ln.service_date,
         ln.diagnosis_pointers, ln.revenue_code, ln.ndc, ln.line_control,
         (ln.place_of_service or claim.facility_code) if claim.kind is ClaimKind.PROFESSIONAL else "")
        for ln in claim.lines
    )  # fmt: skip
    return (claim.claim_id, claim.kind, claim.total_charge, claim.diagnoses, claim.facility_code,
            claim.billing.npi, claim.payer.payer_id, claim.subscriber.member_id,
            claim.patient is None, lines)  # fmt: skip


def _rebuild(claims: list[Claim]) -> str:
    # The examples' NPIs are fictitious (most fail the check digit): keep them as they are.
    return build_837(claims, submitter=SUB, receiver=REC, control=CounterControlNumbers(),
                     when=datetime(2025, 1, 2, 3, 4), strict_npi=False)  # fmt: skip


def _read_real(name: str) -> list[Claim]:
    path = require_shared("x12_examples", *name.split("/"))
    return read_837(path.read_text(), path=path)


@pytest.mark.parametrize("name", REAL)
def test_real_file_round_trip(name: str) -> None:
    claims = _read_real(name)
    assert claims and all(c.lines and c.diagnoses for c in claims)
    assert all(c.total_charge == c.line_charge_total for c in claims)
    again = read_837(_rebuild(claims))
    assert [_essentials(c) for c in again] == [_essentials(c) for c in claims]


def test_real_files_rebuilt_together_are_pyx12_clean() -> None:
    # One interchange per kind holding every real example's claims (two pyx12 runs, fast).
    claims = [c for name in REAL for c in _read_real(name)]
    for kind in ClaimKind:
        assert pyx12_errors(_rebuild([c for c in claims if c.kind is kind])) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", REAL)
def test_real_file_rebuilt_is_pyx12_clean(name: str) -> None:
    assert pyx12_errors(_rebuild(_read_real(name))) == []


def test_real_example1_values() -> None:
    path = require_shared("x12_examples", "837P", "demo.example1.837")
    (claim,) = read_837(path.read_text())
    assert claim.claim_id == "26463774" and claim.total_charge == Decimal("100.00")
    assert claim.diagnoses == ("0340", "V7389")
    assert [ln.procedure for ln in claim.lines] == ["99213", "87070", "99214", "86663"]
    assert [ln.diagnosis_pointers for ln in claim.lines] == [(1,), (1,), (2,), (2,)]
    assert claim.patient is not None and claim.relationship == "19"


def test_real_file_with_other_payer_keeps_claim_payer() -> None:
    # demo.cob.example3.C: the 2330 other-payer loop names KEY INSURANCE; the claim's payer is 2010BB.
    path = require_shared("x12_examples", "837P", "demo.cob.example3.C.837")
    (claim,) = read_837(path.read_text())
    assert claim.payer.payer_id == "567890"
    assert claim.subscriber.member_id == "22233444"
    assert claim.rendering is not None and claim.rendering.npi == "1999996666"


def test_real_file_with_wrong_declared_separator() -> None:
    # demo.example9 declares ':' in ISA16 but writes HC>00142>QK>QS>P1 and SV107 '1.00'.
    path = require_shared("x12_examples", "837P", "demo.example9.837")
    (claim,) = read_837(path.read_text())
    line = claim.lines[0]
    assert (line.procedure, line.modifiers, line.unit_basis, line.units) == (
        "00142",
        ("QK", "QS", "P1"),
        "MJ",
        Decimal("61"),
    )
    assert line.diagnosis_pointers == (1,) and claim.facility_code == "22"
