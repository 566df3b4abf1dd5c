"""Property: 837 -> read back -> simulated adjudication -> 835 -> ingest and linkage loses no line, no cent."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcoder.claims.read837 import read_837
from medcoder.claims.records import ClaimKind, Remittance
from medcoder.claims.simulator import PayerSimulator
from medcoder.claims.store import ClaimsStore
from medcoder.claims.write835 import render_835
from medcoder.claims.x837 import CounterControlNumbers, Receiver, Submitter, build_837
from medcoder.rules.engine import RuleSet
from unit.claims.claim_factory import varied_claims

RULES = RuleSet(icd=True, em=False, hcc=False, cdi=False)
WHEN = dt.datetime(2026, 5, 1, 8, 30)


@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), denial_rate=st.sampled_from([0.0, 0.3, 1.0]),
       kind=st.sampled_from([ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL]))  # fmt: skip
def test_no_line_and_no_cent_is_lost(seed: int, n: int, denial_rate: float, kind: ClaimKind) -> None:
    sent = varied_claims(n, seed, kind=kind)
    text = build_837(sent, submitter=Submitter("CLINIC", "123456789", "BILLING", "5555550100"),
                     receiver=Receiver("PAYER", "99999"), control=CounterControlNumbers(), when=WHEN)  # fmt: skip
    claims = read_837(text)
    assert [c.claim_id for c in claims] == [c.claim_id for c in sent]
    simulator = PayerSimulator(RULES, seed=seed, base_denial_rate=denial_rate)
    payments = tuple(
        simulator.adjudicate(c, service_date=c.lines[0].service_date or WHEN.date()) for c in claims
    )
    remit = Remittance(trace_number=f"T{seed}", payment_amount=sum((p.paid for p in payments), Decimal("0.00")),
                       payer_name="PAYER", payee_name="CLINIC", claims=payments, payment_date=WHEN.date())  # fmt: skip
    era = render_835(
        [remit], payer_id="99999", payee_id="1234567893", control_isa=seed + 1, control_gs=1, when=WHEN
    )
    with tempfile.TemporaryDirectory() as tmp, ClaimsStore(f"sqlite:///{Path(tmp) / 'c.db'}") as store:
        store.save_claims(claims, interchange_control=1)
        report = store.ingest_835(era, source="sim.835")
        assert report.error == "" and report.unmatched_payments == 0
        assert report.lines == report.linked_lines == sum(len(c.lines) for c in claims)
        for claim, payment in zip(claims, payments, strict=True):
            linked = store.linked_lines(claim.claim_id)
            assert sorted(x.line_number for x in linked) == [ln.line_number for ln in claim.lines]
            assert sum((x.charge for x in linked), Decimal(0)) == claim.total_charge
            assert sum((x.paid for x in linked), Decimal(0)) == payment.paid
            cents = sum((a.amount for x in linked for a in x.adjustments), Decimal(0))
            assert claim.total_charge - payment.paid == cents  # every cent accounted for
