"""Coder-feedback quality of one model version: acceptance, overrides by reason, misses, per-code precision.

The audit trail records what the model suggested for a chart (a ``suggested`` event) and what coders
then decided (``accepted``, ``rejected``, ``modified``, ``added``, ``escalated``). Replaying those
decisions tells how often the model was right in review, which codes it gets wrong and which it misses.

The stream is read once, in sequence order, keeping only counters per code and the state of each
open document (its latest suggestion and the last decision on each suggested code), never the events:
a window of 100,000+ events fits in a few megabytes. The rules:

- A decision applies to the codes of the latest ``suggested`` event of its document before it; a
  newer ``suggested`` event (re-coding) starts a new chart, and the old chart's decisions stay counted.
- A suggested code decided twice counts its last decision. ``accepted`` counts it accepted;
  ``rejected`` and ``modified`` (the code among ``previous_codes``) count it overridden, with the reason.
- ``added`` of a code the model did not suggest is a miss; ``added`` of a suggested code is not.
- Codes a coder introduced (added, or the new codes of a modification) are not suggestions: a later
  ``accepted`` or ``rejected`` of one is not unmatched, and rejecting an added code withdraws the miss.
- ``accepted``/``rejected``/``modified`` naming any other unsuggested code counts only in
  ``n_unmatched_decisions`` (one per code); a decision on a document with no suggestion yet counts only
  in ``n_orphan_decisions`` (one per event).
- A chart is reviewed when it has at least one coder decision event, escalated when one is ``escalated``.
- Only events of the accumulator's model version count (``None``: all); other event types are ignored.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from medcoder.audit.events import EventType, StoredEvent
from medcoder.monitoring.intervals import probability_bucket, wilson_interval
from medcoder.monitoring.records import code_key, json_friendly

NO_REASON = "none"
UNKNOWN_ROUTE = "unknown"
ACCEPTED = "accepted"
OVERRIDDEN = "overridden"
DEFAULT_TOP_ADDED = 25
DEFAULT_MAX_ROWS = 50_000
FRAME_COLUMNS = ("code", "system", "decision", "reason", "probability", "probability_bucket")
# Upper bounds (exclusive, the last inclusive of 1.0) of the probability buckets of the decision frame.

_SUGGESTED = EventType.SUGGESTED.value
_ACCEPTED = EventType.ACCEPTED.value
_REJECTED = EventType.REJECTED.value
_MODIFIED = EventType.MODIFIED.value
_ADDED = EventType.ADDED.value
_ESCALATED = EventType.ESCALATED.value
DECISIONS = frozenset({_ACCEPTED, _REJECTED, _MODIFIED, _ADDED, _ESCALATED})

Key = tuple[str, str]
"""``(system, code)`` of a code named in an event."""
Decision = tuple[bool, str]
"""``(accepted, reason)`` of a suggested code's last decision (reason ``"none"`` when accepted)."""
Row = tuple[str, str, str, str, float, str]


def _rate(k: int, n: int) -> float:
    return k / n if n else math.nan


@dataclass(frozen=True, slots=True)
class CodePrecision:
    """Precision in review of one suggested code: accepted / decided, with its 95% Wilson interval."""

    code: str
    n_decided: int
    n_accepted: int
    precision: float
    low: float
    high: float


@dataclass(frozen=True)
class FeedbackSummary:
    """What coders made of one model version's suggestions (rates are NaN when their denominator is 0).

    ``acceptance_rate`` and ``override_rate`` are over decided suggested codes (they add up to 1);
    ``escalation_rate`` is escalated / reviewed charts and ``auto_share`` the charts routed ``auto``
    / all charts. ``added_by_code`` holds the most added codes (misses), most first, and ``per_code``
    every decided suggested code, most decided first.
    """

    model_version: str | None
    n_charts: int
    n_reviewed: int
    n_escalated: int
    n_suggested_codes: int
    n_decided_codes: int
    n_accepted_codes: int
    n_overridden_codes: int
    acceptance_rate: float
    override_rate: float
    overrides_by_reason: dict[str, int]
    n_added: int
    added_by_code: dict[str, int]
    per_code: tuple[CodePrecision, ...]
    escalation_rate: float
    charts_by_route: dict[str, int]
    auto_share: float
    n_unmatched_decisions: int
    n_orphan_decisions: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (NaN as ``None``, tuples as lists) for ``summary.json``."""
        return json_friendly(dataclasses.asdict(self))


@dataclass(slots=True)
class _Chart:
    """An open chart: its suggested codes (key -> probability) and what coders did with them."""

    codes: dict[Key, float]
    decisions: dict[Key, Decision] = dataclasses.field(default_factory=dict)
    coder_codes: set[Key] = dataclasses.field(default_factory=set)
    added: set[Key] = dataclasses.field(default_factory=set)
    reviewed: bool = False
    escalated: bool = False


def _keys(event: StoredEvent, field: str = "codes") -> list[Key]:
    return list(dict.fromkeys((c["system"], c["code"]) for c in event.payload.get(field, ())))


class FeedbackAccumulator:
    """Streams audit events of one model version into the counters of a :class:`FeedbackSummary`.

    ``model_version=None`` counts every version. ``max_rows`` bounds the rows kept for
    :meth:`decision_frame` (0, the default, keeps none). Events must come in increasing ``seq``.
    """

    def __init__(self, model_version: str | None = None, *, max_rows: int = 0) -> None:
        if max_rows < 0:
            raise ValueError(f"max_rows must be >= 0, got {max_rows}")
        self.model_version = model_version
        self.max_rows = max_rows
        self._last_seq: int | None = None
        self._charts: dict[str, _Chart] = {}
        self._rows: list[Row] = []
        self._n_charts = self._n_reviewed = self._n_escalated = self._n_suggested = 0
        self._n_decided = self._n_accepted = self._n_added = 0
        self._n_unmatched = self._n_orphan = 0
        self._routes: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._added: Counter[Key] = Counter()
        self._code_decided: Counter[Key] = Counter()
        self._code_accepted: Counter[Key] = Counter()

    def add(self, event: StoredEvent) -> None:
        """Count one event (ignored unless it is of this version and a suggestion or a coder decision)."""
        if self._last_seq is not None and event.seq <= self._last_seq:
            raise ValueError(f"events must come in increasing seq: {event.seq} after {self._last_seq}")
        self._last_seq = event.seq
        if self.model_version is not None and event.model_version != self.model_version:
            return
        kind = event.event_type
        if kind == _SUGGESTED:
            self._suggest(event)
            return
        if kind not in DECISIONS:
            return
        chart = self._charts.get(event.document_id)
        if chart is None:
            self._n_orphan += 1
            return
        if not chart.reviewed:
            chart.reviewed = True
            self._n_reviewed += 1
        reason = str(event.payload.get("reason", NO_REASON))
        if kind == _ACCEPTED:
            for key in _keys(event):
                self._decide(chart, key, (True, NO_REASON))
        elif kind == _REJECTED:
            for key in _keys(event):
                self._decide(chart, key, (False, reason))
        elif kind == _MODIFIED:
            for key in _keys(event, "previous_codes"):
                self._decide(chart, key, (False, reason), withdraw=False)
            chart.coder_codes.update(key for key in _keys(event) if key not in chart.codes)
        elif kind == _ADDED:
            for key in _keys(event):
                if key not in chart.codes and key not in chart.coder_codes:
                    chart.coder_codes.add(key)
                    chart.added.add(key)
                    self._added[key] += 1
                    self._n_added += 1
        elif not chart.escalated:
            chart.escalated = True
            self._n_escalated += 1

    def _suggest(self, event: StoredEvent) -> None:
        previous = self._charts.pop(event.document_id, None)
        if previous is not None:
            self._keep_rows(previous)
        codes: dict[Key, float] = {}
        for ref in event.payload.get("codes", ()):
            probability = ref.get("probability")
            codes.setdefault((ref["system"], ref["code"]), math.nan if probability is None else probability)
        self._charts[event.document_id] = _Chart(codes=codes)
        self._n_charts += 1
        self._n_suggested += len(codes)
        self._routes[str(event.payload.get("route", UNKNOWN_ROUTE))] += 1

    def _decide(self, chart: _Chart, key: Key, decision: Decision, *, withdraw: bool = True) -> None:
        """Record ``decision`` as the last one on ``key``, undoing the one it replaces."""
        if key not in chart.codes:
            accepted = decision[0]
            if withdraw and not accepted and key in chart.added:
                chart.added.discard(key)
                chart.coder_codes.discard(key)
                self._added[key] -= 1
                self._n_added -= 1
            elif key not in chart.coder_codes:
                self._n_unmatched += 1
            return
        old = chart.decisions.get(key)
        if old is not None:
            self._count(key, old, -1)
        chart.decisions[key] = decision
        self._count(key, decision, +1)

    def _count(self, key: Key, decision: Decision, sign: int) -> None:
        accepted, reason = decision
        self._n_decided += sign
        self._code_decided[key] += sign
        if accepted:
            self._n_accepted += sign
            self._code_accepted[key] += sign
        else:
            self._reasons[reason] += sign

    def _chart_rows(self, chart: _Chart) -> list[Row]:
        rows = []
        for key, probability in chart.codes.items():
            decision = chart.decisions.get(key)
            if decision is not None:
                label = ACCEPTED if decision[0] else OVERRIDDEN
                bucket = probability_bucket(probability)
                rows.append((key[1], key[0], label, decision[1], probability, bucket))
        return rows

    def _keep_rows(self, chart: _Chart) -> None:
        room = self.max_rows - len(self._rows)
        if room > 0:
            self._rows.extend(self._chart_rows(chart)[:room])

    def summary(self, top_added: int = DEFAULT_TOP_ADDED) -> FeedbackSummary:
        """The summary of the events added so far (open charts included); ``top_added`` misses kept."""
        n_overridden = self._n_decided - self._n_accepted
        per_code = []
        for key, n in self._code_decided.items():
            if n > 0:
                k = self._code_accepted[key]
                per_code.append(CodePrecision(code_key(*key), n, k, k / n, *wilson_interval(k, n)))
        per_code.sort(key=lambda c: (-c.n_decided, c.code))
        added = sorted(((code_key(*key), n) for key, n in self._added.items() if n > 0), key=_most_first)
        reasons = sorted(((r, n) for r, n in self._reasons.items() if n > 0), key=_most_first)
        routes = sorted(self._routes.items(), key=_most_first)
        return FeedbackSummary(
            model_version=self.model_version,
            n_charts=self._n_charts,
            n_reviewed=self._n_reviewed,
            n_escalated=self._n_escalated,
            n_suggested_codes=self._n_suggested,
            n_decided_codes=self._n_decided,
            n_accepted_codes=self._n_accepted,
            n_overridden_codes=n_overridden,
            acceptance_rate=_rate(self._n_accepted, self._n_decided),
            override_rate=_rate(n_overridden, self._n_decided),
            overrides_by_reason=dict(reasons),
            n_added=self._n_added,
            added_by_code=dict(added[:top_added]),
            per_code=tuple(per_code),
            escalation_rate=_rate(self._n_escalated, self._n_reviewed),
            charts_by_route=dict(routes),
            auto_share=_rate(self._routes.get("auto", 0), self._n_charts),
            n_unmatched_decisions=self._n_unmatched,
            n_orphan_decisions=self._n_orphan,
        )

    def decision_frame(self) -> pd.DataFrame:
        """The kept decision rows (see :func:`decision_frame`), open charts' rows after closed ones."""
        rows = list(self._rows)
        for chart in self._charts.values():
            room = self.max_rows - len(rows)
            if room <= 0:
                break
            rows.extend(self._chart_rows(chart)[:room])
        return pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS))


def _most_first(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def feedback_summary(
    events: Iterable[StoredEvent], model_version: str | None = None, *, top_added: int = DEFAULT_TOP_ADDED
) -> FeedbackSummary:
    """Summarise a stream of audit events (in seq order) for ``model_version`` (``None``: all)."""
    accumulator = FeedbackAccumulator(model_version)
    for event in events:
        accumulator.add(event)
    return accumulator.summary(top_added)


def decision_frame(
    events: Iterable[StoredEvent], model_version: str | None = None, *, max_rows: int = DEFAULT_MAX_ROWS
) -> pd.DataFrame:
    """One row per decided suggested code (its last decision), for an Evidently dataset.

    Columns: ``code``, ``system``, ``decision`` (``accepted`` or ``overridden``), ``reason`` (``"none"``
    when accepted), ``probability`` (NaN when the suggestion had none) and ``probability_bucket``.
    Rows come chart by chart in the order the charts closed: a re-coded chart when its new suggestion
    arrives, the others at the end of the stream in the order of their latest suggestion; codes in
    suggestion order. Only the first ``max_rows`` rows are kept (later ones are dropped, so the
    frame of a large window is a prefix of it, not a sample).
    """
    accumulator = FeedbackAccumulator(model_version, max_rows=max_rows)
    for event in events:
        accumulator.add(event)
    return accumulator.decision_frame()
