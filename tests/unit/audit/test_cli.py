"""``medcoder audit``: init, events, verify (exit codes) and API keys, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medcoder.audit.cli import register
from medcoder.audit.store import AuditStore
from unit.audit.audit_factory import make_event


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    register(root)
    return root


def test_init_events_verify(app: typer.Typer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "init", "--db", db])
    assert result.exit_code == 0, result.output
    assert "0 events" in result.output
    with AuditStore(db) as store:
        for i in range(1, 4):
            store.append(make_event(i, document_id=f"doc-{i}"))

    result = runner.invoke(app, ["audit", "events", "--db", db, "--document", "doc-2"])
    assert result.exit_code == 0, result.output
    assert "req-2" in result.output and "req-1" not in result.output and "req-3" not in result.output

    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 0, result.output
    assert "audit chain OK: 3 events" in result.output

    con = sqlite3.connect(tmp_path / "a.db")
    con.execute("DROP TRIGGER audit_events_no_update")
    con.execute("UPDATE audit_events SET model_version = 'm-evil' WHERE seq = 2")
    con.commit()
    con.close()
    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 1
    assert "BROKEN at seq 2: hash_mismatch" in result.output


def test_verify_env_var_and_missing_store(app: typer.Typer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDCODER_AUDIT_DB", str(tmp_path / "empty.db"))
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "cannot verify" in result.output
    result = CliRunner().invoke(app, ["audit", "verify", "--anchor", "3:abc"])
    assert result.exit_code == 2  # usage error


def test_api_key_commands(app: typer.Typer, tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "api-key", "create", "--role", "auditor", "--db", db])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    key_id = plaintext.split("_")[1]
    listed = runner.invoke(app, ["audit", "api-key", "list", "--db", db])
    assert key_id in listed.output and "auditor" in listed.output
    assert plaintext.split("_", 2)[2] not in listed.output
    assert runner.invoke(app, ["audit", "api-key", "revoke", key_id, "--db", db]).exit_code == 0
    assert runner.invoke(app, ["audit", "api-key", "revoke", key_id, "--db", db]).exit_code == 1
    assert runner.invoke(app, ["audit", "api-key", "create", "--role", "root", "--db", db]).exit_code == 2
