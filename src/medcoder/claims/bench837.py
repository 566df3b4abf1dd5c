"""Throughput benchmark of :func:`medcoder.claims.x837.build_837` (claims per second, one core).

Claims are generated from a seeded random source (fictitious parties, valid NPIs) before the
timed loop; pyx12 validation is not timed. The baseline in the same run is the time
:func:`medcoder.claims.x12.parse_interchange` takes to split and check the same output (the
cheapest pass over those bytes), so the ratio says how much building costs over reading the
envelope, independent of the machine's speed. Run ``python -m medcoder.claims.bench837``.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from medcoder.claims.npi import npi_check_digit
from medcoder.claims.records import Address, Claim, ClaimKind, Payer, Person, Provider, ServiceLine
from medcoder.claims.x12 import parse_interchange
from medcoder.claims.x837 import CounterControlNumbers, Receiver, Submitter, build_837

__all__ = ["bench_837", "sample_claims"]

_CODES = ("E1122", "I10", "J449", "M545", "R0602", "K219", "N390", "F329")
_CPT = ("99213", "99214", "93000", "85025", "80053", "36415")


def _npi(rng: random.Random) -> str:
    first9 = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    return first9 + npi_check_digit(first9)


def sample_claims(n: int, seed: int = 0) -> list[Claim]:
    """``n`` professional claims of 1-6 lines and 1-6 diagnoses from a seeded generator."""
    rng = random.Random(seed)
    address = Address("1 MAIN ST", "SPRINGFIELD", "IL", "62701")
    billing = Provider(name="BENCH CLINIC", npi=_npi(rng), tax_id="123456789", address=address)
    claims = []
    for i in range(n):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
        dx = tuple(rng.sample(_CODES, rng.randint(1, 6)))
        lines = tuple(
            ServiceLine(
                line_number=k,
                procedure=rng.choice(_CPT),
                charge=Decimal(rng.randrange(1000, 90000)) / 100,
                service_date=day,
                diagnosis_pointers=(1,),
                modifiers=("25",) if k == 1 else (),
            )  # fmt: skip
            for k in range(1, rng.randint(1, 6) + 1)
        )
        person = Person("DOE", "JANE", f"M{i:08d}", date(1980, 1, 1), "F", address)
        claims.append(
            Claim(
                claim_id=f"B{i:07d}",
                kind=ClaimKind.PROFESSIONAL,
                billing=billing,
                subscriber=person,
                payer=Payer("ACME", "12345"),
                diagnoses=dx,
                lines=lines,
                total_charge=sum((ln.charge for ln in lines), Decimal("0.00")),
            )  # fmt: skip
        )
    return claims


def bench_837(n_claims: int = 5000, seed: int = 0) -> dict[str, float | int]:
    """Best-of-3 build_837 throughput over ``n_claims`` generated claims."""
    claims = sample_claims(n_claims, seed)
    submitter = Submitter("BENCH BILLING", "BENCH01", "OPS", "5555550100")
    receiver = Receiver("CLEARINGHOUSE", "CH01")
    control = CounterControlNumbers()
    best = float("inf")
    size = 0
    for _ in range(3):
        start = time.perf_counter()
        text = build_837(
            claims, submitter=submitter, receiver=receiver, control=control, when=datetime(2025, 6, 1, 12, 0)
        )
        best = min(best, time.perf_counter() - start)
        size = len(text)
    envelope = min(_timed(parse_interchange, text) for _ in range(3))
    return {
        "n_claims": n_claims,
        "seconds_best_of_3": round(best, 4),
        "claims_per_second": round(n_claims / best, 1),
        "bytes": size,
        "baseline_envelope_parse_seconds": round(envelope, 4),
        "build_over_envelope_parse": round(best / envelope, 2),
    }


def _timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(json.dumps(bench_837()))
