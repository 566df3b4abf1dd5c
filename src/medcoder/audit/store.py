"""The audit store: append hash-chained events to SQLite (default) or PostgreSQL, read and verify.

Appending is part of a request: :meth:`AuditStore.append` either commits the event or raises
:class:`AuditWriteError`, so a caller that returns its result only after ``append`` returns never
hands out anything unaudited::

    with store.transaction() as tx:      # nothing is written if the body raises
        result = coder(document)
        tx.add(suggested_event(result))  # buffered
    return result                        # reached only once the events are committed
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from medcoder.audit.events import GENESIS_HASH, AuditEvent, StoredEvent, canonical_json, seal, utc_timestamp
from medcoder.audit.schema import audit_events, chain_head, install_guards, metadata
from medcoder.audit.verify import VerifyReport, verify_chain
from medcoder.errors import MedcoderError

log = logging.getLogger(__name__)

DEFAULT_URL_ENV = "MEDCODER_AUDIT_DB"
DEFAULT_SQLITE_FILE = "medcoder_audit.db"
READ_ONLY_OPTION = "medcoder_read_only"
_INIT_LOCK_KEY = 0x6D6564636F646572  # "medcoder": advisory lock id held while creating the schema


class AuditWriteError(MedcoderError):
    """The audit event could not be committed; the request that produced it must fail."""


class AuditReadError(MedcoderError):
    """The audit store could not be read (missing tables, unreachable database)."""


def default_url() -> str:
    """``$MEDCODER_AUDIT_DB`` or a SQLite file ``medcoder_audit.db`` in the working directory."""
    return os.environ.get(DEFAULT_URL_ENV) or f"sqlite:///{DEFAULT_SQLITE_FILE}"


def normalise_url(url: str) -> str:
    """Accept a plain file path (SQLite) and ``postgresql://`` URLs (driven by psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine whose transactions lock the chain: SQLite transactions start ``BEGIN IMMEDIATE``.

    SQLite files run in WAL mode (one fsync per commit instead of several; readers do not block
    the writer). ``sqlite_synchronous="FULL"`` (default) makes every committed event survive a
    power cut; ``"NORMAL"`` is about 100x faster on slow disks but may lose the last commits on a
    power cut (never on a process crash), and the chain stays consistent either way.
    """
    # hide_parameters: database errors (and their tracebacks in logs) never quote bound values.
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"sqlite_synchronous must be FULL or NORMAL, got {sqlite_synchronous!r}")
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook emit BEGIN itself
            with contextlib.suppress(sqlite3.OperationalError):  # read-only file: keep its journal mode
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute(f"PRAGMA synchronous={sqlite_synchronous}")

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
            # Writers take the file's write lock up front; read-only work opts out (see `reading`).
            deferred = conn.get_execution_options().get(READ_ONLY_OPTION, False)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: in SQLite its transaction does not take the write lock."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY_OPTION: True})


class AuditTransaction:
    """Events buffered inside ``with store.transaction()``; committed together on a clean exit."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.stored: list[StoredEvent] = []

    def add(self, audit_event: AuditEvent) -> None:
        self.events.append(audit_event)


class AuditStore:
    """Append-only, hash-chained audit events in the database at ``url``.

    ``create=True`` creates missing tables, the chain head row and the append-only triggers
    (idempotent); otherwise the schema must exist (``medcoder audit init``).
    ``sqlite_synchronous``: see :func:`make_engine`.
    """

    def __init__(
        self, url: str | None = None, *, create: bool = True, sqlite_synchronous: str = "FULL"
    ) -> None:
        self.url = normalise_url(url or default_url())
        self.engine = make_engine(self.url, sqlite_synchronous)
        if create:
            self.init_schema()

    def init_schema(self) -> None:
        """Create tables, triggers and the chain head row if they are missing."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # workers starting together must not race on DDL
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_INIT_LOCK_KEY})")
            metadata.create_all(conn)
            install_guards(conn)
            if conn.execute(select(chain_head.c.id).where(chain_head.c.id == 1)).first() is None:
                conn.execute(insert(chain_head).values(id=1, last_seq=0, last_hash=GENESIS_HASH))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, audit_event: AuditEvent) -> StoredEvent:
        """Commit one event after the current chain head; raise :class:`AuditWriteError` on failure."""
        return self.append_many([audit_event])[0]

    def append_many(self, events: Sequence[AuditEvent]) -> list[StoredEvent]:
        """Commit ``events`` in order, in one transaction holding the chain-head lock (all or none)."""
        if not events:
            return []
        try:
            with self.engine.begin() as conn:
                head = conn.execute(
                    select(chain_head.c.last_seq, chain_head.c.last_hash)
                    .where(chain_head.c.id == 1)
                    .with_for_update()
                ).one()
                seq, prev_hash = head.last_seq, head.last_hash
                stored: list[StoredEvent] = []
                for audit_event in events:
                    seq += 1
                    sealed = seal(audit_event, seq, prev_hash, audit_event.occurred_at or utc_timestamp())
                    stored.append(sealed)
                    prev_hash = sealed.hash
                conn.execute(insert(audit_events), [_row(s) for s in stored])
                conn.execute(
                    update(chain_head).where(chain_head.c.id == 1).values(last_seq=seq, last_hash=prev_hash)
                )
        except SQLAlchemyError as exc:
            # The driver message may quote bound parameters; log the class only, chain the cause.
            log.error("audit write failed: %s", type(exc).__name__)
            raise AuditWriteError(
                f"audit event not recorded ({type(exc).__name__}); request refused"
            ) from exc
        return stored

    @contextmanager
    def transaction(self) -> Iterator[AuditTransaction]:
        """Buffer events added in the body and commit them together when it ends without error.

        If the body raises, nothing is written; if the write fails, :class:`AuditWriteError`
        propagates out of the ``with`` statement, so code after it (the response) never runs.
        """
        tx = AuditTransaction()
        yield tx
        tx.stored = self.append_many(tx.events)

    def events(
        self, *, document_id: str | None = None, since_seq: int = 0, limit: int | None = None
    ) -> list[StoredEvent]:
        """Stored events in ``seq`` order, optionally for one document or after ``since_seq``."""
        query = select(audit_events).where(audit_events.c.seq > since_seq).order_by(audit_events.c.seq)
        if document_id is not None:
            query = query.where(audit_events.c.document_id == document_id)
        if limit is not None:
            query = query.limit(limit)
        try:
            with reading(self.engine) as conn:
                return [_stored(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise AuditReadError(f"cannot read audit events ({type(exc).__name__})") from exc

    def stream(
        self,
        *,
        model_version: str | None = None,
        since: str | None = None,
        until: str | None = None,
        event_types: Sequence[str] | None = None,
        chunk: int = 5000,
    ) -> Iterator[StoredEvent]:
        """Events in ``seq`` order, fetched ``chunk`` rows at a time (memory stays one chunk).

        Filters: the model version, ``since <= occurred_at < until`` (ISO UTC strings, which sort as
        times) and the event types. Monitoring reads a window of 100,000 events this way.
        """
        query = select(audit_events).order_by(audit_events.c.seq)
        if model_version is not None:
            query = query.where(audit_events.c.model_version == model_version)
        if since is not None:
            query = query.where(audit_events.c.occurred_at >= since)
        if until is not None:
            query = query.where(audit_events.c.occurred_at < until)
        if event_types is not None:
            query = query.where(audit_events.c.event_type.in_(list(event_types)))
        try:
            with reading(self.engine) as conn:
                for row in conn.execution_options(yield_per=chunk).execute(query):
                    yield _stored(row)
        except SQLAlchemyError as exc:
            raise AuditReadError(f"cannot read audit events ({type(exc).__name__})") from exc

    def latest(self, *, model_version: str, event_types: Sequence[str]) -> StoredEvent | None:
        """The newest event of one of ``event_types`` for ``model_version`` (None when there is none)."""
        query = (
            select(audit_events)
            .where(audit_events.c.model_version == model_version)
            .where(audit_events.c.event_type.in_(list(event_types)))
            .order_by(audit_events.c.seq.desc())
            .limit(1)
        )
        try:
            with reading(self.engine) as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise AuditReadError(f"cannot read audit events ({type(exc).__name__})") from exc
        return None if row is None else _stored(row)

    def head(self) -> tuple[int, str]:
        """The chain head: (last seq, last hash)."""
        with reading(self.engine) as conn:
            row = conn.execute(
                select(chain_head.c.last_seq, chain_head.c.last_hash).where(chain_head.c.id == 1)
            ).one()
        return row.last_seq, row.last_hash

    def verify(self, anchors: dict[int, str] | None = None) -> VerifyReport:
        """Recompute the whole chain (streamed in ``seq`` order) and compare it with the head."""
        try:
            with reading(self.engine) as conn:
                if conn.dialect.name == "postgresql":  # head and events from one snapshot
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                head = conn.execute(
                    select(chain_head.c.last_seq, chain_head.c.last_hash).where(chain_head.c.id == 1)
                ).first()
                head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
                rows = conn.execution_options(yield_per=1000).execute(
                    select(audit_events).order_by(audit_events.c.seq)
                )
                report = verify_chain((_stored(r) for r in rows), head_seq, head_hash, anchors)
        except SQLAlchemyError as exc:
            raise AuditReadError(f"cannot read audit events ({type(exc).__name__})") from exc
        log.info("%s", report.summary())
        return report


def record_or_fail(store: AuditStore, audit_event: AuditEvent) -> StoredEvent:
    """Append ``audit_event`` or raise :class:`AuditWriteError`: call it before returning a result."""
    return store.append(audit_event)


def _row(stored: StoredEvent) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(stored, name) for name in StoredEvent.__slots__}
    row["code_set_versions"] = canonical_json(stored.code_set_versions)
    row["payload"] = canonical_json(stored.payload)
    return row


def _stored(row) -> StoredEvent:  # type: ignore[no-untyped-def]
    values = dict(row._mapping)
    values["code_set_versions"] = _loads(values["code_set_versions"])
    values["payload"] = _loads(values["payload"])
    return StoredEvent(**values)


def _loads(text: str) -> dict:
    """Parse a stored JSON column; unparseable text (a tampered row) becomes a marker that cannot hash right."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"__unparseable__": str(text)}
    return value if isinstance(value, dict) else {"__not_an_object__": value}
