"""Monitoring reports over time: every saved window of every model version as one table.

``report.save_report`` writes ``<root>/<model-version folder>/<window>/summary.json`` per run.
``load_summaries`` reads them all back into one row per model version x window, so the notebook
(``notebooks/04-monitoring.py``) and its test plot and check the same trends: drifted columns,
embedding AUC, code drift, coder acceptance and overrides, denials and the breaches of each window.
``latest_p_values`` gives the per-column drift p-values of each version's newest window, and
``workspace_snapshot`` loads a window's drift snapshot back from a local Evidently workspace.

A column is counted drifted when its p-value is below ``drift_p_value`` (the threshold of
``configs/monitoring.yaml``); a p-value saved as null (a constant column, NaN) is not tested.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from evidently.core.report import Snapshot
from evidently.ui.workspace import Workspace

from medcoder.monitoring.config import load_monitor_config

SUMMARY_FILE = "summary.json"
COLUMNS = (
    "model_version",
    "window",
    "start",
    "end",
    "n_events",
    "n_charts",
    "n_input_columns",
    "n_drifted_input",
    "n_drifted_prediction",
    "embedding_auc",
    "embedding_p_value",
    "code_p_value",
    "acceptance_rate",
    "override_rate",
    "denial_rate",
    "breaches",
    "folder",
)
P_VALUE_COLUMNS = ("model_version", "window", "kind", "column", "p_value", "drifted")
PROJECT_PREFIX = "medcoder "
"""Evidently workspace project of a model version: ``"medcoder <model_version>"`` (``report.add_to_workspace``)."""


def summary_paths(root: str | Path) -> list[Path]:
    """Every ``<root>/<version>/<window>/summary.json``, sorted by path (none when ``root`` is absent)."""
    root = Path(root)
    return sorted(root.glob(f"*/*/{SUMMARY_FILE}")) if root.is_dir() else []


def read_summary(path: Path) -> dict[str, Any]:
    """One ``summary.json``; a file that is not JSON fails with its path."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a monitoring summary ({exc})") from None


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def n_drifted(p_values: Mapping[str, float | None], alpha: float) -> int:
    """Columns whose p-value is below ``alpha`` (a null p-value is not a test)."""
    return sum(1 for p in p_values.values() if p is not None and p < alpha)


def summary_row(summary: Mapping[str, Any], alpha: float, folder: Path | None = None) -> dict[str, Any]:
    """The table row of one window's summary (NaN for a part the window did not have)."""
    drift = summary.get("drift") or {}
    feedback = summary.get("feedback") or {}
    denials = summary.get("denials") or {}
    window = summary["window"]
    input_p = drift.get("input_p_values") or {}
    return {
        "model_version": summary["model_version"],
        "window": window["name"],
        "start": pd.Timestamp(window["start"]),
        "end": pd.Timestamp(window["end"]),
        "n_events": int(summary.get("n_events", 0)),
        "n_charts": int(summary.get("n_charts", 0)),
        "n_input_columns": sum(1 for p in input_p.values() if p is not None),
        "n_drifted_input": n_drifted(input_p, alpha),
        "n_drifted_prediction": n_drifted(drift.get("prediction_p_values") or {}, alpha),
        "embedding_auc": _num(drift.get("embedding_auc")),
        "embedding_p_value": _num(drift.get("embedding_p_value")),
        "code_p_value": _num((drift.get("code_drift") or {}).get("p_value")),
        "acceptance_rate": _num(feedback.get("acceptance_rate")),
        "override_rate": _num(feedback.get("override_rate")),
        "denial_rate": _num(denials.get("denial_rate")),
        "breaches": tuple(b["key"] for b in summary.get("breaches", ())),
        "folder": str(folder) if folder is not None else "",
    }


def load_summaries(root: str | Path, drift_p_value: float | None = None) -> pd.DataFrame:
    """One row per model version x window under ``root``, sorted by version then window start.

    ``drift_p_value`` defaults to ``load_monitor_config().drift_p_value``. An empty ``root`` gives an
    empty table with the same columns (``COLUMNS``).
    """
    alpha = load_monitor_config().drift_p_value if drift_p_value is None else drift_p_value
    rows = [summary_row(read_summary(p), alpha, p.parent) for p in summary_paths(root)]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.sort_values(["model_version", "start"], ignore_index=True)


def latest_windows(table: pd.DataFrame) -> pd.DataFrame:
    """The newest window (latest start) of each model version."""
    if table.empty:
        return table
    return table.sort_values("start").groupby("model_version", sort=True).tail(1).sort_values("model_version")


def latest_p_values(table: pd.DataFrame, drift_p_value: float) -> pd.DataFrame:
    """Per-column p-values of each version's newest window (long format, ``P_VALUE_COLUMNS``).

    ``kind`` is ``input`` (note descriptors) or ``prediction``; ``p_value`` is NaN for an untested
    column and ``drifted`` is ``p_value < drift_p_value``.
    """
    rows = []
    for _, row in latest_windows(table).iterrows():
        drift = read_summary(Path(row["folder"]) / SUMMARY_FILE).get("drift") or {}
        for kind in ("input", "prediction"):
            for column, p in sorted((drift.get(f"{kind}_p_values") or {}).items()):
                rows.append({"model_version": row["model_version"], "window": row["window"], "kind": kind,
                             "column": column, "p_value": _num(p),
                             "drifted": p is not None and p < drift_p_value})  # fmt: skip
    return pd.DataFrame(rows, columns=list(P_VALUE_COLUMNS))


def _is_drift(snapshot: Snapshot) -> bool:
    types = (m.get("config", {}).get("type", "") for m in snapshot.dict().get("metrics", ()))
    return any(t.endswith(":ValueDrift") for t in types)


def workspace_snapshot(workspace: str | Path, model_version: str, window: str) -> Snapshot | None:
    """The drift snapshot of ``window`` (its folder name) from a local Evidently workspace, or None.

    ``report.add_to_workspace`` stores every window's snapshots, named after the window, in one
    project per model version. The ``drift.json`` beside ``summary.json`` is Evidently's results
    export (``Snapshot.save_json``: metric values only), which ``Snapshot.load`` cannot read back;
    the workspace keeps the full snapshot, which loads and renders again.
    """
    if not Path(workspace).is_dir():
        return None
    ws = Workspace(str(workspace))
    for project in ws.search_project(PROJECT_PREFIX + model_version):
        for run_id in ws.list_runs(project.id):
            model = ws.get_run(project.id, run_id)
            if model is None or model.name != window:
                continue
            snapshot = Snapshot.load_model(model)
            if _is_drift(snapshot):
                return snapshot
    return None
