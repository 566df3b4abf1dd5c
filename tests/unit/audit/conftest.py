"""Fixtures for audit tests: a fresh SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.audit.store import AuditStore


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def store(sqlite_path: Path):
    s = AuditStore(f"sqlite:///{sqlite_path}")
    yield s
    s.close()
