"""One monitoring run: read the window, compare it with the reference, save, record the verdict.

``run_monitor`` is what ``medcoder monitor report``, the DVC ``monitor`` stage and the notebook call.
Denials come from the claims store when one is given: the remitted lines received in the window,
joined to the charts that were billed (their latest ``suggested`` event, wherever it falls before
the window's end), and compared code by code with the window just before for a spike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from medcoder.audit.events import utc_timestamp
from medcoder.audit.store import AuditStore
from medcoder.claims.store import ClaimsStore
from medcoder.monitoring.config import MonitorConfig
from medcoder.monitoring.denials import (
    DenialSummary,
    attribute_spike,
    code_counts,
    denial_frame,
    denial_summary,
)
from medcoder.monitoring.records import ChartRow
from medcoder.monitoring.reference import Reference
from medcoder.monitoring.report import (
    MonitorReport,
    add_to_workspace,
    breach_event,
    monitor_window,
    save_report,
)
from medcoder.monitoring.window import CHART_EVENTS, OVERRIDE_EVENTS, Window, chart_row, read_window

log = logging.getLogger(__name__)


def previous_window(window: Window) -> Window:
    """The window of the same length that ends where ``window`` starts."""
    start, end = dt.datetime.fromisoformat(window.start), dt.datetime.fromisoformat(window.end)
    return Window(utc_timestamp(start - (end - start)), window.start)


def billed_charts(
    audit: AuditStore, model_version: str, documents: Collection[str], until: str
) -> tuple[dict[str, ChartRow], set[str]]:
    """The latest chart row of each of ``documents`` before ``until``, and which a coder overrode."""
    charts: dict[str, ChartRow] = {}
    overridden: set[str] = set()
    wanted = set(documents)
    events = audit.stream(
        model_version=model_version, until=until, event_types=CHART_EVENTS + OVERRIDE_EVENTS
    )
    for event in events:
        if event.document_id not in wanted:
            continue
        if event.event_type in CHART_EVENTS:
            charts[event.document_id] = chart_row(event)
        else:
            overridden.add(event.document_id)
    return charts, overridden


def window_denials(
    claims: ClaimsStore, audit: AuditStore, model_version: str, window: Window, config: MonitorConfig
) -> tuple[DenialSummary | None, list, pd.DataFrame | None]:
    """Denial summary, code spikes against the previous window, and the lines' frame (None without lines)."""
    lines = list(claims.remitted_lines(model_version=model_version, since=window.start, until=window.end))
    if not lines:
        return None, [], None
    before = previous_window(window)
    earlier = list(claims.remitted_lines(model_version=model_version, since=before.start, until=before.end))
    charts, overridden = billed_charts(
        audit, model_version, {line.encounter_id for line in lines}, window.end
    )
    summary = denial_summary(lines, charts, overridden)
    spikes = (
        attribute_spike(code_counts(lines), code_counts(earlier), alpha=config.denials.spike_alpha)
        if earlier
        else []
    )
    return summary, spikes, denial_frame(lines, charts, overridden)


def run_monitor(
    audit: AuditStore,
    model_version: str,
    window: Window,
    reference: Reference,
    config: MonitorConfig,
    *,
    out: str | Path = "monitoring/reports",
    claims: ClaimsStore | None = None,
    workspace: str | Path | None = None,
    record: bool = True,
) -> tuple[MonitorReport, Path]:
    """Report ``model_version`` over ``window``; save it, add it to ``workspace``, record the verdict."""
    if reference.model_version != model_version:
        log.warning("reference was built for %s, monitoring %s", reference.model_version, model_version)
    data = read_window(audit, model_version, window)
    denials, spikes, lines = (
        window_denials(claims, audit, model_version, window, config)
        if claims is not None
        else (None, [], None)
    )
    report = monitor_window(data, reference, config, denials=denials, spikes=spikes,
                            decisions=data.decisions, denial_rows=lines)  # fmt: skip
    folder = save_report(report, out)
    if workspace is not None:
        add_to_workspace(report, workspace)
    if record:
        audit.append(breach_event(report))
    log.info("monitoring %s %s: %d charts, %d breaches -> %s", model_version, window.name,
             len(data.charts), len(report.breaches), folder)  # fmt: skip
    return report, folder
