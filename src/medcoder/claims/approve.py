"""Which codes a chart was approved with: the model's suggestions plus the coders' decisions.

A claim may only carry codes someone (or the certified router) approved. The audit trail holds
both halves: the ``suggested`` event of a coding request (its codes and route) and the coder
decisions recorded after it (``accepted``, ``rejected``, ``modified``, ``added``, ``escalated``).
:func:`approved_codes` replays them in sequence order:

- start from the suggested codes of the request (the latest ``suggested`` event for the document,
  or the one whose request id is given);
- a rejection drops its codes, a modification replaces ``previous_codes`` with ``codes``, an
  addition appends its codes, an acceptance marks codes as decided;
- a ``finalized`` event (a coder closing the chart from the review worklist) states the whole final
  set: its codes replace the running set and every suggested code counts as decided;
- the chart is approved when the router auto-finalized it, or when every suggested code has a
  decision (accepted, rejected or modified) and the last decision is not an open escalation.

Anything else raises :class:`NotApproved` saying why, so an export never bills an undecided chart.
Diagnoses keep the order of the suggestion (additions after), with the first one principal unless
the caller names a principal diagnosis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medcoder.audit.events import EventType, StoredEvent
from medcoder.errors import MedcoderError

DIAGNOSIS_SYSTEMS = frozenset({"ICD-10-CM"})
PROCEDURE_SYSTEMS = frozenset({"CPT", "HCPCS"})
DECIDING = frozenset({EventType.ACCEPTED.value, EventType.REJECTED.value, EventType.MODIFIED.value})
DECISIONS = DECIDING | {EventType.ADDED.value, EventType.ESCALATED.value, EventType.FINALIZED.value}


class NotApproved(MedcoderError):
    """The chart's codes are not approved yet (nothing suggested, undecided codes, open escalation)."""


@dataclass(frozen=True)
class ApprovedCodes:
    """The codes a chart was approved with and where the approval came from.

    ``decision_seqs`` are the audit sequence numbers of the coder decisions applied (empty for an
    auto-finalized chart), so a remittance can be traced to the people and model that coded it.
    ``min_probability`` is the lowest model probability among the suggested codes and
    ``overridden`` says whether a coder changed the suggestion (both are denial-model features).
    """

    document_id: str
    request_id: str
    model_version: str
    route: str
    diagnoses: tuple[str, ...]
    procedures: tuple[tuple[str, str], ...]
    suggested_seq: int
    decision_seqs: tuple[int, ...] = ()
    min_probability: float | None = None
    overridden: bool = False

    @property
    def auto_finalized(self) -> bool:
        """True when no coder decision was needed (the router auto-finalized the chart)."""
        return self.route == "auto" and not self.decision_seqs


def _codes(event: StoredEvent, key: str = "codes") -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in event.payload.get(key, [])]


def approved_codes(
    events: Iterable[StoredEvent], document_id: str, *, request_id: str | None = None
) -> ApprovedCodes:
    """Replay ``events`` (any order; filtered to ``document_id``) into the approved code set."""
    mine = sorted((e for e in events if e.document_id == document_id), key=lambda e: e.seq)
    suggested = [e for e in mine if e.event_type == EventType.SUGGESTED.value]
    if request_id is not None:
        suggested = [e for e in suggested if e.request_id == request_id]
    if not suggested:
        which = f"request {request_id}" if request_id else "any request"
        raise NotApproved(f"document {document_id}: no suggested codes recorded for {which}")
    base = suggested[-1]
    later = [e for e in mine if e.seq > base.seq and e.event_type in DECISIONS]
    codes: list[tuple[str, str]] = list(dict.fromkeys(_codes(base)))
    undecided = set(codes)
    for event in later:
        named = _codes(event)
        if event.event_type == EventType.REJECTED.value:
            codes = [c for c in codes if c not in named]
        elif event.event_type == EventType.MODIFIED.value:
            old = _codes(event, "previous_codes")
            at = min((codes.index(c) for c in old if c in codes), default=len(codes))
            codes = [c for c in codes if c not in old]
            codes[at:at] = [c for c in named if c not in codes]
            undecided -= set(old)
        elif event.event_type == EventType.ADDED.value:
            codes += [c for c in named if c not in codes]
        elif event.event_type == EventType.FINALIZED.value:
            codes = list(dict.fromkeys(named))
            undecided = set()
        undecided -= set(named)
    route = str(base.payload.get("route", ""))
    if later and later[-1].event_type == EventType.ESCALATED.value:
        raise NotApproved(f"document {document_id}: escalated to a senior coder and not decided since")
    if route != "auto" and undecided:
        shown = ", ".join(sorted(code for _, code in undecided))
        raise NotApproved(
            f"document {document_id}: routed to {route or 'review'}; no coder decision on {shown}"
        )
    probabilities = [
        c["probability"] for c in base.payload.get("codes", []) if c.get("probability") is not None
    ]
    changed = {EventType.REJECTED.value, EventType.MODIFIED.value, EventType.ADDED.value}
    if set(codes) != set(dict.fromkeys(_codes(base))):
        changed |= {EventType.FINALIZED.value}
    diagnoses = tuple(code for system, code in codes if system in DIAGNOSIS_SYSTEMS)
    procedures = tuple((system, code) for system, code in codes if system in PROCEDURE_SYSTEMS)
    if not diagnoses:
        raise NotApproved(f"document {document_id}: no approved ICD-10-CM diagnosis to bill with")
    return ApprovedCodes(
        document_id=document_id,
        request_id=base.request_id,
        model_version=base.model_version,
        route=route,
        diagnoses=diagnoses,
        procedures=procedures,
        suggested_seq=base.seq,
        decision_seqs=tuple(e.seq for e in later),
        min_probability=min(probabilities) if probabilities else None,
        overridden=any(e.event_type in changed for e in later),
    )


def with_principal(codes: ApprovedCodes, principal: str | None) -> tuple[str, ...]:
    """The diagnoses with ``principal`` moved first (it must be one of the approved diagnoses)."""
    if principal is None:
        return codes.diagnoses
    if principal not in codes.diagnoses:
        raise NotApproved(
            f"principal diagnosis {principal} is not among the approved codes {list(codes.diagnoses)}"
        )
    return (principal, *(c for c in codes.diagnoses if c != principal))


def x12_diagnosis(code: str) -> str:
    """ICD-10-CM as X12 carries it: no dot (``E11.22`` -> ``E1122``)."""
    return code.replace(".", "").upper()


def dotted_diagnosis(code: str) -> str:
    """ICD-10-CM with its dot restored after the category (``E1122`` -> ``E11.22``)."""
    bare = x12_diagnosis(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def decision_events(events: Sequence[StoredEvent], codes: ApprovedCodes) -> list[StoredEvent]:
    """The coder decision events an approval used (for linkage and reports)."""
    wanted = set(codes.decision_seqs)
    return [e for e in events if e.seq in wanted]
