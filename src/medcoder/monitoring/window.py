"""One model version's window of traffic, read from the audit trail in chunks.

A window is ``[start, end)`` in UTC. The audit store streams the model version's events in ``seq``
order, ``chunk`` rows at a time (``AuditStore.stream``), so memory holds one chunk of events plus
what is kept per chart: the latest ``suggested``/``viewed`` event of each document (codes,
probabilities, route, note descriptors) and the feedback counters (``quality``). A window of
100,000 events therefore needs memory for its charts' rows, never for the events themselves.

``chart_frame`` turns the chart rows into the table Evidently compares: the note's descriptors
(input drift) and what the model said (prediction drift: codes per chart, confidence, route, the
first code's category).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from medcoder.audit.events import StoredEvent, utc_timestamp
from medcoder.audit.store import AuditStore
from medcoder.monitoring.profile import (
    CATEGORICAL_COLUMNS,
    EMBEDDING_COLUMNS,
    NUMERIC_COLUMNS,
    profile_columns,
)
from medcoder.monitoring.quality import FeedbackAccumulator, FeedbackSummary
from medcoder.monitoring.records import ChartRow, code_key

CHART_EVENTS = ("suggested", "viewed")
OVERRIDE_EVENTS = ("rejected", "modified", "added")
PREDICTION_NUMERIC = ("n_codes", "max_probability", "min_probability", "mean_probability")
PREDICTION_CATEGORICAL = ("route", "first_category")


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC; ``name`` is the folder a report goes to (``20261201T000000Z-20261208T000000Z``)."""

    start: str
    end: str

    @classmethod
    def parse(cls, since: str, until: str) -> Window:
        """From ISO dates or times (a date is midnight UTC); refuses an empty or reversed window."""
        start, end = _utc(since), _utc(until)
        if end <= start:
            raise ValueError(f"window end {until!r} must be after its start {since!r}")
        return cls(start, end)

    @property
    def name(self) -> str:
        def short(ts: str) -> str:
            return ts[:19].replace("-", "").replace(":", "") + "Z"

        return f"{short(self.start)}-{short(self.end)}"


def _utc(value: str) -> str:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO date or time: {value!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return utc_timestamp(when)


@dataclass
class WindowData:
    """What one pass over a window's events gives."""

    model_version: str
    window: Window
    charts: dict[str, ChartRow] = field(default_factory=dict)
    overridden: set[str] = field(default_factory=set)
    feedback: FeedbackSummary | None = None
    decisions: pd.DataFrame | None = None
    n_events: int = 0
    events_by_type: Counter[str] = field(default_factory=Counter)


def chart_row(event: StoredEvent) -> ChartRow:
    """A ``suggested``/``viewed`` event as the chart it describes."""
    payload = event.payload
    codes = payload.get("codes", ())
    return ChartRow(
        document_id=event.document_id,
        model_version=event.model_version,
        occurred_at=event.occurred_at,
        route=payload.get("route", "unknown"),
        codes=tuple(code_key(c["system"], c["code"]) for c in codes),
        probabilities=tuple(float(c.get("probability", math.nan)) for c in codes),
        profile=profile_columns(payload["profile"]) if payload.get("profile") else {},
    )


def collect(
    events: Iterable[StoredEvent], model_version: str, window: Window, max_decisions: int = 50_000
) -> WindowData:
    """One pass: the latest chart row per document, who was overridden, feedback counters and the
    first ``max_decisions`` decided codes as a table."""
    data = WindowData(model_version, window)
    feedback = FeedbackAccumulator(model_version, max_rows=max_decisions)
    for event in events:
        data.n_events += 1
        data.events_by_type[event.event_type] += 1
        feedback.add(event)
        if event.event_type in CHART_EVENTS:
            data.charts[event.document_id] = chart_row(event)
        elif event.event_type in OVERRIDE_EVENTS:
            data.overridden.add(event.document_id)
    data.feedback = feedback.summary()
    data.decisions = feedback.decision_frame()
    return data


def read_window(store: AuditStore, model_version: str, window: Window, chunk: int = 5000) -> WindowData:
    """The model version's events in ``window``, streamed from ``store`` ``chunk`` rows at a time."""
    events = store.stream(model_version=model_version, since=window.start, until=window.end, chunk=chunk)
    return collect(events, model_version, window)


def first_category(codes: tuple[str, ...]) -> str:
    """The first diagnosis code's 3-character category (``ICD-10-CM:E11``), else its system, else none."""
    for key in codes:
        system, _, code = key.partition(":")
        if system == "ICD-10-CM":
            return f"{system}:{code[:3]}"
    return codes[0].partition(":")[0] if codes else "none"


def chart_frame(charts: Iterable[ChartRow]) -> pd.DataFrame:
    """One row per chart: note descriptors (NaN/"unknown" when none were recorded) and predictions."""
    rows = []
    for chart in charts:
        probs = [p for p in chart.probabilities if not math.isnan(p)]
        row: dict[str, float | str] = {
            "document_id": chart.document_id,
            "occurred_at": chart.occurred_at,
            "n_codes": float(len(chart.codes)),
            "max_probability": max(probs) if probs else math.nan,
            "min_probability": min(probs) if probs else math.nan,
            "mean_probability": sum(probs) / len(probs) if probs else math.nan,
            "route": chart.route,
            "first_category": first_category(chart.codes),
            "codes": "|".join(chart.codes),
        }
        row.update(chart.profile or profile_columns({}))
        rows.append(row)
    columns = ["document_id", "occurred_at", "codes", *PREDICTION_NUMERIC, *PREDICTION_CATEGORICAL,
               *NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS, *EMBEDDING_COLUMNS]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def code_counts(charts: Iterable[ChartRow]) -> Counter[str]:
    """How many charts each code was suggested on (the code distribution a drift test compares)."""
    counts: Counter[str] = Counter()
    for chart in charts:
        counts.update(set(chart.codes))
    return counts


def frame_code_counts(frame: pd.DataFrame) -> Counter[str]:
    """``code_counts`` of a ``chart_frame`` (its ``codes`` column)."""
    counts: Counter[str] = Counter()
    for joined in frame["codes"]:
        counts.update(set(filter(None, str(joined).split("|"))))
    return counts
