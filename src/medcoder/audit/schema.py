"""Tables of the audit store and the database-level guard that makes events append-only.

- ``audit_events``: one row per event, primary key ``seq`` (1, 2, 3, ... with no gaps).
- ``audit_chain_head``: a single row (id 1) holding the last ``seq`` and hash. Writers lock this
  row (``SELECT ... FOR UPDATE`` in PostgreSQL; SQLite locks the whole file with ``BEGIN
  IMMEDIATE``), so two writers can never both append after the same event and fork the chain.
  It also lets ``verify`` notice events deleted from the end of the table.
- ``api_keys``: hashed API keys with a role (see ``medcoder.audit.api_keys``).

JSON columns are stored as text (canonical JSON) so SQLite and PostgreSQL return exactly what was
written; ``jsonb`` would reorder keys and renormalise numbers.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event_id", String(32), nullable=False, unique=True),
    Column("event_type", String(16), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("document_id", String(128), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("code_set_versions", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_document_id", "document_id"),
)

chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("key_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)

APPEND_ONLY_MESSAGE = "audit_events is append-only"

_SQLITE_GUARDS = (
    f"""CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
)

_PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION medcoder_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_OP || ' refused)';
END;
$$"""

_PG_TRIGGERS = {
    "audit_events_append_only": "BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW",
    "audit_events_no_truncate": "BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT",
}


def install_guards(conn: Connection) -> None:
    """Create the triggers that refuse UPDATE and DELETE (and TRUNCATE in PostgreSQL) on events.

    They stop accidents and ordinary application users; an owner or superuser can still drop or
    disable them, which is why ``verify`` checks the hash chain and does not trust the triggers.
    """
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for ddl in _SQLITE_GUARDS:
            conn.exec_driver_sql(ddl)
    elif dialect == "postgresql":
        conn.exec_driver_sql(_PG_FUNCTION)
        for name, when in _PG_TRIGGERS.items():
            exists = conn.execute(
                text("SELECT 1 FROM pg_trigger WHERE tgname = :name AND tgrelid = 'audit_events'::regclass"),
                {"name": name},
            ).first()
            if exists is None:
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION medcoder_audit_append_only()"
                )
