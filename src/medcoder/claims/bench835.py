"""Throughput of 835 ingest parsing: ``read_835`` + ``check_balance`` on a synthetic remittance.

``python -m medcoder.claims.bench835 [n_clp]`` prints a JSON line. The synthetic file has
``n_clp`` claims of two lines each (SVC, DTM, two CAS per line; one CAS per claim), with amounts
drawn from a seeded generator so every claim balances.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from medcoder.claims.balance import check_balance
from medcoder.claims.read835 import read_835
from medcoder.claims.records import Adjustment, ClaimPayment, RemitLine, Remittance
from medcoder.claims.write835 import render_835
from medcoder.claims.x12 import parse_interchange

_PROCEDURES = ("99213", "99214", "93000", "36415", "80053", "71046", "97110", "90834")
CENT = Decimal("0.01")


def synthetic_remittance(n_clp: int, seed: int = 0) -> Remittance:
    """A balanced remittance of ``n_clp`` claims (two lines each) from a seeded generator."""
    rng = random.Random(seed)
    start = date(2026, 1, 5)
    claims = []
    for i in range(n_clp):
        lines = []
        for j in range(2):
            charge = Decimal(rng.randint(5000, 50000)) * CENT
            contractual = (charge * Decimal(rng.randint(10, 40)) / 100).quantize(CENT)
            deductible = Decimal(rng.randint(0, 2000)) * CENT
            paid = charge - contractual - deductible
            lines.append(
                RemitLine(
                    procedure=rng.choice(_PROCEDURES),
                    charge=charge,
                    paid=paid,
                    modifiers=("25",) if j == 0 and rng.random() < 0.2 else (),
                    service_date=start + timedelta(days=rng.randint(0, 60)),
                    adjustments=(Adjustment("CO", "45", contractual), Adjustment("PR", "1", deductible)),
                    line_control=f"{i + 1}-{j + 1}",
                )
            )
        line_paid = sum((line.paid for line in lines), Decimal("0.00"))
        withheld = Decimal(rng.randint(0, 500)) * CENT
        claims.append(
            ClaimPayment(
                claim_id=f"PCN{i + 1:08d}",
                status="1",
                charge=sum((line.charge for line in lines), Decimal("0.00")),
                paid=line_paid - withheld,
                patient_responsibility=sum((line.adjustments[1].amount for line in lines), Decimal("0.00")),
                filing_indicator="12",
                payer_claim_id=f"PAYER{i + 1:010d}",
                adjustments=(Adjustment("CO", "253", withheld),),
                lines=tuple(lines),
                patient_name="SYNTHETIC, PATIENT",
            )
        )
    total = sum((c.paid for c in claims), Decimal("0.00"))
    return Remittance(
        trace_number="BENCH0001",
        payment_amount=total,
        payer_name="SYNTHETIC PAYER",
        payee_name="SYNTHETIC CLINIC",
        claims=tuple(claims),
        payment_date=date(2026, 3, 31),
        payee_npi="1234567893",
    )


def bench_835(n_clp: int = 20000, seed: int = 0, repeats: int = 3) -> dict[str, object]:
    """Time ``read_835`` + ``check_balance`` on a synthetic 835; best of ``repeats`` runs."""
    text = render_835(
        [synthetic_remittance(n_clp, seed)],
        payer_id="SIMPAYER",
        payee_id="SIMCLINIC",
        control_isa=1,
        control_gs=1,
        when=datetime(2026, 3, 31, 12, 0),
    )
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for remittance in read_835(text):
            check_balance(remittance)
        best = min(best, time.perf_counter() - t0)
    envelope = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        parse_interchange(text)
        envelope = min(envelope, time.perf_counter() - t0)
    return {
        "n_clp": n_clp,
        "segments": text.count("~"),
        "bytes": len(text),
        "best_seconds": round(best, 4),
        "clp_per_second": round(n_clp / best, 1),
        "baseline_envelope_parse_seconds": round(envelope, 4),
        "ingest_over_envelope_parse": round(best / envelope, 2),
    }


if __name__ == "__main__":
    print(json.dumps(bench_835(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)))
