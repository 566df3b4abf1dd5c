"""``medcoder claims``: export an approved chart, refuse an undecided one, ingest the payer's 835, status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from typer.testing import CliRunner

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.claims.denial import DenialModel
from medcoder.claims.read837 import read_837
from medcoder.claims.records import Remittance
from medcoder.claims.simulator import PayerSimulator
from medcoder.claims.write835 import render_835
from medcoder.cli import app
from medcoder.rules.engine import RuleSet
from unit.claims.test_denial import _history

runner = CliRunner()


def _suggest(store: AuditStore, doc: str, route: str, codes: list[tuple[str, str]]) -> None:
    store.append(AuditEvent(
        event_type=EventType.SUGGESTED, actor_id="ehr-1", actor_role=Role.SERVICE, request_id=f"req-{doc}",
        document_id=doc, model_version="index-abc123",
        payload=EventPayload(codes=tuple(CodeRef(system=s, code=c) for s, c in codes), route=route),
    ))  # fmt: skip


def test_export_ingest_status_round_trip(tmp_path) -> None:
    audit_url, store_url = f"sqlite:///{tmp_path / 'audit.db'}", f"sqlite:///{tmp_path / 'claims.db'}"
    audit = AuditStore(audit_url)
    _suggest(audit, "doc-1", "auto", [("ICD-10-CM", "E11.22"), ("ICD-10-CM", "N18.31"), ("CPT", "93000")])
    _suggest(audit, "doc-2", "review", [("ICD-10-CM", "I10")])
    out = tmp_path / "doc-1.837"
    args = ["claims", "export", "--document-id", "doc-1", "--out", str(out), "--audit-db", audit_url,
            "--store", store_url, "--fhir", str(tmp_path / "doc-1.fhir.json"), "--usage", "T"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "claim doc-1-260316: 2 diagnoses, 2 lines, total 260.00, ISA 000000001" in result.output
    (claim,) = read_837(out.read_text())
    assert claim.diagnoses == ("E1122", "N1831") and [ln.procedure for ln in claim.lines] == [
        "99214",
        "93000",
    ]
    assert claim.total_charge == Decimal("260.00")
    exported = [e for e in audit.events(document_id="doc-1") if e.event_type == "exported"]
    assert len(exported) == 1 and exported[0].actor_role == "billing"

    again = runner.invoke(app, args)  # same claim id: refused, nothing new stored
    assert again.exit_code == 2 and "already stored" in again.output
    undecided = runner.invoke(app, [*args[:3], "doc-2", *args[4:]])
    assert undecided.exit_code == 2 and "routed to review; no coder decision on I10" in undecided.output

    rules = RuleSet(icd=False, em=False, hcc=False, cdi=False)
    payment = PayerSimulator(rules, seed=3, base_denial_rate=0.0, allowed_ratio=(0.8, 0.8), deductible_rate=0.0,
                             policies=()).adjudicate(claim, findings=[], service_date=dt.date(2026, 3, 16))  # fmt: skip
    remit = Remittance(trace_number="TRN1", payment_amount=payment.paid, payer_name="EXAMPLE HEALTH PLAN",
                       payee_name="EXAMPLE FAMILY MEDICINE", claims=(payment,), payment_date=dt.date(2026, 4, 1))  # fmt: skip
    era = tmp_path / "remit.835"
    era.write_text(render_835([remit], payer_id="99999", payee_id="1234567893", control_isa=7, control_gs=7,
                              when=dt.datetime(2026, 4, 1, 9, 0)))  # fmt: skip
    ingest = runner.invoke(app, ["claims", "ingest-835", str(era), "--store", store_url])
    assert ingest.exit_code == 0 and "1 claim payments, 2 lines, 2 linked, 0 unmatched" in ingest.output
    assert "duplicate" in runner.invoke(app, ["claims", "ingest-835", str(era), "--store", store_url]).output
    status = runner.invoke(
        app, ["claims", "status", claim.claim_id, "--store", store_url, "--audit-db", audit_url]
    )
    assert status.exit_code == 0 and "paid" in status.output
    # 99214: 200.00 allowed 160.00, copay 25.00 -> paid 135.00; 93000: 60.00 allowed 48.00, 20 % -> 38.40
    assert (
        "line 1 99214 charge 200.00 paid 135.00 CARC 45,3 dx E1122,N1831 model index-abc123 decisions 1"
        in status.output
    )
    assert "line 2 93000 charge 60.00 paid 38.40 CARC 45,2" in status.output


def test_ingest_reports_a_bad_file_and_goes_on(tmp_path) -> None:
    bad, store_url = tmp_path / "bad.835", f"sqlite:///{tmp_path / 'claims.db'}"
    bad.write_text("hello, this is not X12")
    result = runner.invoke(app, ["claims", "ingest-835", str(bad), "--store", store_url])
    assert result.exit_code == 1 and "REJECTED" in result.output and "expected ISA" in result.output


def test_prebill_check_holds_a_risky_claim_until_a_person_overrides(tmp_path) -> None:
    # planted history: payer 99999 denies 99214 nine times in ten, everything else one in twenty
    history = _history(3000, seed=5)
    history["payer_id"] = history["payer_id"].map({"A": "11111", "B": "99999"})
    history["procedure"] = history["procedure"].replace({"99213": "99214"})
    risky = (history["procedure"] == "99214") & (history["payer_id"] == "99999")
    history["denied"] = np.random.default_rng(5).random(len(history)) < np.where(risky, 0.9, 0.05)
    history["denial_carc"] = np.where(history["denied"], np.where(risky, "197", "16"), "")
    DenialModel.fit(history, seed=0).save(tmp_path / "denial")
    audit_url, store_url = f"sqlite:///{tmp_path / 'audit.db'}", f"sqlite:///{tmp_path / 'claims.db'}"
    _suggest(AuditStore(audit_url), "doc-9", "auto", [("ICD-10-CM", "I10")])
    args = ["claims", "export", "--document-id", "doc-9", "--out", str(tmp_path / "c.837"), "--audit-db", audit_url,
            "--store", store_url, "--denial-model", str(tmp_path / "denial")]  # fmt: skip
    held = runner.invoke(app, args)
    assert (
        held.exit_code == 2
        and "pre-bill check: denial risk" in held.output
        and not (tmp_path / "c.837").exists()
    )
    forced = runner.invoke(app, [*args, "--override-prebill"])
    assert forced.exit_code == 0 and "denial risk" in forced.output and (tmp_path / "c.837").exists()
