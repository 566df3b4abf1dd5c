"""What coding a chart needs besides the ``Document``, and the text clean-up every caller shares.

``EncounterContext``: the billed E/M code to level-check, prior-year HCCs for recapture, and whether
evidence spans are wanted. ``normalise_text`` keeps every character offset, so evidence spans index
the note exactly as the caller gave it. ``document_from_text`` is how a plain note becomes a
``Document`` with the same defaults in the CLI and the service (date of service: today, UTC).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from medcoder.data.records import Document, Patient, Setting


@dataclass(frozen=True, slots=True)
class EncounterContext:
    """Request facts that are not part of the ``Document``: billed E/M, prior HCCs, evidence wanted."""

    em_code: str | None = None
    prior_hccs: tuple[str, ...] = ()
    want_evidence: bool = True


def normalise_text(text: str) -> str:
    """Replace control characters (other than tab and newline) by spaces, keeping every offset:
    evidence spans index the text exactly as the caller sent it."""
    if text.isprintable():
        return text
    return "".join(c if c in "\t\n" or c.isprintable() or c.isspace() else " " for c in text).replace(
        "\r", "\n"
    )


def today_utc() -> dt.date:
    """The default date of service (the service and the CLI agree on UTC)."""
    return dt.datetime.now(dt.UTC).date()


def document_from_text(
    text: str,
    *,
    document_id: str | None = None,
    setting: Setting = Setting.UNKNOWN,
    patient: Patient | None = None,
    payer: str | None = None,
    date_of_service: dt.date | None = None,
    source: str = "text",
) -> Document:
    """A plain-text note as a ``Document``; the id defaults to a content hash (same note, same id)."""
    clean = normalise_text(text)
    return Document(
        id=document_id or f"doc-{hashlib.sha256(clean.encode()).hexdigest()[:16]}",
        text=clean,
        doc_type="note",
        setting=setting,
        patient=patient or Patient(),
        encounter_date=date_of_service or today_utc(),
        payer=payer.strip().upper() if payer else None,
        source=source,
    )
