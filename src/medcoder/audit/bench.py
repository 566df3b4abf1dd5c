"""What the audit trail costs a request: chained appends against plain inserts, verify speed, API keys.

The baseline is the same row written with a plain ``INSERT`` in its own transaction (no hash, no
chain-head lock), on the same database in the same run, so the ratio is the price of the chain.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, canonical_json
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore

_scratch = MetaData()
_plain = Table(
    "bench_plain_events",
    _scratch,
    Column("id", Integer, primary_key=True),
    Column("document_id", String(128)),
    Column("payload", Text),
)


@dataclass(frozen=True)
class AuditBench:
    n: int
    append_per_s: float
    append_p50_ms: float
    append_p95_ms: float
    plain_insert_per_s: float
    verify_events_per_s: float
    api_key_first_check_ms: float
    api_key_cached_check_ms: float

    @property
    def append_cost_ratio(self) -> float:
        """How many times longer a chained append takes than a plain insert (>= 1 expected)."""
        return self.plain_insert_per_s / self.append_per_s


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        event_type=EventType.SUGGESTED,
        actor_id="bench-service",
        actor_role=Role.SERVICE,
        request_id=f"req-{i}",
        document_id=f"doc-{i}",
        model_version="bench-model",
        code_set_versions={"ICD-10-CM": "FY2026"},
        payload=EventPayload(
            codes=tuple(CodeRef(system="ICD-10-CM", code=f"E11.{k}", probability=0.5) for k in range(5)),
            route="review",
        ),
    )


def bench_audit(url: str, n: int = 500, sqlite_synchronous: str = "FULL") -> AuditBench:
    """Append ``n`` events one request at a time to an EMPTY store at ``url`` and time each step."""
    store = AuditStore(url, sqlite_synchronous=sqlite_synchronous)
    if store.head()[0] != 0:
        raise ValueError("bench_audit writes test events: point it at an empty audit store")
    events = [_event(i) for i in range(n)]

    _scratch.create_all(store.engine)
    try:
        start = time.perf_counter()
        for e in events:
            with store.engine.begin() as conn:
                conn.execute(
                    insert(_plain).values(
                        document_id=e.document_id, payload=canonical_json(e.model_dump(mode="json"))
                    )
                )
        plain_s = time.perf_counter() - start
    finally:
        _scratch.drop_all(store.engine)

    latencies = []
    start = time.perf_counter()
    for e in events:
        t0 = time.perf_counter()
        store.append(e)
        latencies.append(time.perf_counter() - t0)
    append_s = time.perf_counter() - start

    start = time.perf_counter()
    report = store.verify()
    verify_s = time.perf_counter() - start
    if not report.ok:
        raise RuntimeError(report.summary())

    keys = ApiKeyStore(store)
    key = keys.create_api_key(Role.SERVICE)
    t0 = time.perf_counter()
    keys.check(key.plaintext)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(20):
        keys.check(key.plaintext)
    cached = (time.perf_counter() - t0) / 20
    store.close()
    cuts = statistics.quantiles(latencies, n=20)
    return AuditBench(
        n=n,
        append_per_s=n / append_s,
        append_p50_ms=statistics.median(latencies) * 1000,
        append_p95_ms=cuts[18] * 1000,
        plain_insert_per_s=n / plain_s,
        verify_events_per_s=n / verify_s,
        api_key_first_check_ms=first * 1000,
        api_key_cached_check_ms=cached * 1000,
    )
