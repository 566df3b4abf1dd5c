"""Benchmark PTP pair checks: in-memory hash index vs. a DuckDB point query per pair (baseline).

``python -m medcoder.rules.ncci.bench --edits 500000 --checks 1000000`` builds a synthetic PTP
table (random five-character codes, the real table's shape: about half the pairs have a
deletion date), then times ``PtpIndex.active`` on a mix of hits and misses on one core, and
the same lookups as DuckDB point queries (threads=1) on a sample and as one DuckDB batch join,
and prints checks per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from medcoder.rules.ncci.records import PtpEdit, PtpIndex


def synthetic_edits(n: int, seed: int = 0) -> list[PtpEdit]:
    """``n`` PTP rows over 20,000 codes with CMS-like dates and indicators."""
    rng = random.Random(seed)
    codes = [f"{i:05d}" for i in range(10000, 30000)]
    out = []
    seen: set[tuple[str, str]] = set()
    while len(out) < n:
        a, b = rng.choice(codes), rng.choice(codes)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        eff = dt.date(1996, 1, 1) + dt.timedelta(days=rng.randrange(0, 10000))
        dele = eff + dt.timedelta(days=rng.randrange(90, 4000)) if rng.random() < 0.5 else None
        out.append(PtpEdit(a, b, eff.year == 1996, eff, dele, rng.choice((0, 1, 1, 9)), "synthetic"))
    return out


def run(n_edits: int, n_checks: int, n_baseline: int, seed: int = 0) -> dict[str, float]:
    """Time both methods; return checks/s for each and their ratio."""
    edits = synthetic_edits(n_edits, seed)
    t0 = time.perf_counter()
    index = PtpIndex(edits)
    build_s = time.perf_counter() - t0
    rng = random.Random(seed + 1)
    queries = []
    for _ in range(n_checks):
        if rng.random() < 0.5:
            e = edits[rng.randrange(n_edits)]
            queries.append((e.column1, e.column2))
        else:
            queries.append((f"{rng.randrange(10000, 30000):05d}", f"{rng.randrange(10000, 30000):05d}"))
    day = dt.date(2026, 2, 16).toordinal()
    active = index.active
    t0 = time.perf_counter()
    hits = 0
    for c1, c2 in queries:
        if active(c1, c2, day) is not None:
            hits += 1
    index_s = time.perf_counter() - t0

    import duckdb
    import pandas as pd

    con = duckdb.connect()
    con.execute("SET threads=1")
    frame = pd.DataFrame(
        {
            "column1": [e.column1 for e in edits],
            "column2": [e.column2 for e in edits],
            "effective": [e.effective for e in edits],
            "deletion": [e.deletion for e in edits],
        }
    )
    con.register("frame", frame)
    con.execute("CREATE TABLE ptp AS SELECT * FROM frame")
    sql = (
        "SELECT 1 FROM ptp WHERE column1 = ? AND column2 = ? AND effective <= ? "
        "AND (deletion IS NULL OR ? < deletion) LIMIT 1"
    )
    d = dt.date(2026, 2, 16)
    t0 = time.perf_counter()
    for c1, c2 in queries[:n_baseline]:
        con.execute(sql, [c1, c2, d, d]).fetchall()
    duck_s = time.perf_counter() - t0
    # Second baseline: all pairs at once as one DuckDB join (batch, not per encounter).
    con.register("qframe", pd.DataFrame(queries, columns=["column1", "column2"]))
    t0 = time.perf_counter()
    batch_hits = con.execute(
        "SELECT count(*) FROM qframe q JOIN ptp p USING (column1, column2) "
        "WHERE p.effective <= ? AND (p.deletion IS NULL OR ? < p.deletion)",
        [d, d],
    ).fetchall()[0][0]
    batch_s = time.perf_counter() - t0
    idx_rate, duck_rate = n_checks / index_s, n_baseline / duck_s
    return {
        "edits": n_edits,
        "checks": n_checks,
        "hits": hits,
        "build_s": build_s,
        "index_checks_per_s": idx_rate,
        "duckdb_point_checks_per_s": duck_rate,
        "ratio_vs_point": idx_rate / duck_rate,
        "duckdb_batch_join_checks_per_s": n_checks / batch_s,
        "batch_hits": batch_hits,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=500_000)
    ap.add_argument("--checks", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=2_000, help="DuckDB point queries to time")
    args = ap.parse_args()
    res = run(args.edits, args.checks, args.baseline)
    for k, v in res.items():
        print(f"{k}: {v:,.1f}" if isinstance(v, float) else f"{k}: {v:,}")


if __name__ == "__main__":
    main()
