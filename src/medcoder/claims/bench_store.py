"""Throughput of a stored 835 ingest (parse, check, balance, write, link) against parsing alone.

``python -m medcoder.claims.bench_store [N_CLP]``: a synthetic 835 of N claim payments (2 lines
each, from :func:`medcoder.claims.bench835.synthetic_remittance`) ingested into a fresh SQLite
claims store; the baseline in the same run is ``read_835`` + ``check_balance`` on the same text.
A second ingest of the same file measures the duplicate check (nothing written).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from medcoder.claims.balance import check_balance
from medcoder.claims.bench835 import synthetic_remittance
from medcoder.claims.read835 import read_835
from medcoder.claims.store import ClaimsStore
from medcoder.claims.write835 import render_835


def bench_store(n_clp: int = 2000, seed: int = 0) -> dict[str, object]:
    """Seconds and CLP/s for one stored ingest, parse-only baseline and their ratio."""
    text = render_835([synthetic_remittance(n_clp, seed)], payer_id="SIMPAYER", payee_id="SIMCLINIC",
                      control_isa=1, control_gs=1, when=datetime(2026, 3, 31, 12, 0))  # fmt: skip
    t0 = time.perf_counter()
    for remittance in read_835(text):
        check_balance(remittance)
    parse = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        store = ClaimsStore(f"sqlite:///{Path(tmp) / 'claims.db'}")
        t0 = time.perf_counter()
        report = store.ingest_835(text, source="bench.835")
        stored = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = store.ingest_835(text, source="bench.835")
        duplicate = time.perf_counter() - t0
        store.close()
    return {
        "n_clp": n_clp, "lines": report.lines, "ingest_seconds": round(stored, 3),
        "clp_per_second_stored": round(n_clp / stored, 1), "parse_balance_seconds": round(parse, 3),
        "stored_over_parse": round(stored / parse, 2), "duplicate_seconds": round(duplicate, 4),
        "duplicate_detected": again.duplicate,
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(bench_store(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
