"""A model version's monitoring report for one window: drift, coder feedback, denials, breaches.

``monitor_window`` puts the parts together and applies the thresholds of ``configs/monitoring.yaml``;
``save_report`` writes ``monitoring/reports/<model-version>/<window>/``:

- ``drift.html`` / ``drift.json``: the Evidently snapshot of input and prediction drift
  (``*.snapshot.json`` beside each: the full snapshot, ``evidently.core.report.Snapshot.load``);
- ``embeddings.html`` / ``embeddings.json``: the embedding classifier drift (when embeddings exist);
- ``outcomes.html`` / ``outcomes.json``: Evidently statistics of coder decisions and remitted lines;
- ``summary.json``: every figure of this page, the breaches, and the reference it was compared with.

A breach becomes a ``monitor_breach`` audit event (``breach_event``); the service reads the newest
monitoring event of its model version and, while it is a breach, keeps charts out of auto-finalization
(``coding.hold``). A report without breaches writes ``monitor_cleared``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.metrics import MeanValue, UniqueValueCount

from medcoder.audit.events import AuditEvent, EventPayload, EventType, MonitorCheck
from medcoder.audit.roles import Role
from medcoder.monitoring.config import MonitorConfig
from medcoder.monitoring.denials import CodeSpike, DenialSummary
from medcoder.monitoring.drift import DriftResult, drift_report
from medcoder.monitoring.quality import FeedbackSummary
from medcoder.monitoring.records import json_friendly
from medcoder.monitoring.reference import Reference, version_folder
from medcoder.monitoring.window import WindowData, chart_frame

MONITOR_ACTOR = "medcoder-monitor"


@dataclass(frozen=True)
class Breach:
    """A threshold crossed: ``key`` names it (``input.drifted_share``), with the value and the limit."""

    key: str
    value: float
    limit: float
    message: str


@dataclass(frozen=True)
class MonitorReport:
    model_version: str
    window: WindowData
    reference: Reference
    drift: DriftResult | None
    denials: DenialSummary | None
    spikes: tuple[CodeSpike, ...]
    breaches: tuple[Breach, ...]
    outcomes: Snapshot | None = field(default=None, repr=False)

    @property
    def feedback(self) -> FeedbackSummary:
        assert self.window.feedback is not None
        return self.window.feedback

    def summary(self) -> dict[str, Any]:
        """Everything but the snapshots, JSON-friendly (NaN as null)."""
        d = self.drift
        return json_friendly({
            "model_version": self.model_version,
            "window": {"start": self.window.window.start, "end": self.window.window.end,
                       "name": self.window.window.name},
            "n_events": self.window.n_events,
            "events_by_type": dict(self.window.events_by_type),
            "n_charts": len(self.window.charts),
            "reference": self.reference.card,
            "drift": None if d is None else {
                "input_p_values": d.input_p,
                "prediction_p_values": d.prediction_p,
                "embedding_auc": d.embedding_auc,
                "embedding_p_value": d.embedding_p,
                "code_drift": {"p_value": d.codes.p_value, "largest_changes": [list(c) for c in d.codes.changes]},
                "skipped": list(d.skipped),
            },
            "feedback": self.feedback.to_dict(),
            "denials": None if self.denials is None else self.denials.to_dict(),
            "denial_spikes": [dataclasses.asdict(s) for s in self.spikes],
            "breaches": [dataclasses.asdict(b) for b in self.breaches],
        })  # fmt: skip


def breaches_of(
    drift: DriftResult | None,
    feedback: FeedbackSummary,
    denials: DenialSummary | None,
    spikes: Sequence[Any],
    n_charts: int,
    config: MonitorConfig,
) -> list[Breach]:
    """The thresholds this window crosses (none for a window under ``min_charts`` charts)."""
    out: list[Breach] = []
    if n_charts < config.min_charts:
        return out
    if drift is not None:
        alpha = config.drift_p_value
        for key, p_values, limit in (
            ("input.drifted_share", drift.input_p, config.input.max_drifted_share),
            ("prediction.drifted_share", drift.prediction_p, config.prediction.max_drifted_share),
        ):
            drifted = drift.drifted(p_values, alpha)
            share = len(drifted) / len(p_values) if p_values else 0.0
            if share >= limit:
                out.append(Breach(key, share, limit, f"{len(drifted)} of {len(p_values)} columns drifted "
                                  f"(p < {alpha}): {', '.join(drifted)}"))  # fmt: skip
        auc, p_auc = drift.embedding_auc, drift.embedding_p
        if auc is not None and p_auc is not None and auc > config.input.max_embedding_auc and p_auc < alpha:
            out.append(Breach("input.embedding_auc", auc, config.input.max_embedding_auc,
                              f"a classifier tells window from reference embeddings apart (ROC AUC {auc:.3f}, "
                              f"p {p_auc:.2g})"))  # fmt: skip
        p = drift.codes.p_value
        if not math.isnan(p) and p < config.prediction.code_p_value:
            out.append(Breach("prediction.code_p_value", p, config.prediction.code_p_value,
                              f"code distribution changed (chi-square p {p:.2g})"))  # fmt: skip
    q = config.quality
    if feedback.n_decided_codes >= q.min_decided:
        if feedback.override_rate > q.max_override_rate:
            out.append(Breach("quality.override_rate", feedback.override_rate, q.max_override_rate,
                              f"coders overrode {feedback.override_rate:.1%} of decided suggestions"))  # fmt: skip
        miss = feedback.n_added / feedback.n_decided_codes
        if miss > q.max_miss_rate:
            out.append(Breach("quality.miss_rate", miss, q.max_miss_rate,
                              f"coders added {feedback.n_added} codes for {feedback.n_decided_codes} decided"))  # fmt: skip
    dn = config.denials
    if denials is not None and denials.n_lines >= dn.min_lines and denials.denial_rate > dn.max_denial_rate:
        out.append(Breach("denials.rate", denials.denial_rate, dn.max_denial_rate,
                          f"{denials.n_denied} of {denials.n_lines} remitted lines denied"))  # fmt: skip
    if spikes:
        top = spikes[0]
        out.append(Breach("denials.code_spike", float(top.p_adjusted), dn.spike_alpha,
                          f"denial rate rose on {len(spikes)} code(s), most on {top.code} "
                          f"({top.rate_reference:.1%} -> {top.rate_current:.1%})"))  # fmt: skip
    return out


def outcomes_snapshot(decisions: pd.DataFrame | None, denial_rows: pd.DataFrame | None) -> Snapshot | None:
    """Evidently statistics of coder decisions and remitted lines (current window only)."""
    frames, metrics = [], []
    if decisions is not None and len(decisions):
        d = pd.DataFrame({"decision_accepted": (decisions["decision"] == "accepted").astype(float),
                          "override_reason": decisions["reason"].astype(str)})  # fmt: skip
        frames.append(d)
        metrics += [MeanValue(column="decision_accepted"), UniqueValueCount(column="override_reason")]
    if denial_rows is not None and len(denial_rows):
        frames.append(pd.DataFrame({"line_denied": denial_rows["denied"].astype(float),
                                    "denial_bucket": denial_rows["bucket"].astype(str)}))  # fmt: skip
        metrics += [MeanValue(column="line_denied"), UniqueValueCount(column="denial_bucket")]
    if not frames:
        return None
    frame = pd.concat(frames, axis=0, ignore_index=True)
    numeric = [c for c in ("decision_accepted", "line_denied") if c in frame]
    categorical = [c for c in ("override_reason", "denial_bucket") if c in frame]
    for c in categorical:
        frame[c] = frame[c].fillna("n/a")
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    return Report(metrics).run(current_data=Dataset.from_pandas(frame, data_definition=definition))


def monitor_window(
    window: WindowData,
    reference: Reference,
    config: MonitorConfig,
    *,
    denials: DenialSummary | None = None,
    spikes: Sequence[Any] = (),
    decisions: pd.DataFrame | None = None,
    denial_rows: pd.DataFrame | None = None,
) -> MonitorReport:
    """Compare ``window`` with ``reference`` and apply ``config``'s thresholds."""
    assert window.feedback is not None
    current = chart_frame(window.charts.values())
    drift = drift_report(reference.frame, current, config) if len(current) and len(reference.frame) else None
    breaches = breaches_of(drift, window.feedback, denials, spikes, len(window.charts), config)
    return MonitorReport(window.model_version, window, reference, drift, denials, tuple(spikes),
                         tuple(breaches), outcomes_snapshot(decisions, denial_rows))  # fmt: skip


def report_folder(root: str | Path, report: MonitorReport) -> Path:
    return Path(root) / version_folder(report.model_version) / report.window.window.name


def save_report(report: MonitorReport, root: str | Path) -> Path:
    """Write the report's files under ``root/<model-version>/<window>/``; returns that folder."""
    folder = report_folder(root, report)
    folder.mkdir(parents=True, exist_ok=True)
    snapshots = {"outcomes": report.outcomes}
    if report.drift is not None:
        snapshots |= {"drift": report.drift.snapshot, "embeddings": report.drift.embedding_snapshot}
    for name, snap in snapshots.items():
        if snap is not None:
            snap.save_html(str(folder / f"{name}.html"))
            snap.save_json(str(folder / f"{name}.json"))  # metric results, for reading
            (folder / f"{name}.snapshot.json").write_text(snap.dumps(), encoding="utf-8")  # Snapshot.load
    text = json.dumps(report.summary(), indent=2, sort_keys=True, allow_nan=False)
    (folder / "summary.json").write_text(text + "\n", encoding="utf-8")
    return folder


def add_to_workspace(report: MonitorReport, workspace: str | Path) -> None:
    """Add the report's snapshots to a local Evidently workspace (one project per model version).

    Open it with ``evidently ui --workspace <workspace>``.
    """
    from evidently.ui.workspace import Workspace  # the UI stack: only when a workspace is asked for

    ws = Workspace.create(str(workspace))
    name = f"medcoder {report.model_version}"
    found = ws.search_project(name)
    project = found[0] if found else ws.create_project(name, description="medcoder monitoring per window")
    snaps = [report.outcomes] + (
        [report.drift.snapshot, report.drift.embedding_snapshot] if report.drift else []
    )
    for snap in snaps:
        if snap is not None:
            ws.add_run(project.id, snap, name=report.window.window.name)


def breach_event(report: MonitorReport) -> AuditEvent:
    """``monitor_breach`` when any threshold is crossed, else ``monitor_cleared``: numbers and keys only."""
    w = report.window.window
    kind = EventType.MONITOR_BREACH if report.breaches else EventType.MONITOR_CLEARED
    return AuditEvent(
        event_type=kind,
        actor_id=MONITOR_ACTOR,
        actor_role=Role.SERVICE,
        request_id=uuid.uuid4().hex,
        document_id="monitoring-window",
        model_version=report.model_version,
        payload=EventPayload(
            count=len(report.breaches),
            route="review" if report.breaches else None,
            monitor=MonitorCheck(
                window_start=w.start,
                window_end=w.end,
                n_charts=len(report.window.charts),
                breaches=tuple(b.key for b in report.breaches),
            ),  # fmt: skip
        ),
    )
