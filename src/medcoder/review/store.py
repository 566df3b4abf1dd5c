"""The review store: charts the service routed to review or escalation, waiting for a coder.

It lives in the same database as the audit trail (its own table, ``review_items``), because it is
the one place that keeps the note text: a coder cannot review without reading the note. The
audit trail stays text-free; decisions are recorded there through the feedback API and the
``finalized`` event, and here only the final codes (with evidence offsets) are kept, for the
feedback export that teaches the next model version.

Writes are idempotent on ``request_id`` (the same coding response queued twice is one item).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from medcoder.audit.events import CodeRef, canonical_json, utc_timestamp
from medcoder.audit.store import default_url, make_engine, normalise_url, reading
from medcoder.coding.result import CodingResult
from medcoder.errors import MedcoderError
from medcoder.review.records import (
    ROUTE_PRIORITY,
    EncounterFacts,
    ReviewItem,
    ReviewStatus,
    WorklistEntry,
)

log = logging.getLogger(__name__)

metadata = MetaData()

review_items = Table(
    "review_items",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("document_id", String(128), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("route", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(8), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("finalized_at", String(32), nullable=True),
    Column("finalized_by", String(128), nullable=True),
    Column("reasons", Text, nullable=False),
    Column("n_suggestions", Integer, nullable=False),
    Column("note_text", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("final_codes", Text, nullable=True),
    Index("ix_review_queue", "status", "priority", "created_at"),
)


class ReviewStoreError(MedcoderError):
    """The review store could not be read or written (the message never quotes note text)."""


class ReviewNotFound(ReviewStoreError):
    """No queued chart has this request id."""


class ChartFinalized(ReviewStoreError):
    """The chart was already closed; a chart is finalized once."""


def queue_row(
    result: CodingResult, text: str, facts: EncounterFacts, model_version: str, created_at: str | None = None
) -> dict:
    """The ``review_items`` row for a coding result the router sent to review or escalation."""
    route = result.route.decision.value
    return {
        "request_id": result.request_id,
        "document_id": result.document_id,
        "model_version": model_version,
        "route": route,
        "priority": ROUTE_PRIORITY.get(route, len(ROUTE_PRIORITY)),
        "status": ReviewStatus.OPEN.value,
        "created_at": created_at or utc_timestamp(),
        "finalized_at": None,
        "finalized_by": None,
        "reasons": canonical_json(list(result.route.reasons)),
        "n_suggestions": len(result.suggestions),
        "note_text": text,
        "result": result.model_dump_json(),
        "facts": facts.model_dump_json(),
        "final_codes": None,
    }


def _entry(row) -> WorklistEntry:
    return WorklistEntry(
        request_id=row.request_id, document_id=row.document_id, model_version=row.model_version,
        route=row.route, priority=row.priority, reasons=json.loads(row.reasons),
        n_suggestions=row.n_suggestions, created_at=row.created_at, status=ReviewStatus(row.status),
        finalized_by=row.finalized_by, finalized_at=row.finalized_at,
    )  # fmt: skip


def _item(row) -> ReviewItem:
    finals = [CodeRef.model_validate(c) for c in json.loads(row.final_codes)] if row.final_codes else []
    return ReviewItem(
        entry=_entry(row),
        text=row.note_text,
        result=CodingResult.model_validate_json(row.result),
        facts=EncounterFacts.model_validate_json(row.facts),
        final_codes=finals,
    )


class ReviewStore:
    """Queued charts in the database at ``url`` (the audit store's by default)."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = normalise_url(url or default_url())
        self.engine = make_engine(self.url)
        if create:
            with self.engine.begin() as conn:
                metadata.create_all(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def queue(self, rows: Sequence[dict]) -> int:
        """Insert rows made by :func:`queue_row`; rows already queued are left as they are.
        Returns how many were new."""
        new = 0
        try:
            with self.engine.begin() as conn:
                have = set(
                    conn.execute(
                        select(review_items.c.request_id).where(
                            review_items.c.request_id.in_([r["request_id"] for r in rows])
                        )
                    ).scalars()
                )
                fresh = [r for r in rows if r["request_id"] not in have]
                if fresh:
                    conn.execute(insert(review_items), fresh)
                new = len(fresh)
        except IntegrityError:  # a concurrent writer queued the same request: it is there now
            return self.queue(rows)
        except SQLAlchemyError as exc:
            log.error("review queue write failed: %s", type(exc).__name__)
            raise ReviewStoreError(f"chart not queued for review ({type(exc).__name__})") from exc
        return new

    def worklist(
        self, status: ReviewStatus = ReviewStatus.OPEN, limit: int = 50, route: str | None = None
    ) -> list[WorklistEntry]:
        """Queued charts by priority (escalations first), then age (oldest first)."""
        cols = [c for c in review_items.c if c.name not in ("note_text", "result", "facts", "final_codes")]
        query = select(*cols).where(review_items.c.status == status.value)
        if route is not None:
            query = query.where(review_items.c.route == route)
        query = query.order_by(review_items.c.priority, review_items.c.created_at, review_items.c.request_id)
        with reading(self.engine) as conn:
            return [_entry(r) for r in conn.execute(query.limit(limit))]

    def get(self, request_id: str) -> ReviewItem:
        """One queued chart with its note; :class:`ReviewNotFound` when there is none."""
        with reading(self.engine) as conn:
            row = conn.execute(select(review_items).where(review_items.c.request_id == request_id)).first()
        if row is None:
            raise ReviewNotFound(f"no chart queued for review under request id {request_id!r}")
        return _item(row)

    def finalize(
        self, request_id: str, codes: Sequence[CodeRef], coder: str, when: str | None = None
    ) -> None:
        """Close an open chart with its final codes; a chart already closed is refused."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(review_items)
                .where(
                    review_items.c.request_id == request_id, review_items.c.status == ReviewStatus.OPEN.value
                )
                .values(
                    status=ReviewStatus.DONE.value,
                    finalized_by=coder,
                    finalized_at=when or utc_timestamp(),
                    final_codes=canonical_json(
                        [c.model_dump(mode="json", exclude_defaults=True) for c in codes]
                    ),
                )  # fmt: skip
            ).rowcount
        if done == 0:
            self.get(request_id)  # raises ReviewNotFound when it was never queued
            raise ChartFinalized(f"chart {request_id!r} is already finalized")

    def reviewed(self, since: str | None = None, chunk: int = 200) -> Iterator[ReviewItem]:
        """Finalized charts in the order they were closed (the feedback export reads these)."""
        last: tuple[str, str] = (since or "", "")
        while True:
            query = (
                select(review_items)
                .where(review_items.c.status == ReviewStatus.DONE.value)
                .where(
                    (review_items.c.finalized_at > last[0])
                    | ((review_items.c.finalized_at == last[0]) & (review_items.c.request_id > last[1]))
                )
                .order_by(review_items.c.finalized_at, review_items.c.request_id)
                .limit(chunk)
            )
            with reading(self.engine) as conn:
                rows = conn.execute(query).all()
            yield from (_item(r) for r in rows)
            if len(rows) < chunk:
                return
            last = (rows[-1].finalized_at, rows[-1].request_id)
