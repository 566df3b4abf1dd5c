"""Audit events and the hash that chains each one to the previous one.

An event records *that* something happened to a document's codes, never the note text: the
document is named by an opaque id and the payload holds only codes, probabilities, a route and a
reason from a fixed menu (pydantic forbids any other field, so free text cannot slip in).

The hash of an event is SHA-256 over the canonical JSON (:func:`canonical_json`) of its fields, its
sequence number and the previous event's hash. Changing any field, the order, or removing an event
therefore changes a hash that a later event (or the chain head) still refers to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medcoder.audit.roles import Role

HASH_VERSION = 1
GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event."""

# Opaque identifiers: no spaces, so a sentence of note text cannot be passed off as an id.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$"


class EventType(StrEnum):
    SUGGESTED = "suggested"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MODIFIED = "modified"
    ADDED = "added"
    ESCALATED = "escalated"
    EXPORTED = "exported"
    FINALIZED = "finalized"  # a coder closed a reviewed chart with its final codes
    SHIFT_CHECKED = "shift_checked"  # a traffic window's two-sample test against the calibration charts
    MONITOR_BREACH = "monitor_breach"  # a monitoring report found a threshold breached: route to review
    MONITOR_CLEARED = "monitor_cleared"  # a later report (or a person) found the model version healthy


class Reason(StrEnum):
    """The standard menu of reasons a coder gives for a decision."""

    DOCUMENTATION_DOES_NOT_SUPPORT = "documentation_does_not_support"
    MORE_SPECIFIC_CODE_AVAILABLE = "more_specific_code_available"
    PAYER_RULE = "payer_rule"
    CODING_GUIDELINE = "coding_guideline"
    CLINICAL_JUDGEMENT = "clinical_judgement"
    OTHER = "other"


# Decisions that must say why; the codes they act on must be named.
NEEDS_REASON = frozenset({EventType.REJECTED, EventType.MODIFIED, EventType.ADDED, EventType.ESCALATED})
NEEDS_CODES = frozenset(
    {EventType.SUGGESTED, EventType.ACCEPTED, EventType.REJECTED, EventType.MODIFIED, EventType.ADDED}
)


class OffsetRef(BaseModel):
    """Where in the note a code's evidence lies: character offsets only, never the text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> OffsetRef:
        if self.end <= self.start:
            raise ValueError(f"evidence offsets must satisfy start < end (got {self.start}, {self.end})")
        return self


class CodeRef(BaseModel):
    """A code named in an event, with the calibrated probability when the model suggested it and,
    for a code a coder adds or substitutes, the offsets of the text that supports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(min_length=1, max_length=16)
    code: str = Field(pattern=r"^[A-Za-z0-9.\-]{1,16}$")
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: tuple[OffsetRef, ...] = Field(default=(), max_length=20)


class ShiftCheck(BaseModel):
    """A window two-sample test's result (``medcoder.routing.shift``): numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_window: int = Field(ge=1)
    n_reference: int = Field(ge=1)
    accuracy: float = Field(ge=0.0, le=1.0)
    p_value: float = Field(ge=0.0, le=1.0)
    shifted: bool


_CATEGORY = r"^[a-z0-9_]{1,32}$"


class NoteProfile(BaseModel):
    """Numeric descriptors of a coded note (``medcoder.monitoring.profile``) for input-drift reports.

    Counts, shares and a low-dimensional random projection of the note's sentence embedding: enough
    to tell that traffic changed, not enough to read a note back (no text, no tokens).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    chars: int = Field(ge=0)
    words: int = Field(ge=0)
    sentences: int = Field(ge=0)
    lines: int = Field(ge=0)
    sections: int = Field(ge=0)
    mean_word_length: float = Field(ge=0.0)
    digit_share: float = Field(ge=0.0, le=1.0)
    non_letter_share: float = Field(ge=0.0, le=1.0)
    upper_share: float = Field(ge=0.0, le=1.0)
    setting: str = Field(pattern=_CATEGORY)
    doc_type: str = Field(pattern=_CATEGORY)
    source: str = Field(pattern=_CATEGORY)
    embedding: tuple[float, ...] = Field(default=(), max_length=32)

    @field_validator("embedding")
    @classmethod
    def _bounded(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not -1.0 <= v <= 1.0 for v in value):
            raise ValueError("embedding components are projections of a unit vector: each in [-1, 1]")
        return value


class MonitorCheck(BaseModel):
    """A monitoring report's verdict on one model version and window (numbers and rule names only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_start: str
    window_end: str
    n_charts: int = Field(ge=0)
    breaches: tuple[str, ...] = Field(default=(), max_length=32)

    @field_validator("breaches")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9_.]{1,64}", name):
                raise ValueError(f"breach names are threshold keys like 'input_drift.share', got {name!r}")
        return value

    @field_validator("window_start", "window_end")
    @classmethod
    def _utc(cls, value: str) -> str:
        return utc_timestamp(dt.datetime.fromisoformat(value))


class EventPayload(BaseModel):
    """What an event is about: codes (and the ones they replace), route, reason. No free text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    codes: tuple[CodeRef, ...] = ()
    previous_codes: tuple[CodeRef, ...] = ()
    reason: Reason | None = None
    route: str | None = Field(default=None, pattern=r"^[a-z_]{1,32}$")
    count: int | None = Field(default=None, ge=0)
    shift: ShiftCheck | None = None
    profile: NoteProfile | None = None
    monitor: MonitorCheck | None = None


class AuditEvent(BaseModel):
    """One thing that happened, before it is stored (the store adds ``seq`` and the hashes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: EventType
    actor_id: str = Field(pattern=ID_PATTERN)
    actor_role: Role
    request_id: str = Field(pattern=ID_PATTERN)
    document_id: str = Field(pattern=ID_PATTERN)
    model_version: str = Field(pattern=ID_PATTERN)
    code_set_versions: dict[str, str] = Field(default_factory=dict)
    payload: EventPayload = Field(default_factory=EventPayload)
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[0-9a-f]{32}$")
    occurred_at: str | None = None

    @model_validator(mode="after")
    def _check(self) -> AuditEvent:
        if self.event_type in NEEDS_REASON and self.payload.reason is None:
            raise ValueError(
                f"a {self.event_type} event needs a reason from the menu: {[r.value for r in Reason]}"
            )
        if self.event_type in NEEDS_CODES and not self.payload.codes:
            raise ValueError(f"a {self.event_type} event needs at least one code in payload.codes")
        if self.event_type == EventType.MODIFIED and not self.payload.previous_codes:
            raise ValueError("a modified event needs payload.previous_codes (the codes it replaces)")
        for key, value in self.code_set_versions.items():
            if len(key) > 32 or len(value) > 64:
                raise ValueError("code_set_versions keys are at most 32 and values 64 characters")
        return self

    @field_validator("occurred_at")
    @classmethod
    def _normalise_time(cls, value: str | None) -> str | None:
        return None if value is None else utc_timestamp(dt.datetime.fromisoformat(value))


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as it lies in the store: every hashed field in its stored (JSON) form."""

    seq: int
    event_id: str
    event_type: str
    occurred_at: str
    actor_id: str
    actor_role: str
    request_id: str
    document_id: str
    model_version: str
    code_set_versions: dict[str, Any]
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def hashed_fields(self) -> dict[str, Any]:
        """The fields the hash covers (everything except the hash itself), plus the format version."""
        return {
            "v": HASH_VERSION,
            "seq": self.seq,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at,
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "request_id": self.request_id,
            "document_id": self.document_id,
            "model_version": self.model_version,
            "code_set_versions": self.code_set_versions,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def expected_hash(self) -> str:
        """The hash these fields should have; differs from :attr:`hash` when a field was edited."""
        return sha256_hex(canonical_json(self.hashed_fields()))


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text, no NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_timestamp(when: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds and a ``Z`` (``2026-11-28T06:17:00.000000Z``); naive is refused."""
    when = when or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seal(event: AuditEvent, seq: int, prev_hash: str, occurred_at: str) -> StoredEvent:
    """Turn an event into its stored form at position ``seq`` after ``prev_hash``, with its hash."""
    unsealed = StoredEvent(
        seq=seq,
        event_id=event.event_id,
        event_type=event.event_type.value,
        occurred_at=occurred_at,
        actor_id=event.actor_id,
        actor_role=event.actor_role.value,
        request_id=event.request_id,
        document_id=event.document_id,
        model_version=event.model_version,
        code_set_versions=dict(event.code_set_versions),
        payload=event.payload.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        prev_hash=prev_hash,
        hash="",
    )
    return StoredEvent(**{**_as_dict(unsealed), "hash": unsealed.expected_hash()})


def _as_dict(event: StoredEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in StoredEvent.__slots__}
