"""Benchmark: one monitoring report over a window of N audit events (target: 100,000 in < 60 s, 2 cores).

``python -m medcoder.monitoring.bench --events 100000`` writes a seeded SQLite audit store (charts
with note profiles and 16 embedding numbers, about a third of them reviewed by a coder), then times
``run_monitor`` on it: the chunked read, the Evidently reports and the saved files. The baseline in
the same run is the plain read of the same window (``AuditStore.events``: every event in one list),
to show what the chunked read costs and what it saves in memory (peak RSS growth of each step).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, NoteProfile, Reason
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.monitoring.config import load_monitor_config
from medcoder.monitoring.profile import profile_columns
from medcoder.monitoring.records import ChartRow
from medcoder.monitoring.reference import Reference
from medcoder.monitoring.run import run_monitor
from medcoder.monitoring.window import Window, chart_frame

VERSION = "bench_model:000000000000"
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CODES = [f"E11.{i}" for i in range(10)] + [f"I1{i}" for i in range(6)] + [f"J45.{i}0" for i in range(5)]


def _profile(rng: np.random.Generator) -> NoteProfile:
    words = int(rng.integers(80, 900))
    emb = rng.normal(0, 0.25, 16).clip(-1, 1)
    return NoteProfile(chars=words * 6, words=words, sentences=words // 12, lines=words // 9, sections=int(rng.integers(1, 9)),
                       mean_word_length=float(rng.normal(4.8, 0.3)), digit_share=float(rng.uniform(0, 0.1)),
                       non_letter_share=float(rng.uniform(0.1, 0.3)), upper_share=float(rng.uniform(0, 0.2)),
                       setting=str(rng.choice(["outpatient", "inpatient", "emergency"])), doc_type="note",
                       source="text", embedding=tuple(round(float(v), 4) for v in emb))  # fmt: skip


def bench_events(n_events: int, seed: int = 0) -> list[AuditEvent]:
    """Seeded traffic: each chart one ``suggested`` event, a third followed by two coder decisions."""
    rng = np.random.default_rng(seed)
    events: list[AuditEvent] = []
    i = 0
    span = dt.timedelta(days=7) / max(n_events, 1)
    while len(events) < n_events:
        doc = f"doc-{i}"
        codes = tuple(CodeRef(system="ICD-10-CM", code=str(c), probability=round(float(p), 4))
                      for c, p in zip(rng.choice(CODES, size=3, replace=False), rng.uniform(0.3, 1.0, 3), strict=True))  # fmt: skip
        when = (START + span * len(events)).isoformat()
        events.append(AuditEvent(event_type=EventType.SUGGESTED, actor_id="svc", actor_role=Role.SERVICE,
                                 request_id=f"r{i}", document_id=doc, model_version=VERSION, occurred_at=when,
                                 payload=EventPayload(codes=codes, route="review", count=3, profile=_profile(rng))))  # fmt: skip
        if i % 3 == 0:
            for kind, chosen in ((EventType.ACCEPTED, codes[:2]), (EventType.REJECTED, codes[2:])):
                reason = Reason.DOCUMENTATION_DOES_NOT_SUPPORT if kind is EventType.REJECTED else None
                events.append(AuditEvent(event_type=kind, actor_id="coder-1", actor_role=Role.CODER, request_id=f"r{i}",
                                         document_id=doc, model_version=VERSION, occurred_at=when,
                                         payload=EventPayload(codes=chosen, reason=reason)))  # fmt: skip
        i += 1
    return events[:n_events]


def bench_reference(n: int = 300, seed: int = 1) -> Reference:
    """A reference from the same generator as the traffic (so drift checks run, and should not breach)."""
    rng = np.random.default_rng(seed)
    rows = [ChartRow(f"ref-{i}", VERSION, START.isoformat(), "review", ("ICD-10-CM:E11.9",), (0.8,),
                     profile_columns(_profile(rng).model_dump())) for i in range(n)]  # fmt: skip
    return Reference(
        VERSION, chart_frame(rows), {"model_version": VERSION, "n_charts": n, "sets": {"bench": n}}
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(phase: str, db: Path, out: Path) -> dict[str, float]:
    """One timed step in this (fresh) process: ``report`` (run_monitor) or ``plain`` (one-list read)."""
    store = AuditStore(str(db), create=False)
    rss0, t0 = _rss_mb(), time.perf_counter()
    if phase == "report":
        window = Window.parse("2026-11-01", "2026-11-09")
        report, _ = run_monitor(store, VERSION, window, bench_reference(), load_monitor_config(), out=out,
                                record=False)  # fmt: skip
        extra = {"charts": float(len(report.window.charts)), "breaches": float(len(report.breaches))}
    else:
        extra = {"read_events": float(len(store.events()))}
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(_rss_mb(), 1),
            "rss_before_mb": round(rss0, 1), **extra}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument(
        "--out", type=Path, default=None, help="keep the store and reports here (default: a temp dir)"
    )
    ap.add_argument("--phase", choices=("report", "plain"), default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    root = args.out or Path(tempfile.mkdtemp(prefix="medcoder-monbench-"))
    if args.phase:
        print(json.dumps(_phase(args.phase, root / "audit.db", root / "reports")))
        return {}
    root.mkdir(parents=True, exist_ok=True)
    (root / "audit.db").unlink(missing_ok=True)
    store = AuditStore(str(root / "audit.db"), sqlite_synchronous="NORMAL")
    t0 = time.perf_counter()
    events = bench_events(args.events)
    for k in range(0, len(events), 5000):
        store.append_many(events[k : k + 5000])
    del events
    result: dict[str, object] = {"events": args.events, "build_store_s": round(time.perf_counter() - t0, 1)}
    for phase in ("report", "plain"):  # each in a fresh process, so peak RSS is its own
        run = subprocess.run([sys.executable, "-m", "medcoder.monitoring.bench", "--phase", phase, "--out", str(root)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        result[phase] = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
