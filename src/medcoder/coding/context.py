"""What coding a chart needs besides the ``Document``, and the text clean-up every caller shares.

``EncounterContext``: the billed E/M code to level-check, prior-year HCCs for recapture, whether
evidence spans are wanted, and optional encounter metadata for choosing the E/M family. ``normalise_text`` keeps every character offset, so evidence spans index
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
    """Request facts that are not part of the ``Document``: billed E/M, prior HCCs, evidence wanted,
    and the encounter class / place of service / new-patient flag that pick the E/M family."""

    em_code: str | None = None
    prior_hccs: tuple[str, ...] = ()
    want_evidence: bool = True
    # E/M family selection when no E/M code is billed (medcoder.rules.em.families). encounter_class:
    # FHIR v3 ActCode AMB, EMER, IMP, ACUTE, NONAC, OBSENC, HH, VR, SS, or NF/SNF (nursing facility);
    # place_of_service: CMS two-digit POS code (11 office, 12 home, 19/22 outpatient hospital,
    # 21 inpatient, 23 ED, 31/32 nursing facility); new_patient: None when not known.
    encounter_class: str | None = None
    new_patient: bool | None = None
    place_of_service: str | None = None


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
