"""The claims store against a real PostgreSQL server: ingest, idempotency, atomicity, control numbers.

Uses the server fixtures of ``audit_postgres_test`` (initdb + pg_ctl in a temp folder, or
``$MEDCODER_TEST_PG_URL``); skips without PostgreSQL unless ``MEDCODER_REQUIRE_PG=1``.
"""

from __future__ import annotations

import threading

import pytest

from integration.audit_postgres_test import pg_admin_url, pg_url  # noqa: F401
from medcoder.claims.linkage import ClaimStatus
from medcoder.claims.store import ClaimsStore
from medcoder.claims.x12 import X12Error
from unit.claims.test_store import CLAIMS, _counts, _remittance, _text, control_numbers_from_processes

pytestmark = pytest.mark.slow


def test_ingest_idempotent_and_atomic(pg_url: str) -> None:  # noqa: F811
    with ClaimsStore(pg_url) as store:
        store.save_claims(CLAIMS, interchange_control=5)
        with pytest.raises(X12Error):
            store.ingest_835(_text(_remittance("ZZ9")), source="bad.835")
        assert _counts(store)["claim_payments"] == 0
        report = store.ingest_835(_text(_remittance()), source="good.835")
        assert (report.claim_payments, report.lines, report.linked_lines, report.unmatched_payments) == (
            4,
            4,
            4,
            1,
        )
        before = _counts(store)
        assert store.ingest_835(_text(_remittance()), source="again.835").duplicate
        assert _counts(store) == before
        assert [x.match_method for x in store.linked_lines("PCN-A")] == ["line_control", "procedure", "order"]
        assert store.claim_status("PCN-A") is ClaimStatus.PARTIALLY_PAID
        assert store.claim_status("PCN-X") is ClaimStatus.UNMATCHED_REMITTANCE


def test_control_numbers_from_threads_and_processes(pg_url: str) -> None:  # noqa: F811
    stores = [ClaimsStore(pg_url), ClaimsStore(pg_url)]
    results: list[int] = []
    lock = threading.Lock()

    def work(store: ClaimsStore) -> None:
        for _ in range(30):
            n = store.next_control_number("isa")
            with lock:
                results.append(n)

    threads = [threading.Thread(target=work, args=(s,)) for s in (*stores, *stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 121))
    assert sorted(control_numbers_from_processes(pg_url, 20)) == list(range(121, 161))
    for s in stores:
        s.close()
