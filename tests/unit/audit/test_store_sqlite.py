"""The SQLite audit store: append, read, the append-only guard, tamper detection, failures."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medcoder.audit.events import GENESIS_HASH, EventType
from medcoder.audit.store import AuditReadError, AuditStore, AuditWriteError, normalise_url, record_or_fail
from unit.audit.audit_factory import make_event


def _fill(store: AuditStore, n: int) -> None:
    for i in range(1, n + 1):
        store.append(make_event(i, document_id=f"doc-{i % 2}"))


def _tamper(path: Path, *sql: str) -> None:
    """What someone with file access does: drop the guard triggers, then change rows directly."""
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()


def test_append_chains_events(store: AuditStore) -> None:
    first = store.append(make_event(1))
    second = store.append(make_event(2))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert store.head() == (2, second.hash)
    report = store.verify()
    assert report.ok and report.n_events == 2 and report.first_bad_seq is None
    assert report.head_hash == second.hash


def test_events_filter_by_document_and_roundtrip(store: AuditStore) -> None:
    _fill(store, 5)
    docs = store.events(document_id="doc-1")
    assert [e.seq for e in docs] == [1, 3, 5]
    assert docs[0].payload == {
        "codes": [{"system": "ICD-10-CM", "code": "E11.9", "probability": 0.501}],
        "route": "review",
    }
    assert [e.seq for e in store.events(since_seq=3)] == [4, 5]
    assert [e.seq for e in store.events(limit=2)] == [1, 2]


def test_guard_triggers_refuse_update_and_delete(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 2)
    con = sqlite3.connect(sqlite_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit_events SET document_id = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit_events WHERE seq = 1")
    con.close()
    assert store.verify().ok


def test_edited_payload_is_caught(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 6)
    row = store.events(since_seq=3, limit=1)[0]
    edited = json.dumps({**row.payload, "codes": [{"system": "ICD-10-CM", "code": "E11.65"}]})
    _tamper(sqlite_path, f"UPDATE audit_events SET payload = '{edited}' WHERE seq = 4")
    report = store.verify()
    assert not report.ok
    assert report.first_bad_seq == 4
    assert [p.kind for p in report.problems] == ["hash_mismatch"]
    assert "seq 4" in report.summary()


def test_edited_field_with_recomputed_hash_breaks_the_next_link(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 5)
    forged = store.events(since_seq=1, limit=1)[0]  # seq 2
    from dataclasses import replace

    forged = replace(forged, actor_id="someone-else")
    new_hash = forged.expected_hash()
    _tamper(
        sqlite_path, f"UPDATE audit_events SET actor_id = 'someone-else', hash = '{new_hash}' WHERE seq = 2"
    )
    report = store.verify()
    assert report.first_bad_seq == 3
    assert report.problems[0].kind == "broken_link"


def test_deleted_row_is_caught(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 5)
    _tamper(sqlite_path, "DELETE FROM audit_events WHERE seq = 3")
    report = store.verify()
    assert report.first_bad_seq == 3
    assert report.problems[0].kind == "sequence_gap"


def test_deleted_last_row_is_caught_by_the_head(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 5)
    _tamper(sqlite_path, "DELETE FROM audit_events WHERE seq = 5")
    report = store.verify()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.problems[0].kind == "head_mismatch"


def test_swapped_sequence_numbers_are_caught(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 6)
    _tamper(
        sqlite_path,
        "UPDATE audit_events SET seq = -1 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 5",
        "UPDATE audit_events SET seq = 5 WHERE seq = -1",
    )
    report = store.verify()
    assert report.first_bad_seq == 3
    assert {p.seq for p in report.problems} >= {3, 5}


def test_inserted_row_is_caught(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 3)
    _tamper(
        sqlite_path,
        "INSERT INTO audit_events SELECT 4, 'ffffffffffffffffffffffffffffffff', event_type, occurred_at, actor_id,"
        " actor_role, request_id, document_id, model_version, code_set_versions, payload, prev_hash, hash"
        " FROM audit_events WHERE seq = 2",
    )
    report = store.verify()
    assert report.first_bad_seq == 4


def test_anchor_detects_rewritten_history(store: AuditStore) -> None:
    _fill(store, 3)
    seq, head = store.head()
    assert store.verify({seq: head}).ok
    assert store.verify({seq: "a" * 64}).first_bad_seq == 3
    assert store.verify({9: head}).first_bad_seq == 9  # anchored event missing


def test_transaction_commits_all_or_nothing(store: AuditStore) -> None:
    with store.transaction() as tx:
        tx.add(make_event(1))
        tx.add(make_event(2))
    assert [e.seq for e in tx.stored] == [1, 2]
    with pytest.raises(RuntimeError), store.transaction() as tx2:
        tx2.add(make_event(3))
        raise RuntimeError("model failed")
    assert store.head()[0] == 2
    assert store.verify().ok


def test_write_to_read_only_database_raises_and_returns_nothing(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 1)
    read_only = AuditStore(f"sqlite:///file:{sqlite_path}?mode=ro&uri=true", create=False)
    returned = []
    with pytest.raises(AuditWriteError, match="not recorded"):
        with read_only.transaction() as tx:
            tx.add(make_event(2))
        returned.append("coding result")  # the response: must not be reached
    assert returned == []
    with pytest.raises(AuditWriteError):
        record_or_fail(read_only, make_event(3))
    assert store.head()[0] == 1
    read_only.close()


def test_dropped_table_makes_append_fail(store: AuditStore, sqlite_path: Path) -> None:
    _fill(store, 1)
    _tamper(sqlite_path, "DROP TABLE audit_events")
    with pytest.raises(AuditWriteError):
        store.append(make_event(2))
    with pytest.raises(AuditReadError):
        store.verify()


def test_failed_write_message_has_no_event_content(store: AuditStore, sqlite_path: Path) -> None:
    _tamper(sqlite_path, "DROP TABLE audit_events")
    with pytest.raises(AuditWriteError) as info:
        store.append(make_event(1, document_id="doc-secret-77"))
    for text in (str(info.value), str(info.value.__cause__)):  # the chained driver error too
        assert "doc-secret-77" not in text
        assert "E11.9" not in text


def test_url_normalisation(tmp_path: Path) -> None:
    assert normalise_url("postgresql://u@127.0.0.1:5/db") == "postgresql+psycopg://u@127.0.0.1:5/db"
    assert normalise_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_init_is_idempotent_and_keeps_events(sqlite_path: Path) -> None:
    with AuditStore(str(sqlite_path)) as s:
        s.append(make_event(1))
    with AuditStore(str(sqlite_path)) as s:
        assert s.head()[0] == 1
        assert s.verify().ok


def test_rejected_event_with_reason_roundtrips(store: AuditStore) -> None:
    stored = store.append(make_event(1, event_type=EventType.REJECTED))
    assert store.events()[0].payload["reason"] == "documentation_does_not_support"
    assert store.verify().head_hash == stored.hash


def test_sqlite_file_runs_in_wal_mode_with_chosen_durability(sqlite_path: Path) -> None:
    AuditStore(str(sqlite_path)).close()
    con = sqlite3.connect(sqlite_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent on the file
    con.close()
    fast = AuditStore(str(sqlite_path), sqlite_synchronous="NORMAL")
    with fast.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with AuditStore(str(sqlite_path)).engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        AuditStore(str(sqlite_path), sqlite_synchronous="OFF")
