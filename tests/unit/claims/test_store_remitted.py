"""ClaimsStore.remitted_lines: linked lines with coding context, filters, the denied flag, chunking."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from medcoder.claims.records import (
    Adjustment,
    Claim,
    ClaimKind,
    ClaimPayment,
    Payer,
    Person,
    Provider,
    RemitLine,
    Remittance,
    ServiceLine,
)  # fmt: skip
from medcoder.claims.schema import remittance_files
from medcoder.claims.store import ClaimsStore
from medcoder.claims.write835 import render_835

D = Decimal
DAY = date(2026, 1, 2)
FEB, MAR = "2026-02-01T10:00:00+00:00", "2026-03-01T10:00:00+00:00"


def _claim(claim_id: str, encounter: str, version: str, diagnoses: tuple[str, ...], lines) -> Claim:
    return Claim(
        claim_id=claim_id, kind=ClaimKind.PROFESSIONAL, billing=Provider("CLINIC", npi="1234567893"),
        subscriber=Person("DOE", "JANE", member_id="M1"), payer=Payer("ACME", "ACME01"), diagnoses=diagnoses,
        lines=tuple(lines), total_charge=sum((line.charge for line in lines), D("0.00")), encounter_id=encounter,
        model_version=version,
    )  # fmt: skip


CLAIMS = (
    _claim("PCN-A", "enc-A", "m1", ("E119", "I10"), [
        ServiceLine(1, "99213", D("120.00"), service_date=DAY, diagnosis_pointers=(1, 2)),
        ServiceLine(2, "93000", D("50.00"), service_date=DAY, diagnosis_pointers=(2,)),
    ]),
    _claim("PCN-B", "enc-B", "m2", ("J449",), [ServiceLine(1, "99214", D("200.00"), diagnosis_pointers=(1,))]),
    _claim("PCN-C", "enc-C", "m1", ("M545",), [ServiceLine(1, "97110", D("40.00"), diagnosis_pointers=(1,))]),
    _claim("PCN-D", "enc-D", "m2", ("R51",), [ServiceLine(1, "G0439", D("30.00"), diagnosis_pointers=(1,))]),
)  # fmt: skip


def _file1() -> Remittance:
    a_lines = (
        RemitLine("99213", D("120.00"), D("80.00"), service_date=DAY, adjustments=(Adjustment("CO", "45", D("40.00")),)),
        RemitLine("93000", D("50.00"), D("0.00"), service_date=DAY, adjustments=(Adjustment("CO", "97", D("50.00")),)),
    )  # fmt: skip
    payments = (
        ClaimPayment("PCN-A", "1", D("170.00"), D("80.00"), lines=a_lines),
        ClaimPayment("PCN-B", "1", D("200.00"), D("200.00"), lines=(RemitLine("99214", D("200.00"), D("200.00")),)),
    )  # fmt: skip
    return Remittance("TRACE-1", D("280.00"), "ACME", "CLINIC", payments, payment_date=date(2026, 2, 1))


def _file2() -> Remittance:
    c_line = RemitLine("97110", D("40.00"), D("0.00"), adjustments=(Adjustment("CO", "50", D("40.00")),))
    d_line = RemitLine("G0439", D("30.00"), D("0.00"), adjustments=(Adjustment("PR", "1", D("30.00")),))
    payments = (
        ClaimPayment("PCN-C", "4", D("40.00"), D("0.00"), lines=(c_line,)),
        ClaimPayment("PCN-D", "1", D("30.00"), D("0.00"), patient_responsibility=D("30.00"), lines=(d_line,)),
    )
    return Remittance("TRACE-2", D("0.00"), "ACME", "CLINIC", payments, payment_date=date(2026, 3, 1))


@pytest.fixture
def store(tmp_path: Path) -> ClaimsStore:
    s = ClaimsStore(str(tmp_path / "claims.db"))
    s.save_claims(CLAIMS, interchange_control=1)
    for control, (remit, received) in enumerate(((_file1(), FEB), (_file2(), MAR)), 1):
        text = render_835([remit], payer_id="ACME01", payee_id="CLINIC01", control_isa=control,
                          control_gs=control, when=datetime(2026, 2, 1, 8, 0))  # fmt: skip
        report = s.ingest_835(text, source=f"r{control}.835")
        assert report.error == "" and report.linked_lines == sum(len(p.lines) for p in remit.claims)
        with s.engine.begin() as conn:  # ingest stamps "now": pin each file's receipt time
            conn.execute(update(remittance_files).where(remittance_files.c.sha256 == report.sha256)
                         .values(received_at=received))  # fmt: skip
    yield s
    s.close()


def _key(line) -> tuple[str, int]:
    return (line.claim_id, line.line_number)


def test_lines_carry_coding_context_and_denied_flag(store: ClaimsStore) -> None:
    lines = list(store.remitted_lines())
    assert [_key(x) for x in lines] == [("PCN-A", 1), ("PCN-A", 2), ("PCN-B", 1), ("PCN-C", 1), ("PCN-D", 1)]
    a1, a2, b1, c1, d1 = lines
    assert (a1.encounter_id, a1.model_version, a1.procedure, a1.diagnoses) == (
        "enc-A",
        "m1",
        "99213",
        ("E119", "I10"),
    )
    assert (a1.charge, a1.paid, a1.carcs, a1.payment_status, a1.received_at) == (
        D("120.00"),
        D("80.00"),
        ("45",),
        "1",
        FEB,
    )
    assert a2.diagnoses == ("I10",) and a2.carcs == ("97",)
    assert (b1.model_version, b1.diagnoses, b1.carcs) == ("m2", ("J449",), ())
    assert (c1.payment_status, c1.carcs, c1.received_at) == ("4", ("50",), MAR)
    # CO-45 is a discount; CO-97 on a zero-paid line and a status-4 claim are denials; PR-1 alone is not
    assert [x.denied for x in lines] == [False, True, False, True, False]
    assert len({x.remit_line_id for x in lines}) == 5


def test_model_version_and_received_window_filters(store: ClaimsStore) -> None:
    assert [_key(x) for x in store.remitted_lines("m1")] == [("PCN-A", 1), ("PCN-A", 2), ("PCN-C", 1)]
    assert [_key(x) for x in store.remitted_lines("m2")] == [("PCN-B", 1), ("PCN-D", 1)]
    assert list(store.remitted_lines("nope")) == []
    assert [_key(x) for x in store.remitted_lines(since="2026-02-15")] == [("PCN-C", 1), ("PCN-D", 1)]
    assert [_key(x) for x in store.remitted_lines(until="2026-02-15")] == [
        ("PCN-A", 1),
        ("PCN-A", 2),
        ("PCN-B", 1),
    ]
    assert list(store.remitted_lines(since=MAR, until=MAR)) == []  # until is exclusive
    assert [_key(x) for x in store.remitted_lines(since=MAR)] == [
        ("PCN-C", 1),
        ("PCN-D", 1),
    ]  # since inclusive
    assert [_key(x) for x in store.remitted_lines("m2", since="2026-02-15")] == [("PCN-D", 1)]


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunking_gives_the_same_rows(store: ClaimsStore, chunk: int) -> None:
    assert list(store.remitted_lines(chunk=chunk)) == list(store.remitted_lines())
    assert list(store.remitted_lines("m1", chunk=chunk)) == list(store.remitted_lines("m1"))


def test_chunk_must_be_positive(store: ClaimsStore) -> None:
    with pytest.raises(ValueError, match="chunk"):
        store.remitted_lines(chunk=0)


def test_empty_store_yields_nothing(tmp_path: Path) -> None:
    with ClaimsStore(str(tmp_path / "empty.db")) as empty:
        assert list(empty.remitted_lines()) == []
