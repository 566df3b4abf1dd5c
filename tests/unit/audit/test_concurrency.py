"""Concurrent writers must not fork the chain: every append lands at a distinct seq after the head."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from medcoder.audit.store import AuditStore
from unit.audit.audit_factory import make_event

WRITER = textwrap.dedent(
    """
    import sys
    from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType
    from medcoder.audit.roles import Role
    from medcoder.audit.store import AuditStore

    url, writer, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = AuditStore(url, create=False)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": all writers start together
    for i in range(n):
        store.append(AuditEvent(
            event_type=EventType.VIEWED, actor_id=writer, actor_role=Role.CODER, request_id=f"r-{writer}-{i}",
            document_id=f"doc-{i}", model_version="m-1",
            payload=EventPayload(codes=(CodeRef(system="CPT", code="99213"),)),
        ))
    """
)


def run_writer_processes(url: str, n_per_writer: int, writers: int = 2) -> None:
    """Start ``writers`` Python processes that append at the same moment; fail if any of them fails."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"writer-{w}", str(n_per_writer)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    for proc in procs:  # wait until every writer has imported medcoder and opened the store
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        _, err = proc.communicate("go\n", timeout=120)
        assert proc.returncode == 0, err[-2000:]


def test_two_threads_append_without_forking(tmp_path: Path) -> None:
    store = AuditStore(f"sqlite:///{tmp_path / 'a.db'}")
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(offset: int) -> None:
        try:
            barrier.wait()
            for i in range(40):
                store.append(make_event(offset + i))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = store.verify()
    assert report.ok, report.summary()
    assert report.n_events == 80 and report.last_seq == 80
    requests = {e.request_id for e in store.events()}
    assert len(requests) == 80


@pytest.mark.slow
def test_two_processes_append_without_forking(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    AuditStore(url).close()
    run_writer_processes(url, n_per_writer=30)
    store = AuditStore(url, create=False)
    report = store.verify()
    assert report.ok, report.summary()
    assert report.n_events == 60
    actors = [e.actor_id for e in store.events()]
    assert actors.count("writer-0") == 30 and actors.count("writer-1") == 30
