"""The claims store: submitted claims, control numbers, ingested 835s and claim-line linkage.

SQLAlchemy 2 Core over SQLite or PostgreSQL (the engine of :mod:`medcoder.audit.store`: SQLite write
transactions start ``BEGIN IMMEDIATE``, so writers serialise on the file). An 835 is parsed, its
CARCs checked and its amounts balanced *before* anything is written, then written in one
transaction: a bad file leaves nothing behind, and the same file (same sha256) twice is reported as
a duplicate and writes nothing new. Each remitted line is linked to the claim line it pays, which
carries the codes and model version behind the claim, so denials can be traced back to coding.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from medcoder.audit.store import AuditStore, make_engine, normalise_url, reading
from medcoder.claims.balance import check_balance
from medcoder.claims.linkage import (
    ClaimLineKey,
    ClaimStatus,
    CoderDecision,
    IngestReport,
    LinkedLine,
    UnmatchedPayment,
    match_lines,
)
from medcoder.claims.read835 import read_835
from medcoder.claims.records import Adjustment, Claim, ClaimPayment, Remittance
from medcoder.claims.remitted import RemittedLine
from medcoder.claims.remitted import remitted_lines as _remitted_lines
from medcoder.claims.schema import (
    adjustments,
    claim_diagnoses,
    claim_lines,
    claim_payments,
    claims,
    control_numbers,
    from_cents,
    line_links,
    metadata,
    remarks,
    remit_lines,
    remittance_files,
    remittances,
    to_cents,
)
from medcoder.errors import InputFormatError, MedcoderError

log = logging.getLogger(__name__)

CODING_EVENTS = frozenset({"suggested", "accepted", "rejected", "modified", "added", "escalated"})
"""Audit event types that say how the claim's codes were chosen (linked to each remitted line)."""

_IN_CHUNK = 500
"""Claim ids per IN (...) query when looking up submitted lines (well under SQLite's variable limit)."""

MAX_CONTROL_NUMBER = 999_999_999
"""ISA13/GS06/ST02 hold nine digits; past this a control number would have to repeat."""

_INIT_LOCK_KEY = 0x636C61696D73  # "claims": advisory lock held while creating the schema


class ClaimsStoreError(MedcoderError):
    """The claims store refused a write (duplicate claim, exhausted control numbers)."""


class ClaimsStore:
    """Claims, control numbers and remittances in the database at ``url`` (path or URL).

    ``audit_url``: the audit store whose events (``document_id`` = the claim's encounter id) are
    attached to linked lines as coder decisions.
    """

    def __init__(self, url: str, *, audit_url: str | None = None, create: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.audit_url = audit_url
        if create:
            self.init_schema()

    def init_schema(self) -> None:
        """Create missing tables (idempotent; safe when several processes start together)."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_INIT_LOCK_KEY})")
            metadata.create_all(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ClaimsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- control numbers -------------------------------------------------------------------

    def next_control_number(self, kind: str) -> int:
        """The next control number of ``kind`` (``isa``, ``gs``, ...): 1, 2, 3, ... never repeated.

        One transaction creates the counter row if missing and increments it with UPDATE ...
        RETURNING; the row lock (PostgreSQL) or the file lock (SQLite) serialises concurrent
        callers, in this process or others.
        """
        if not kind or len(kind) > 16:
            raise ValueError(f"control number kind must be 1-16 characters, got {kind!r}")
        with self.engine.begin() as conn:
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(
                dialect_insert(control_numbers)
                .values(kind=kind, last_value=0)
                .on_conflict_do_nothing(index_elements=["kind"])
            )
            value = conn.execute(
                update(control_numbers)
                .where(control_numbers.c.kind == kind, control_numbers.c.last_value < MAX_CONTROL_NUMBER)
                .values(last_value=control_numbers.c.last_value + 1)
                .returning(control_numbers.c.last_value)
            ).scalar()
        if value is None:
            raise ClaimsStoreError(f"control numbers of kind {kind!r} are exhausted ({MAX_CONTROL_NUMBER})")
        return int(value)

    # --- claims -----------------------------------------------------------------------------

    def save_claims(self, batch: Sequence[Claim], *, interchange_control: int) -> None:
        """Record submitted claims (all or none); a claim id already stored is refused."""
        try:
            with self.engine.begin() as conn:
                for claim in batch:
                    _insert_claim(conn, claim, interchange_control)
        except IntegrityError as exc:
            raise ClaimsStoreError(
                "a claim id in this batch is already stored (resubmissions need a new claim id)"
            ) from exc

    def forget_claim(self, claim_id: str) -> None:
        """Remove a just-saved claim that never left (its export could not be audited).

        Refused once a remittance links to it: a paid or denied claim is history, not a draft.
        """
        with self.engine.begin() as conn:
            if conn.execute(select(line_links.c.claim_id).where(line_links.c.claim_id == claim_id)).first():
                raise ClaimsStoreError(f"claim {claim_id} has remittances linked to it and cannot be removed")
            for table in (claim_lines, claim_diagnoses, claims):
                conn.execute(delete(table).where(table.c.claim_id == claim_id))

    # --- remittances ------------------------------------------------------------------------

    def ingest_835(self, text: str, *, source: str) -> IngestReport:
        """Parse, check (CARCs, balance) and store one 835 file in one transaction.

        Raises :class:`medcoder.claims.x12.X12Error` (nothing written) when the file is malformed,
        carries an unknown CARC or does not balance.
        """
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if self._file_id(sha) is not None:
            return IngestReport(source=source, sha256=sha, duplicate=True)
        parsed = read_835(text, path=source)
        for remittance in parsed:
            check_balance(remittance)
        try:
            with self.engine.begin() as conn:
                if conn.execute(
                    select(remittance_files.c.id).where(remittance_files.c.sha256 == sha)
                ).first():
                    return IngestReport(source=source, sha256=sha, duplicate=True)
                file_id = conn.execute(
                    insert(remittance_files)
                    .values(sha256=sha, name=source[-512:], received_at=datetime.now(UTC).isoformat())
                    .returning(remittance_files.c.id)
                ).scalar_one()
                counts = [0, 0, 0, 0]
                for remittance in parsed:
                    _insert_remittance(conn, file_id, remittance, counts)
        except IntegrityError:
            if self._file_id(sha) is not None:  # a concurrent ingest of the same file won
                return IngestReport(source=source, sha256=sha, duplicate=True)
            raise
        payments, lines, linked, unmatched = counts
        log.info("ingested 835 %s: %d claim payments, %d lines, %d linked", sha[:12], payments, lines, linked)
        return IngestReport(source, sha, False, len(parsed), payments, lines, linked, unmatched)

    def ingest_files(self, paths: Iterable[str | Path]) -> list[IngestReport]:
        """Ingest each file in turn; a bad file gets a report with ``error`` and the batch goes on."""
        reports = []
        for path in paths:
            try:
                text = Path(path).read_text(encoding="utf-8")
                reports.append(self.ingest_835(text, source=str(path)))
            except (InputFormatError, OSError, UnicodeDecodeError, ValueError) as exc:
                log.warning("835 file %s rejected: %s", path, exc)
                reports.append(IngestReport(source=str(path), error=str(exc)))
        return reports

    def _file_id(self, sha: str) -> int | None:
        with reading(self.engine) as conn:
            return conn.execute(
                select(remittance_files.c.id).where(remittance_files.c.sha256 == sha)
            ).scalar()

    # --- queries ----------------------------------------------------------------------------

    def claim_status(self, claim_id: str) -> ClaimStatus:
        """Submitted (no remittance yet), paid, partially paid (a line paid nothing), denied
        (CLP02 = 4 on the latest payment, or nothing paid in total), or unmatched remittance
        (payments for a claim id that was never submitted). KeyError when neither exists."""
        with reading(self.engine) as conn:
            submitted = conn.execute(select(claims.c.claim_id).where(claims.c.claim_id == claim_id)).first()
            payments = conn.execute(
                select(claim_payments.c.id, claim_payments.c.status, claim_payments.c.paid_cents)
                .where(claim_payments.c.claim_id == claim_id)
                .order_by(claim_payments.c.id)
            ).all()
            if not payments:
                if submitted is None:
                    raise KeyError(f"no claim or payment with claim id {claim_id!r}")
                return ClaimStatus.SUBMITTED
            if submitted is None:
                return ClaimStatus.UNMATCHED_REMITTANCE
            latest = payments[-1]
            if latest.status == "4" or sum(p.paid_cents for p in payments) <= 0:
                return ClaimStatus.DENIED
            unpaid = conn.execute(
                select(remit_lines.c.id).where(
                    remit_lines.c.payment_id == latest.id, remit_lines.c.paid_cents <= 0
                )
            ).first()
        return ClaimStatus.PARTIALLY_PAID if unpaid is not None else ClaimStatus.PAID

    def unmatched_payments(self) -> list[UnmatchedPayment]:
        """Claim payments whose CLP01 matched no submitted claim, in ingest order."""
        query = (
            select(claim_payments, remittances.c.trace_number, remittance_files.c.name)
            .join(remittances, remittances.c.id == claim_payments.c.remittance_id)
            .join(remittance_files, remittance_files.c.id == remittances.c.file_id)
            .where(claim_payments.c.matched == 0)
            .order_by(claim_payments.c.id)
        )
        with reading(self.engine) as conn:
            return [
                UnmatchedPayment(
                    r.claim_id, r.payer_claim_id, r.status, from_cents(r.paid_cents), r.trace_number, r.name
                )
                for r in conn.execute(query)
            ]

    def linked_lines(self, claim_id: str) -> list[LinkedLine]:
        """Every remitted line linked to a line of ``claim_id``, with its payment and coding context."""
        query = (
            select(line_links, remit_lines, claim_payments.c.status, claim_lines.c.diagnosis_pointers,
                   claims.c.model_version, claims.c.encounter_id)
            .join(remit_lines, remit_lines.c.id == line_links.c.remit_line_id)
            .join(claim_payments, claim_payments.c.id == remit_lines.c.payment_id)
            .join(claim_lines, (claim_lines.c.claim_id == line_links.c.claim_id)
                  & (claim_lines.c.line_number == line_links.c.line_number))
            .join(claims, claims.c.claim_id == line_links.c.claim_id)
            .where(line_links.c.claim_id == claim_id)
            .order_by(remit_lines.c.id)
        )  # fmt: skip
        with reading(self.engine) as conn:
            rows = conn.execute(query).all()
            diagnoses = tuple(
                conn.execute(
                    select(claim_diagnoses.c.code)
                    .where(claim_diagnoses.c.claim_id == claim_id)
                    .order_by(claim_diagnoses.c.sequence)
                ).scalars()
            )
            line_ids = [r.remit_line_id for r in rows]
            adj_rows = conn.execute(
                select(adjustments)
                .where(adjustments.c.remit_line_id.in_(line_ids))
                .order_by(adjustments.c.id)
            ).all()
            remark_rows = conn.execute(
                select(remarks).where(remarks.c.remit_line_id.in_(line_ids)).order_by(remarks.c.id)
            ).all()
        decisions = self._decisions(rows[0].encounter_id) if rows else ()
        out = []
        for r in rows:
            adjs = tuple(
                Adjustment(a.group_code, a.reason, from_cents(a.amount_cents), _quantity(a.quantity))
                for a in adj_rows
                if a.remit_line_id == r.remit_line_id
            )
            out.append(
                LinkedLine(
                    claim_id=claim_id, line_number=r.line_number, procedure=r.procedure,
                    modifiers=_split(r.modifiers, ":"), charge=from_cents(r.charge_cents),
                    paid=from_cents(r.paid_cents), adjustments=adjs, carcs=tuple(dict.fromkeys(a.reason for a in adjs)),
                    remarks=tuple(m.code for m in remark_rows if m.remit_line_id == r.remit_line_id),
                    match_method=r.method, payment_status=r.status, diagnoses=diagnoses,
                    diagnosis_pointers=tuple(int(p) for p in _split(r.diagnosis_pointers, ",")),
                    model_version=r.model_version, encounter_id=r.encounter_id, decisions=decisions,
                )
            )  # fmt: skip
        return out

    def remitted_lines(
        self,
        model_version: str | None = None,
        since: str | None = None,
        until: str | None = None,
        chunk: int = 5000,
    ) -> Iterator[RemittedLine]:
        """Every remitted line linked to a submitted claim line, streamed ``chunk`` lines at a time.

        Filtered by the claim's ``model_version`` and by its 835 file's ``received_at`` in
        ``[since, until)``; ``denied`` is defined on :class:`medcoder.claims.remitted.RemittedLine`.
        The read connection stays open until the iterator is exhausted or closed.
        """
        if chunk < 1:
            raise ValueError(f"chunk must be a positive number of lines, got {chunk}")
        return self._stream_remitted(model_version, since, until, chunk)

    def _stream_remitted(
        self, model_version: str | None, since: str | None, until: str | None, chunk: int
    ) -> Iterator[RemittedLine]:
        with reading(self.engine) as conn:
            yield from _remitted_lines(
                conn, model_version=model_version, since=since, until=until, chunk=chunk
            )

    def _decisions(self, encounter_id: str) -> tuple[CoderDecision, ...]:
        """The encounter's coding history: the suggestion and the coder decisions after it (not
        exports or views); empty when no audit store is configured.

        An unreadable audit store raises :class:`medcoder.audit.store.AuditReadError`: silently
        showing no decisions would look like a claim nobody reviewed.
        """
        if not self.audit_url or not encounter_id:
            return ()
        audit = AuditStore(self.audit_url, create=False)
        try:
            events = audit.events(document_id=encounter_id)
        finally:
            audit.close()
        return tuple(
            CoderDecision(
                seq=e.seq, event_type=e.event_type, occurred_at=e.occurred_at, actor_role=e.actor_role,
                codes=tuple(str(c.get("code", "")) for c in e.payload.get("codes", ())),
            )
            for e in events
            if e.event_type in CODING_EVENTS
        )  # fmt: skip


def _split(value: str, sep: str) -> tuple[str, ...]:
    return tuple(value.split(sep)) if value else ()


def _quantity(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _insert_claim(conn: Connection, claim: Claim, interchange_control: int) -> None:
    conn.execute(
        insert(claims).values(
            claim_id=claim.claim_id, kind=str(claim.kind), encounter_id=claim.encounter_id,
            model_version=claim.model_version, payer_id=claim.payer.payer_id,
            total_charge_cents=to_cents(claim.total_charge), interchange_control=interchange_control,
        )
    )  # fmt: skip
    if claim.diagnoses:
        conn.execute(
            insert(claim_diagnoses),
            [
                {"claim_id": claim.claim_id, "sequence": i, "code": c}
                for i, c in enumerate(claim.diagnoses, 1)
            ],
        )
    if claim.lines:
        conn.execute(
            insert(claim_lines),
            [
                {
                    "claim_id": claim.claim_id,
                    "line_number": line.line_number,
                    "procedure": line.procedure,
                    "modifiers": ":".join(line.modifiers),
                    "units": str(line.units),
                    "charge_cents": to_cents(line.charge),
                    "service_date": line.service_date.isoformat() if line.service_date else None,
                    "line_control": line.line_control,
                    "diagnosis_pointers": ",".join(str(p) for p in line.diagnosis_pointers),
                }  # fmt: skip
                for line in claim.lines
            ],
        )


def _line_keys(conn: Connection, claim_ids: Sequence[str]) -> tuple[dict[str, list[ClaimLineKey]], set[str]]:
    """Submitted lines per claim id and the claim ids that were submitted (chunked IN queries)."""
    keys: dict[str, list[ClaimLineKey]] = {}
    known: set[str] = set()
    unique = sorted(set(claim_ids))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        known.update(conn.execute(select(claims.c.claim_id).where(claims.c.claim_id.in_(chunk))).scalars())
        rows = conn.execute(
            select(claim_lines).where(claim_lines.c.claim_id.in_(chunk)).order_by(claim_lines.c.line_number)
        )
        for r in rows:
            keys.setdefault(r.claim_id, []).append(
                ClaimLineKey(
                    r.line_number, r.procedure, _split(r.modifiers, ":"), r.service_date, r.line_control
                )
            )
    return keys, known


def _insert_ids(conn: Connection, table, rows: list[dict[str, object]]) -> list[int]:  # type: ignore[no-untyped-def]
    """Insert ``rows`` in one executemany and return their new ids in the rows' order."""
    if not rows:
        return []
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def _insert_remittance(conn: Connection, file_id: int, remittance: Remittance, counts: list[int]) -> None:
    """Insert one remittance with its payments, lines, adjustments, remarks and line links.

    Rows go in per table with one executemany each (ids come back in order), not one statement
    per row: an 835 with thousands of claims is stored in about the time it takes to parse.
    """
    remit_id = conn.execute(
        insert(remittances)
        .values(
            file_id=file_id, trace_number=remittance.trace_number,
            payment_cents=to_cents(remittance.payment_amount),
            payment_date=remittance.payment_date.isoformat() if remittance.payment_date else None,
            payer_name=remittance.payer_name, payee_name=remittance.payee_name, payee_npi=remittance.payee_npi,
        )
        .returning(remittances.c.id)
    ).scalar_one()  # fmt: skip
    adjustment_rows = [
        _adjustment_row(a, remit_id, None, None, "provider") for a in remittance.provider_adjustments
    ]
    keys, known = _line_keys(conn, [p.claim_id for p in remittance.claims])
    payment_ids = _insert_ids(conn, claim_payments, [
        {
            "remittance_id": remit_id, "claim_id": p.claim_id, "matched": int(p.claim_id in known),
            "status": p.status, "charge_cents": to_cents(p.charge), "paid_cents": to_cents(p.paid),
            "patient_responsibility_cents": to_cents(p.patient_responsibility),
            "filing_indicator": p.filing_indicator, "payer_claim_id": p.payer_claim_id,
        }
        for p in remittance.claims
    ])  # fmt: skip
    remark_rows: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    pending: list[
        tuple[int, ClaimPayment, int, tuple[int | None, str]]
    ] = []  # payment id, payment, line index, link
    for payment, payment_id in zip(remittance.claims, payment_ids, strict=True):
        counts[0] += 1
        counts[3] += 0 if payment.claim_id in known else 1
        adjustment_rows += [
            _adjustment_row(a, remit_id, payment_id, None, "claim") for a in payment.adjustments
        ]
        remark_rows += [{"payment_id": payment_id, "remit_line_id": None, "code": c} for c in payment.remarks]
        links = match_lines(payment.lines, keys.get(payment.claim_id, []))
        for sequence, (line, link) in enumerate(zip(payment.lines, links, strict=True), 1):
            line_rows.append({
                "payment_id": payment_id, "sequence": sequence, "qualifier": line.qualifier,
                "procedure": line.procedure, "modifiers": ":".join(line.modifiers), "units": str(line.units),
                "charge_cents": to_cents(line.charge), "paid_cents": to_cents(line.paid),
                "revenue_code": line.revenue_code,
                "service_date": line.service_date.isoformat() if line.service_date else None,
                "line_control": line.line_control,
            })  # fmt: skip
            pending.append((payment_id, payment, sequence - 1, link))
    line_ids = _insert_ids(conn, remit_lines, line_rows)
    link_rows: list[dict[str, object]] = []
    for line_id, (payment_id, payment, index, (line_number, method)) in zip(line_ids, pending, strict=True):
        line = payment.lines[index]
        counts[1] += 1
        adjustment_rows += [
            _adjustment_row(a, remit_id, payment_id, line_id, "line") for a in line.adjustments
        ]
        remark_rows += [{"payment_id": payment_id, "remit_line_id": line_id, "code": c} for c in line.remarks]
        if line_number is not None:
            link_rows.append({"remit_line_id": line_id, "claim_id": payment.claim_id, "line_number": line_number,
                              "method": method})  # fmt: skip
            counts[2] += 1
    for table, rows in ((adjustments, adjustment_rows), (remarks, remark_rows), (line_links, link_rows)):
        if rows:
            conn.execute(insert(table), rows)


def _adjustment_row(
    adj: Adjustment, remit_id: int, payment_id: int | None, line_id: int | None, level: str
) -> dict[str, object]:
    return {
        "remittance_id": remit_id, "payment_id": payment_id, "remit_line_id": line_id, "level": level,
        "group_code": adj.group, "reason": adj.reason, "amount_cents": to_cents(adj.amount),
        "quantity": None if adj.quantity is None else str(adj.quantity),
    }  # fmt: skip
