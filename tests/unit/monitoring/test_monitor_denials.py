"""Denials in a monitoring run: remitted lines joined to the coded charts, and a spike on one code.

Two weekly windows of remittances for one model version: 25 claims of 97110 and 25 of 99213 each
week. 97110 goes from 1 denied line in 25 to 15 in 25; 99213 stays at 2 in 25. The run must report
the window's denial rate by hand (17 / 50) and attribute the spike to CPT:97110 only: the 97110
claims spread over five diagnoses (5 lines each, under the 20 lines a code needs to be tested), so
no diagnosis shares its lines; 99213 claims all carry I10, whose rate does not move.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import update

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
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
from medcoder.monitoring.config import MonitorConfig
from medcoder.monitoring.reference import Reference
from medcoder.monitoring.run import run_monitor
from medcoder.monitoring.window import Window, chart_frame

D = Decimal
V = "index_coder:feedbeef0000"
WEEK1, WEEK2 = "2026-11-23T12:00:00+00:00", "2026-11-30T12:00:00+00:00"
DIAGNOSES = ("M545", "M5412", "M25561", "M62830", "S134XXA")
DENIED = {("97110", 1): 1, ("97110", 2): 15, ("99213", 1): 2, ("99213", 2): 2}


def _claim(i: int, week: int, procedure: str) -> Claim:
    return Claim(
        claim_id=f"C{week}-{procedure}-{i}", kind=ClaimKind.PROFESSIONAL, billing=Provider("CLINIC", npi="1234567893"),
        subscriber=Person("DOE", "JANE", member_id="M1"), payer=Payer("ACME", "ACME01"), diagnoses=(DIAGNOSES[i % 5] if procedure == "97110" else "I10",),
        lines=(ServiceLine(1, procedure, D("100.00"), service_date=date(2026, 11, 20), diagnosis_pointers=(1,)),),
        total_charge=D("100.00"), encounter_id=f"enc-{week}-{procedure}-{i}", model_version=V,
    )  # fmt: skip


def _payment(claim: Claim, denied: bool) -> ClaimPayment:
    if denied:
        line = RemitLine(
            claim.lines[0].procedure,
            D("100.00"),
            D("0.00"),
            adjustments=(Adjustment("CO", "50", D("100.00")),),
        )
        return ClaimPayment(claim.claim_id, "1", D("100.00"), D("0.00"), lines=(line,))
    line = RemitLine(claim.lines[0].procedure, D("100.00"), D("100.00"))
    return ClaimPayment(claim.claim_id, "1", D("100.00"), D("100.00"), lines=(line,))


def test_denial_section_and_spike(tmp_path: Path) -> None:
    claims = ClaimsStore(str(tmp_path / "claims.db"))
    audit = AuditStore(str(tmp_path / "audit.db"))
    for week, received in ((1, WEEK1), (2, WEEK2)):
        batch = [_claim(i, week, p) for p in ("97110", "99213") for i in range(25)]
        claims.save_claims(batch, interchange_control=week)
        audit.append_many([AuditEvent(
            event_type=EventType.SUGGESTED, actor_id="svc", actor_role=Role.SERVICE, request_id=f"r-{c.claim_id}",
            document_id=c.encounter_id, model_version=V, occurred_at=received.replace("12:00", "08:00"),
            payload=EventPayload(codes=(CodeRef(system="ICD-10-CM", code="M54.5", probability=0.95),), route="review"),
        ) for c in batch])  # fmt: skip
        pays = [_payment(c, i < DENIED[(c.lines[0].procedure, week)]) for p in ("97110", "99213")
                for i, c in enumerate(x for x in batch if x.lines[0].procedure == p)]  # fmt: skip
        remit = Remittance(f"T{week}", sum((p.paid for p in pays), D("0.00")), "ACME", "CLINIC", tuple(pays),
                           payment_date=date(2026, 11, 23))  # fmt: skip
        text = render_835([remit], payer_id="ACME01", payee_id="CLINIC01", control_isa=week, control_gs=week,
                          when=datetime(2026, 11, 23, 8, 0))  # fmt: skip
        report = claims.ingest_835(text, source=f"w{week}.835")
        assert report.error == ""
        with claims.engine.begin() as conn:
            conn.execute(update(remittance_files).where(remittance_files.c.sha256 == report.sha256)
                         .values(received_at=received))  # fmt: skip
    reference = Reference(V, chart_frame([]), {"model_version": V, "n_charts": 0})
    window = Window.parse("2026-11-30", "2026-12-07")
    result, folder = run_monitor(audit, V, window, reference, MonitorConfig(), out=tmp_path / "reports",
                                 claims=claims, record=False)  # fmt: skip
    d = result.denials
    assert d is not None and (d.n_lines, d.n_denied) == (50, 17)
    assert d.denial_rate == 17 / 50
    assert [s.code for s in result.spikes] == ["CPT:97110"]
    spike = result.spikes[0]
    assert (spike.rate_reference, spike.rate_current) == (1 / 25, 15 / 25)
    keys = {b.key for b in result.breaches}
    assert keys == {"denials.rate", "denials.code_spike"}  # 0.34 > 0.2, and the spike
    assert (folder / "outcomes.html").is_file() and (folder / "summary.json").is_file()
    claims.close()
    audit.close()


def test_previous_window_is_the_same_length() -> None:
    from medcoder.monitoring.run import previous_window

    w = Window.parse("2026-11-30", "2026-12-07")
    assert previous_window(w) == Window("2026-11-23T00:00:00.000000Z", "2026-11-30T00:00:00.000000Z")
