"""ClaimsStore on SQLite files: claims, control numbers, 835 ingest (atomic, idempotent), linkage."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import require_shared
from medcoder.audit.events import EventType
from medcoder.audit.store import AuditStore
from medcoder.claims.linkage import ClaimStatus
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
from medcoder.claims.schema import metadata
from medcoder.claims.store import ClaimsStore, ClaimsStoreError
from medcoder.claims.write835 import render_835
from medcoder.claims.x12 import X12Error
from unit.audit.audit_factory import make_event

D = Decimal
DAY1, DAY2 = date(2026, 1, 2), date(2026, 1, 3)


def _claim(claim_id: str, lines: tuple[ServiceLine, ...], encounter: str = "", diagnoses=("E119",)) -> Claim:
    return Claim(
        claim_id=claim_id, kind=ClaimKind.PROFESSIONAL, billing=Provider("CLINIC", npi="1234567893"),
        subscriber=Person("DOE", "JANE", member_id="M1"), payer=Payer("ACME", "ACME01"), diagnoses=diagnoses,
        lines=lines, total_charge=sum((line.charge for line in lines), D("0.00")), encounter_id=encounter,
        model_version="laat-1",
    )  # fmt: skip


CLAIMS = (
    _claim(
        "PCN-A",
        (
            ServiceLine(
                1, "99213", D("120.00"), service_date=DAY1, line_control="A1", diagnosis_pointers=(1, 2)
            ),
            ServiceLine(2, "36415", D("30.00"), service_date=DAY1),
            ServiceLine(
                3, "93000", D("50.00"), service_date=DAY2, modifiers=("26",), diagnosis_pointers=(2,)
            ),
        ),
        encounter="enc-A",
        diagnoses=("E119", "I10"),
    ),
    _claim("PCN-B", (ServiceLine(1, "99214", D("200.00")), ServiceLine(2, "80053", D("60.00")))),
    _claim("PCN-C", (ServiceLine(1, "99213", D("90.00")),)),
    _claim("PCN-D", (ServiceLine(1, "99212", D("70.00"), service_date=DAY1),)),
)


def _remittance(second_reason: str = "197", second_amount: str = "260.00") -> Remittance:
    a_lines = (
        RemitLine("99213", D("120.00"), D("80.00"), line_control="A1", service_date=DAY1,
                  adjustments=(Adjustment("CO", "45", D("40.00")),)),
        RemitLine("93000", D("50.00"), D("0.00"), modifiers=("26",), service_date=DAY2,
                  adjustments=(Adjustment("CO", "97", D("50.00")),), remarks=("N130",)),
        RemitLine("36416", D("30.00"), D("20.00"), service_date=DAY1, adjustments=(Adjustment("CO", "45", D("10.00")),)),
    )  # fmt: skip
    claims = (
        ClaimPayment("PCN-A", "1", D("200.00"), D("100.00"), lines=a_lines, patient_name="DOE, JANE"),
        ClaimPayment("PCN-B", "4", D("260.00"), D("0.00"), adjustments=(Adjustment("CO", second_reason, D(second_amount)),)),
        ClaimPayment("PCN-X", "1", D("40.00"), D("40.00"), payer_claim_id="ICN-X"),
        ClaimPayment("PCN-D", "1", D("70.00"), D("70.00"), lines=(RemitLine("99212", D("70.00"), D("70.00")),)),
    )  # fmt: skip
    # BPR = 100 + 0 + 40 + 70
    return Remittance("TRACE-1", D("210.00"), "ACME", "CLINIC", claims, payment_date=date(2026, 2, 1))


def _text(remittance: Remittance, control: int = 1) -> str:
    return render_835([remittance], payer_id="ACME01", payee_id="CLINIC01", control_isa=control, control_gs=control,
                      when=datetime(2026, 2, 1, 8, 0))  # fmt: skip


def _counts(store: ClaimsStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


@pytest.fixture
def store(tmp_path: Path) -> ClaimsStore:
    AuditStore(str(tmp_path / "audit.db")).close()  # an empty audit store
    s = ClaimsStore(str(tmp_path / "claims.db"), audit_url=str(tmp_path / "audit.db"))
    yield s
    s.close()


def test_ingest_links_lines_and_reports(store: ClaimsStore) -> None:
    store.save_claims(CLAIMS, interchange_control=17)
    report = store.ingest_835(_text(_remittance()), source="payer/remit1.835")
    assert (report.duplicate, report.remittances, report.claim_payments, report.lines) == (False, 1, 4, 4)
    assert (report.linked_lines, report.unmatched_payments, report.error) == (4, 1, "")
    assert len(report.sha256) == 64
    counts = _counts(store)
    assert counts["claims"] == 4 and counts["claim_lines"] == 7 and counts["claim_diagnoses"] == 5
    assert counts["adjustments"] == 4 and counts["remarks"] == 1 and counts["line_links"] == 4

    lines = store.linked_lines("PCN-A")
    assert [(x.line_number, x.match_method) for x in lines] == [
        (1, "line_control"),
        (3, "procedure"),
        (2, "order"),
    ]
    first, second, third = lines
    assert (first.procedure, first.charge, first.paid, first.carcs) == (
        "99213",
        D("120.00"),
        D("80.00"),
        ("45",),
    )
    assert (second.paid, second.carcs, second.remarks, second.modifiers) == (
        D("0.00"),
        ("97",),
        ("N130",),
        ("26",),
    )
    assert second.adjustments == (Adjustment("CO", "97", D("50.00")),)
    assert second.diagnosis_pointers == (2,) and first.diagnosis_pointers == (1, 2)
    assert third.procedure == "36416"  # the payer's code, linked by order to claim line 2 (36415)
    assert first.diagnoses == ("E119", "I10")
    assert (first.model_version, first.encounter_id, first.payment_status) == ("laat-1", "enc-A", "1")
    assert first.decisions == ()  # audit store empty


def test_claim_status(store: ClaimsStore) -> None:
    store.save_claims(CLAIMS, interchange_control=17)
    store.ingest_835(_text(_remittance()), source="r.835")
    assert store.claim_status("PCN-A") is ClaimStatus.PARTIALLY_PAID  # 93000 paid 0.00
    assert store.claim_status("PCN-B") is ClaimStatus.DENIED
    assert store.claim_status("PCN-C") is ClaimStatus.SUBMITTED
    assert store.claim_status("PCN-D") is ClaimStatus.PAID
    assert store.claim_status("PCN-X") is ClaimStatus.UNMATCHED_REMITTANCE
    with pytest.raises(KeyError):
        store.claim_status("PCN-NONE")
    [unmatched] = store.unmatched_payments()
    assert (unmatched.claim_id, unmatched.paid, unmatched.trace_number, unmatched.source) == (
        "PCN-X", D("40.00"), "TRACE-1", "r.835",
    )  # fmt: skip


def test_same_file_twice_writes_nothing_new(store: ClaimsStore) -> None:
    store.save_claims(CLAIMS, interchange_control=17)
    text = _text(_remittance())
    store.ingest_835(text, source="a.835")
    before = _counts(store)
    again = store.ingest_835(text, source="copy-of-a.835")
    assert again.duplicate and again.claim_payments == 0
    assert _counts(store) == before


@pytest.mark.parametrize(
    ("reason", "amount", "segment"),
    [("ZZ9", "260.00", "CAS"), ("197", "250.00", "CLP")],  # unknown CARC; 260 - 0 != 250
)
def test_bad_second_claim_writes_nothing(store: ClaimsStore, reason: str, amount: str, segment: str) -> None:
    store.save_claims(CLAIMS, interchange_control=17)
    before = _counts(store)
    with pytest.raises(X12Error) as info:
        store.ingest_835(_text(_remittance(reason, amount)), source="bad.835")
    assert info.value.segment == segment
    assert _counts(store) == before
    assert before["remittance_files"] == 0 and before["claim_payments"] == 0


def test_batch_goes_on_after_a_bad_file(store: ClaimsStore, tmp_path: Path) -> None:
    good1, bad, good2 = tmp_path / "1.835", tmp_path / "2.835", tmp_path / "3.835"
    good1.write_text(_text(_remittance(), control=1))
    bad.write_text(_text(_remittance("ZZ9"), control=2))
    other = replace(_remittance(), trace_number="TRACE-2")
    good2.write_text(_text(other, control=3))
    reports = store.ingest_files([good1, bad, good2, tmp_path / "missing.835"])
    assert [r.error == "" for r in reports] == [True, False, True, False]
    assert "segment CAS at position" in reports[1].error and "ZZ9" in reports[1].error
    assert "DOE" not in reports[1].error
    assert reports[2].claim_payments == 4
    assert _counts(store)["remittance_files"] == 2


def test_decisions_from_audit_store(store: ClaimsStore, tmp_path: Path) -> None:
    store.save_claims(CLAIMS, interchange_control=17)
    audit = AuditStore(str(tmp_path / "audit.db"), create=False)
    audit.append(make_event(1, document_id="enc-A"))
    audit.append(make_event(2, document_id="enc-A", event_type=EventType.ACCEPTED))
    audit.append(make_event(3, document_id="enc-other"))
    audit.close()
    store.ingest_835(_text(_remittance()), source="r.835")
    decisions = store.linked_lines("PCN-A")[0].decisions
    assert [(d.seq, d.event_type, d.codes, d.actor_role) for d in decisions] == [
        (1, "suggested", ("E11.9",), "service"),
        (2, "accepted", ("E11.9",), "service"),
    ]


def test_duplicate_claim_refused_atomically(store: ClaimsStore) -> None:
    store.save_claims(CLAIMS[:1], interchange_control=1)
    with pytest.raises(ClaimsStoreError, match="already stored"):
        store.save_claims(CLAIMS[1:2] + CLAIMS[:1], interchange_control=2)
    assert _counts(store)["claims"] == 1  # PCN-B not written either


def test_shared_file_all_unmatched(store: ClaimsStore) -> None:
    text = require_shared("x12_examples", "835", "secondary-payment.835").read_text()
    report = store.ingest_835(text, source="secondary-payment.835")
    assert (report.claim_payments, report.lines, report.linked_lines, report.unmatched_payments) == (
        2,
        2,
        0,
        2,
    )
    assert [u.paid for u in store.unmatched_payments()] == [D("912.00"), D("310.00")]


def test_control_numbers_two_instances_same_file(tmp_path: Path) -> None:
    path = str(tmp_path / "ctl.db")
    a, b = ClaimsStore(path), ClaimsStore(path)
    seen = [a.next_control_number("isa"), b.next_control_number("isa"), a.next_control_number("isa")]
    assert seen == [1, 2, 3]
    assert a.next_control_number("gs") == 1  # kinds count separately
    results: list[int] = []
    lock = threading.Lock()

    def work(s: ClaimsStore) -> None:
        for _ in range(25):
            n = s.next_control_number("isa")
            with lock:
                results.append(n)

    threads = [threading.Thread(target=work, args=(s,)) for s in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(4, 104))
    a.close()
    b.close()


def test_control_number_kind_validated(store: ClaimsStore) -> None:
    with pytest.raises(ValueError, match="1-16 characters"):
        store.next_control_number("")


NUMBERER = """
import sys
from medcoder.claims.store import ClaimsStore

store = ClaimsStore(sys.argv[1], create=False)
print("ready", flush=True)
sys.stdin.readline()  # "go": every process starts together
print(" ".join(str(store.next_control_number("isa")) for _ in range(int(sys.argv[2]))), flush=True)
"""


def control_numbers_from_processes(url: str, n_each: int, processes: int = 2) -> list[int]:
    """Take ``n_each`` ISA control numbers in each of ``processes`` Python processes at once."""
    procs = [
        subprocess.Popen([sys.executable, "-c", NUMBERER, url, str(n_each)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]  # fmt: skip
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read()
    numbers: list[int] = []
    for proc in procs:
        out, err = proc.communicate("go\n", timeout=120)
        assert proc.returncode == 0, err[-2000:]
        numbers += [int(x) for x in out.split()]
    return numbers


@pytest.mark.slow
def test_control_numbers_across_processes(tmp_path: Path) -> None:
    url = str(tmp_path / "ctl.db")
    ClaimsStore(url).close()
    assert sorted(control_numbers_from_processes(url, 40)) == list(range(1, 81))
