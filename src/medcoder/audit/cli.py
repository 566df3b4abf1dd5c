"""``medcoder audit``: create the store, verify the hash chain, list events, manage API keys."""

from __future__ import annotations

import typer

DEFAULT_URL_ENV = (
    "MEDCODER_AUDIT_DB"  # same as medcoder.audit.store.DEFAULT_URL_ENV (not imported: keeps --help fast)
)

DB_HELP = f"Database URL (sqlite:///file.db, postgresql://user@host/db) or a SQLite file path; default ${DEFAULT_URL_ENV} or sqlite:///medcoder_audit.db."

group = typer.Typer(help="Tamper-evident audit trail and API keys.", no_args_is_help=True)
keys_group = typer.Typer(help="API keys (stored hashed in the audit database).", no_args_is_help=True)
group.add_typer(keys_group, name="api-key")


def _db_option() -> str | None:
    return typer.Option(None, "--db", envvar=DEFAULT_URL_ENV, help=DB_HELP)


def _open(db: str | None, create: bool = False):  # type: ignore[no-untyped-def]
    from medcoder.audit.store import AuditStore

    return AuditStore(db, create=create)


@group.command("init")
def init_cmd(db: str | None = _db_option()) -> None:
    """Create the tables, the chain head and the append-only triggers (safe to run again)."""
    store = _open(db, create=True)
    seq, head = store.head()
    typer.echo(
        f"audit store ready at {store.engine.url.render_as_string(hide_password=True)}: {seq} events, head {head}"
    )


@group.command("verify")
def verify_cmd(
    db: str | None = _db_option(),
    anchor: list[str] = typer.Option(
        [],
        "--anchor",
        help="SEQ:HASH recorded earlier (e.g. a published head); must still match. Repeatable.",
    ),
) -> None:
    """Recompute the hash chain; exit 1 naming the first bad sequence number if anything was changed."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.audit.store import AuditReadError

    anchors: dict[int, str] = {}
    for item in anchor:
        seq_text, _, hash_text = item.partition(":")
        if not seq_text.isdigit() or len(hash_text) != 64:
            raise typer.BadParameter(f"--anchor must be SEQ:HASH (64 hex characters), got {item!r}")
        anchors[int(seq_text)] = hash_text.lower()
    try:
        report = _open(db).verify(anchors)
    except AuditReadError as exc:
        typer.echo(f"cannot verify: {exc}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    if not report.ok:
        table = Table("seq", "problem", "detail", title="audit chain problems")
        for p in sorted(report.problems, key=lambda p: p.seq):
            table.add_row(str(p.seq), p.kind, p.detail)
        console.print(table)
    console.print(report.summary(), markup=False)
    if not report.ok:
        raise typer.Exit(1)


@group.command("events")
def events_cmd(
    db: str | None = _db_option(),
    document: str | None = typer.Option(None, "--document", help="Only events about this document id."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many events."),
    since: int = typer.Option(0, "--since", min=0, help="Only events after this sequence number."),
) -> None:
    """List stored events in sequence order (no note text is ever stored)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from medcoder.audit.store import AuditReadError

    try:
        events = _open(db).events(document_id=document, since_seq=since, limit=limit)
    except AuditReadError as exc:
        typer.echo(f"cannot read events: {exc}", err=True)
        raise typer.Exit(2) from None
    table = Table(
        "seq", "time (UTC)", "type", "actor", "role", "document", "request", "model", "payload", "hash"
    )
    for e in events:
        table.add_row(
            str(e.seq), e.occurred_at, e.event_type, e.actor_id, e.actor_role, e.document_id,
            e.request_id, e.model_version, json.dumps(e.payload, sort_keys=True), e.hash[:12],
        )  # fmt: skip
    Console().print(table)


@keys_group.command("create")
def key_create_cmd(
    role: str = typer.Option(..., "--role", help="service, coder, auditor, billing or admin."),
    db: str | None = _db_option(),
) -> None:
    """Create an API key and print it once (only its salted hash is stored)."""
    from medcoder.audit.api_keys import ApiKeyStore
    from medcoder.audit.roles import Role

    if role not in {r.value for r in Role}:
        raise typer.BadParameter(f"--role must be one of {[r.value for r in Role]}")
    new = ApiKeyStore(_open(db, create=True)).create_api_key(role)
    typer.echo(f"key id {new.key_id} (role {new.role.value}); store this now, it is not shown again:")
    typer.echo(new.plaintext)


@keys_group.command("revoke")
def key_revoke_cmd(
    key_id: str = typer.Argument(..., help="The key id."), db: str | None = _db_option()
) -> None:
    """Revoke an API key; requests with it get 401 from then on."""
    from medcoder.audit.api_keys import ApiKeyStore

    if not ApiKeyStore(_open(db)).revoke(key_id):
        typer.echo(f"no active key with id {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@keys_group.command("list")
def key_list_cmd(db: str | None = _db_option()) -> None:
    """List API keys (id, role, created, revoked); secrets are never shown."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.audit.api_keys import ApiKeyStore

    table = Table("key id", "role", "created (UTC)", "revoked (UTC)")
    for k in ApiKeyStore(_open(db)).list_keys():
        table.add_row(k.key_id, k.role.value, k.created_at, k.revoked_at or "")
    Console().print(table)


@group.command("bench")
def bench_cmd(
    db: str = typer.Option(..., "--db", help="An EMPTY store (the bench writes test events). " + DB_HELP),
    n: int = typer.Option(500, "--n", min=20, help="Events to append."),
    sqlite_synchronous: str = typer.Option("FULL", "--sqlite-synchronous", help="FULL (durable) or NORMAL."),
) -> None:
    """Time chained appends against plain inserts (same run), verify, and API key checks."""
    from rich.console import Console
    from rich.table import Table

    from medcoder.audit.bench import bench_audit

    result = bench_audit(db, n, sqlite_synchronous.upper())
    table = Table("measure", "value", title=f"audit bench, {n} events")
    table.add_row("chained append (events/s)", f"{result.append_per_s:.0f}")
    table.add_row("append latency p50 / p95 (ms)", f"{result.append_p50_ms:.2f} / {result.append_p95_ms:.2f}")
    table.add_row("plain insert baseline (rows/s)", f"{result.plain_insert_per_s:.0f}")
    table.add_row("append cost vs plain insert (x)", f"{result.append_cost_ratio:.2f}")
    table.add_row("verify (events/s)", f"{result.verify_events_per_s:.0f}")
    table.add_row(
        "API key check: first (scrypt) / cached (ms)",
        f"{result.api_key_first_check_ms:.1f} / {result.api_key_cached_check_ms:.2f}",
    )
    Console().print(table)


def register(root: typer.Typer) -> None:
    """Add ``medcoder audit`` to the root command."""
    root.add_typer(group, name="audit")


if __name__ == "__main__":  # python -m medcoder.audit.cli verify --db ...
    group()
