"""Remitted service lines with the coding behind them, streamed for denial monitoring.

:func:`remitted_lines` reads every remitted line (SVC) linked to a submitted claim line, with the
claim's encounter and model version, the claim line's procedure and pointed diagnoses, the line's
CARCs and the remittance file's ``received_at``, in chunks: one query streams the lines
(``yield_per``) and each chunk of lines costs two more (its adjustments and its claims'
diagnoses), bounded by the chunk's first and last remit line id. No IN list is built, so any chunk
size stays within SQLite's variable limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Select, and_, select

from medcoder.claims.history import DENIAL_GROUPS, DENIED_STATUS
from medcoder.claims.schema import (
    adjustments,
    claim_diagnoses,
    claim_lines,
    claim_payments,
    claims,
    from_cents,
    line_links,
    remit_lines,
    remittance_files,
    remittances,
)

CONTRACTUAL_REDUCTION = "45"
"""CARC 45 (charge exceeds the fee schedule): the allowed-amount discount, never a denial."""


@dataclass(frozen=True, slots=True)
class RemittedLine:
    """One remitted service line joined to the claim line it pays.

    ``procedure`` is the code *submitted* on the claim line (what coding chose; the payer may echo
    another). ``diagnoses`` are the claim line's pointed diagnoses as stored (X12 form, no dot:
    ``E119``), in pointer order. ``charge`` and ``paid`` are the remitted line's SVC02/SVC03.
    ``carcs`` are the line-level CAS reasons, first occurrence order. ``payment_status`` is the
    claim payment's CLP02 and ``received_at`` the ISO UTC time its 835 file was ingested.

    ``denied``: the claim payment has status 4 (denied), or the line was charged, paid nothing and
    carries a CO/PI reason other than 45, the rule of :func:`medcoder.claims.history.denied`
    applied to one line. A line zeroed by patient responsibility alone (PR deductible) is not denied.
    """

    remit_line_id: int
    claim_id: str
    encounter_id: str
    model_version: str
    line_number: int
    procedure: str
    diagnoses: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    carcs: tuple[str, ...]
    payment_status: str
    received_at: str
    denied: bool


def _filtered(
    columns: list[ColumnElement[object]],
    model_version: str | None,
    since: str | None,
    until: str | None,
) -> Select[tuple[object, ...]]:
    """``columns`` over linked remit lines joined to their claim and file, with the filters applied."""
    query = (
        select(*columns)
        .select_from(line_links)
        .join(remit_lines, remit_lines.c.id == line_links.c.remit_line_id)
        .join(claim_payments, claim_payments.c.id == remit_lines.c.payment_id)
        .join(remittances, remittances.c.id == claim_payments.c.remittance_id)
        .join(remittance_files, remittance_files.c.id == remittances.c.file_id)
        .join(claims, claims.c.claim_id == line_links.c.claim_id)
    )
    if model_version is not None:
        query = query.where(claims.c.model_version == model_version)
    if since is not None:
        query = query.where(remittance_files.c.received_at >= since)
    if until is not None:
        query = query.where(remittance_files.c.received_at < until)
    return query


def _is_denied(status: str, charge_cents: int, paid_cents: int, groups: list[tuple[str, str]]) -> bool:
    if status == DENIED_STATUS:
        return True
    return (
        charge_cents > 0
        and paid_cents == 0
        and any(g in DENIAL_GROUPS and r != CONTRACTUAL_REDUCTION for g, r in groups)
    )


def remitted_lines(
    conn: Connection,
    *,
    model_version: str | None = None,
    since: str | None = None,
    until: str | None = None,
    chunk: int = 5000,
) -> Iterator[RemittedLine]:
    """Linked remitted lines in remit line id order, filtered by the claim's ``model_version`` and
    the file's ``received_at`` in ``[since, until)`` (ISO strings compare lexicographically, so a
    bare date ``"2026-02-01"`` works as a bound). ``conn`` stays in use until the iterator ends."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of lines, got {chunk}")
    main = _filtered(
        [
            remit_lines.c.id, remit_lines.c.charge_cents, remit_lines.c.paid_cents,
            line_links.c.claim_id, line_links.c.line_number, claim_lines.c.procedure,
            claim_lines.c.diagnosis_pointers, claims.c.encounter_id, claims.c.model_version,
            claim_payments.c.status, remittance_files.c.received_at,
        ],
        model_version, since, until,
    ).join(
        claim_lines,
        and_(claim_lines.c.claim_id == line_links.c.claim_id, claim_lines.c.line_number == line_links.c.line_number),
    ).order_by(remit_lines.c.id)  # fmt: skip
    result = conn.execution_options(yield_per=chunk).execute(main)
    for rows in result.partitions():
        lo, hi = rows[0].id, rows[-1].id
        in_range = remit_lines.c.id.between(lo, hi)
        reasons: dict[int, list[tuple[str, str]]] = {}
        adj_query = _filtered(
            [adjustments.c.remit_line_id, adjustments.c.group_code, adjustments.c.reason],
            model_version, since, until,
        ).join(adjustments, adjustments.c.remit_line_id == remit_lines.c.id)  # fmt: skip
        for a in conn.execute(adj_query.where(in_range).order_by(adjustments.c.id)):
            reasons.setdefault(a.remit_line_id, []).append((a.group_code, a.reason))
        dx_query = (
            _filtered([claim_diagnoses.c.claim_id, claim_diagnoses.c.sequence, claim_diagnoses.c.code],
                      model_version, since, until)
            .join(claim_diagnoses, claim_diagnoses.c.claim_id == line_links.c.claim_id)
            .where(in_range)
            .distinct()
        )  # fmt: skip
        diagnoses: dict[str, dict[int, str]] = {}
        for d in conn.execute(dx_query):
            diagnoses.setdefault(d.claim_id, {})[d.sequence] = d.code
        for r in rows:
            groups = reasons.get(r.id, [])
            claim_dx = diagnoses.get(r.claim_id, {})
            pointers = [int(p) for p in r.diagnosis_pointers.split(",") if p]
            yield RemittedLine(
                remit_line_id=r.id, claim_id=r.claim_id, encounter_id=r.encounter_id,
                model_version=r.model_version, line_number=r.line_number, procedure=r.procedure,
                diagnoses=tuple(claim_dx[p] for p in pointers if p in claim_dx),
                charge=from_cents(r.charge_cents), paid=from_cents(r.paid_cents),
                carcs=tuple(dict.fromkeys(reason for _, reason in groups)), payment_status=r.status,
                received_at=r.received_at,
                denied=_is_denied(r.status, r.charge_cents, r.paid_cents, groups),
            )  # fmt: skip
