"""The PTP benchmark's index answers the same as a brute-force scan of the edits."""

from __future__ import annotations

import datetime as dt
import random

from medcoder.rules.ncci.bench import run, synthetic_edits
from medcoder.rules.ncci.records import PtpIndex


def test_index_matches_brute_force():
    edits = synthetic_edits(3000, seed=3)
    index = PtpIndex(edits)
    rng = random.Random(4)
    for _ in range(500):
        e = edits[rng.randrange(len(edits))]
        day = dt.date(1996, 1, 1) + dt.timedelta(days=rng.randrange(0, 12000))
        expected = [x for x in edits if (x.column1, x.column2) == (e.column1, e.column2) and x.active_on(day)]
        assert index.active(e.column1, e.column2, day.toordinal()) == (expected[0] if expected else None)


def test_bench_runs_small():
    res = run(2000, 5000, 20)
    assert (
        res["checks"] == 5000
        and 0 < res["hits"] == res["batch_hits"] < 5000
        and res["index_checks_per_s"] > 0
    )
