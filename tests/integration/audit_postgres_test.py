"""The audit store against a real PostgreSQL server: chain, guard triggers, tampering, concurrency.

The server is started here (initdb + pg_ctl, loopback only, a free port, a temp folder; as the
``postgres`` OS user when running as root, because initdb refuses root), or taken from
``$MEDCODER_TEST_PG_URL``. Without PostgreSQL the tests skip, unless ``MEDCODER_REQUIRE_PG=1``
(set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.store import AuditStore, AuditWriteError, normalise_url
from unit.audit.audit_factory import make_event
from unit.audit.test_concurrency import run_writer_processes

pytestmark = pytest.mark.slow


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("MEDCODER_REQUIRE_PG") == "1":
        pytest.fail(f"{reason} (MEDCODER_REQUIRE_PG=1)")
    pytest.skip(reason)


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb") or shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    """A superuser (or at least database-owner) URL of a running PostgreSQL server."""
    if os.environ.get("MEDCODER_TEST_PG_URL"):
        yield os.environ["MEDCODER_TEST_PG_URL"]
        return
    bindir = _pg_bindir()
    if bindir is None:
        _skip_or_fail(
            "PostgreSQL binaries (initdb, pg_ctl) not found; install the Debian package 'postgresql'"
        )
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="medcoder-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _skip_or_fail("running as root and there is no 'postgres' OS user to run initdb as")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "medcoder_test", "--auth=trust", "-E", "UTF8", "-N"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=50"
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start"],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr!r} {log[-2000:]}")
    try:
        yield f"postgresql://medcoder_test@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema, so each test starts with an empty store."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(pg_admin_url))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_admin_url else "?"
    yield f"{pg_admin_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def _tamper(url: str, *sql: str) -> None:
    """What a table owner can do: switch the guard triggers off, then change rows directly."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for statement in sql:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
    engine.dispose()


def _filled(url: str, n: int) -> AuditStore:
    store = AuditStore(url)
    for i in range(1, n + 1):
        store.append(make_event(i))
    assert store.verify().ok
    return store


def test_append_and_verify(pg_url: str) -> None:
    store = _filled(pg_url, 4)
    events = store.events()
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert store.head() == (4, events[-1].hash)
    assert AuditStore(pg_url).verify().n_events == 4  # init again is harmless


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET document_id = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events",
    ],
)
def test_guard_triggers_refuse_changes(pg_url: str, statement: str) -> None:
    store = _filled(pg_url, 2)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert store.verify().ok


def test_edited_payload_is_caught(pg_url: str) -> None:
    store = _filled(pg_url, 5)
    payload = json.dumps({"codes": [{"system": "ICD-10-CM", "code": "E11.65"}], "route": "auto"})
    _tamper(pg_url, f"UPDATE audit_events SET payload = '{payload}' WHERE seq = 3")
    report = store.verify()
    assert not report.ok and report.first_bad_seq == 3
    assert report.problems[0].kind == "hash_mismatch"


def test_deleted_row_is_caught(pg_url: str) -> None:
    store = _filled(pg_url, 5)
    _tamper(pg_url, "DELETE FROM audit_events WHERE seq = 2")
    report = store.verify()
    assert report.first_bad_seq == 2 and report.problems[0].kind == "sequence_gap"


def test_swapped_sequence_is_caught(pg_url: str) -> None:
    store = _filled(pg_url, 6)
    _tamper(
        pg_url,
        "UPDATE audit_events SET seq = -1 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = -1",
    )
    report = store.verify()
    assert report.first_bad_seq == 2
    assert {p.seq for p in report.problems} >= {2, 4}


def test_truncated_table_is_caught_by_the_head(pg_url: str) -> None:
    store = _filled(pg_url, 3)
    _tamper(pg_url, "TRUNCATE audit_events")
    report = store.verify()
    assert not report.ok and report.first_bad_seq == 1 and report.problems[0].kind == "head_mismatch"


def test_write_failure_raises(pg_url: str) -> None:
    store = _filled(pg_url, 1)
    read_only = AuditStore(pg_url + "%20-cdefault_transaction_read_only%3Don", create=False)
    with pytest.raises(AuditWriteError) as info:
        read_only.append(make_event(2))
    assert "read-only transaction" in str(info.value.__cause__)
    read_only.close()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_events")
    with pytest.raises(AuditWriteError):
        store.append(make_event(3))


def test_least_privilege_app_role_can_append_but_not_edit(pg_url: str) -> None:
    store = _filled(pg_url, 2)
    role = f"app_{uuid.uuid4().hex[:8]}"
    schema = pg_url.rsplit("%3D", 1)[1]
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON audit_events TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT, UPDATE ON audit_chain_head TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT ON api_keys TO {role}")
    app_url = (
        make_url(normalise_url(pg_url))
        .set(username=role, password=None)
        .render_as_string(hide_password=False)
    )
    try:
        app = AuditStore(app_url, create=False)
        assert app.append(make_event(3)).seq == 3
        with pytest.raises(DBAPIError, match="permission denied"), app.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET actor_id = 'x' WHERE seq = 1"))
        assert app.verify().ok
        app.close()
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_two_threads_append_without_forking(pg_url: str) -> None:
    store = AuditStore(pg_url)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(offset: int) -> None:
        try:
            barrier.wait()
            for i in range(30):
                store.append(make_event(offset + i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = store.verify()
    assert report.ok and report.n_events == 60


def test_workers_creating_the_schema_together_do_not_collide(pg_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start_worker() -> None:
        try:
            barrier.wait()
            AuditStore(pg_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditStore(pg_url, create=False).head()[0] == 0


def test_two_processes_append_without_forking(pg_url: str) -> None:
    AuditStore(pg_url).close()
    run_writer_processes(pg_url, n_per_writer=25)
    report = AuditStore(pg_url, create=False).verify()
    assert report.ok, report.summary()
    assert report.n_events == 50


def test_api_keys_in_postgres(pg_url: str) -> None:
    keys = ApiKeyStore(AuditStore(pg_url))
    new = keys.create_api_key("admin")
    assert keys.check(new.plaintext) is not None
    keys.revoke(new.key_id)
    assert keys.check(new.plaintext) is None
