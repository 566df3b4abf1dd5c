"""The monitoring trends table (``medcoder.monitoring.trends``) and ``notebooks/04-monitoring.py``.

A hand-written summary checks the row arithmetic. A module-scoped reports folder is built with the
real code: seeded bench traffic of two model versions in a SQLite audit store, ``run_monitor`` over
two daily windows of the first and one of the second, snapshots added to an Evidently workspace.
The notebook is then executed on it (and on an empty folder) with nbclient in this venv's kernel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from medcoder.audit.events import AuditEvent, EventType
from medcoder.audit.store import AuditStore
from medcoder.monitoring.bench import VERSION, bench_events, bench_reference
from medcoder.monitoring.config import load_monitor_config
from medcoder.monitoring.profile import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS
from medcoder.monitoring.reference import version_folder
from medcoder.monitoring.run import run_monitor
from medcoder.monitoring.trends import COLUMNS, latest_p_values, load_summaries, workspace_snapshot
from medcoder.monitoring.window import PREDICTION_CATEGORICAL, PREDICTION_NUMERIC, Window

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "notebooks"))
from nbrun import execute_notebook, probe  # noqa: E402

NOTEBOOK = REPO / "notebooks" / "04-monitoring.py"
V2 = "bench_model:111111111111"
DAY1 = "20261101T000000Z-20261102T000000Z"
DAY2 = "20261102T000000Z-20261103T000000Z"
WINDOWS = {VERSION: (DAY1, DAY2), V2: (DAY2,)}


def _summary(version: str, start: str, end: str, name: str, **extra: object) -> dict:
    return {"model_version": version, "window": {"start": start, "end": end, "name": name},
            "n_events": 10, "n_charts": 4, **extra}  # fmt: skip


def _write(root: Path, summary: dict) -> None:
    folder = root / version_folder(summary["model_version"]) / summary["window"]["name"]
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))


def test_load_summaries_counts_drifted_columns_at_the_given_p(tmp_path: Path) -> None:
    drift = {"input_p_values": {"chars": 0.001, "words": 0.5, "source": None},
             "prediction_p_values": {"n_codes": 0.009, "route": 0.01}, "embedding_auc": 0.7,
             "embedding_p_value": 0.002, "code_drift": {"p_value": 0.3}}  # fmt: skip
    feedback = {"acceptance_rate": 3 / 4, "override_rate": 1 / 4}
    breaches = [{"key": "input.embedding_auc", "value": 0.7, "limit": 0.6, "message": "m"}]
    _write(tmp_path, _summary("b:2", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", "w2"))
    _write(tmp_path, _summary("a:1", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", "w2", drift=drift,
                              feedback=feedback, denials={"denial_rate": 0.125}, breaches=breaches))  # fmt: skip
    _write(tmp_path, _summary("a:1", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "w1", drift=None,
                              feedback=feedback, denials=None, breaches=[]))  # fmt: skip

    table = load_summaries(tmp_path, drift_p_value=0.01)

    assert list(table.columns) == list(COLUMNS)
    # sorted by version, then window start
    assert list(zip(table["model_version"], table["window"], strict=True)) == [
        ("a:1", "w1"), ("a:1", "w2"), ("b:2", "w2")]  # fmt: skip
    row = table.iloc[1]
    assert row["n_input_columns"] == 2  # the null p-value is not a test
    assert row["n_drifted_input"] == 1  # 0.001 < 0.01; 0.5 is not
    assert row["n_drifted_prediction"] == 1  # 0.009 < 0.01; 0.01 is not
    assert (row["embedding_auc"], row["code_p_value"], row["denial_rate"]) == (0.7, 0.3, 0.125)
    assert row["override_rate"] == 1 / 4
    assert row["breaches"] == ("input.embedding_auc",)
    assert row["start"] == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    # a window without drift, denials or feedback has NaN there and no breaches
    assert math.isnan(table.iloc[0]["embedding_auc"]) and math.isnan(table.iloc[0]["denial_rate"])
    assert math.isnan(table.iloc[2]["override_rate"]) and table.iloc[2]["breaches"] == ()
    # at a looser p, 0.01 counts too
    assert load_summaries(tmp_path, drift_p_value=0.02).iloc[1]["n_drifted_prediction"] == 2

    pvals = latest_p_values(table, 0.01)
    # newest window per version: a:1 w2 has five columns, b:2 w2 has no drift section
    assert set(pvals["window"]) == {"w2"} and set(pvals["model_version"]) == {"a:1"}
    assert pvals.set_index("column")["drifted"].to_dict() == {
        "chars": True, "source": False, "words": False, "n_codes": True, "route": False}  # fmt: skip


def test_load_summaries_of_a_missing_root_is_an_empty_table(tmp_path: Path) -> None:
    table = load_summaries(tmp_path / "absent", drift_p_value=0.01)
    assert table.empty and list(table.columns) == list(COLUMNS)
    assert workspace_snapshot(tmp_path / "absent", VERSION, DAY1) is None


@dataclass(frozen=True)
class Reports:
    root: Path
    workspace: Path
    events: list[AuditEvent]


def _day(name: str) -> tuple[str, str]:
    start, end = (dt.datetime.strptime(s, "%Y%m%dT%H%M%SZ") for s in name.split("-"))
    return start.date().isoformat(), end.date().isoformat()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    root = tmp_path_factory.mktemp("monitoring")
    events = bench_events(600) + [
        e.model_copy(update={"model_version": V2}) for e in bench_events(600, seed=1)
    ]
    store = AuditStore(str(root / "audit.db"))
    store.append_many(events)
    config = load_monitor_config()
    for version, windows in WINDOWS.items():
        reference = dataclasses.replace(bench_reference(), model_version=version)
        for name in windows:
            run_monitor(store, version, Window.parse(*_day(name)), reference, config,
                        out=root / "reports", workspace=root / "workspace", record=False)  # fmt: skip
    return Reports(root / "reports", root / "workspace", events)


def _expected(events: list[AuditEvent], version: str, name: str) -> tuple[int, int]:
    """(events, charts) of ``version`` in window ``name``, counted from the events written."""
    start, end = _day(name)
    lo, hi = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    inside = [e for e in events if e.model_version == version
              and lo <= dt.datetime.fromisoformat(e.occurred_at).replace(tzinfo=None) < hi]  # fmt: skip
    charts = {e.document_id for e in inside if e.event_type is EventType.SUGGESTED}
    return len(inside), len(charts)


@pytest.mark.slow
def test_load_summaries_of_real_reports(reports: Reports) -> None:
    table = load_summaries(reports.root, drift_p_value=0.01)
    assert [(v, w) for v, w in zip(table["model_version"], table["window"], strict=True)] == [
        (v, w) for v, ws in WINDOWS.items() for w in ws]  # fmt: skip
    for _, row in table.iterrows():
        assert (row["n_events"], row["n_charts"]) == _expected(reports.events, row["model_version"],
                                                               row["window"])  # fmt: skip
        # every third chart: two codes accepted, one rejected, all inside the chart's window
        assert row["acceptance_rate"] == pytest.approx(2 / 3)
        assert row["override_rate"] == pytest.approx(1 / 3)
        assert math.isnan(row["denial_rate"])  # no claims store
        assert row["n_input_columns"] <= len(NUMERIC_COLUMNS) + len(CATEGORICAL_COLUMNS)
        # the breach keys are the ones saved in the window's summary
        saved = json.loads((Path(row["folder"]) / "summary.json").read_text())
        assert row["breaches"] == tuple(b["key"] for b in saved["breaches"])
    # the workspace holds the full drift snapshot; its metrics are those of the saved results export
    snap = workspace_snapshot(reports.workspace, VERSION, DAY1)
    assert snap is not None
    export = json.loads((reports.root / version_folder(VERSION) / DAY1 / "drift.json").read_text())
    assert [m["metric_name"] for m in snap.dict()["metrics"]] == [m["metric_name"] for m in export["metrics"]]


@pytest.fixture
def nb_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("MEDCODER_NB_MONITORING_RENDER", "0")
    return tmp_path


@pytest.mark.slow
def test_notebook_runs_on_the_reports(
    reports: Reports, nb_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDCODER_NB_MONITORING_REPORTS", str(reports.root))
    monkeypatch.setenv("MEDCODER_NB_MONITORING_WORKSPACE", str(reports.workspace))
    run = execute_notebook(
        NOTEBOOK,
        nb_env,
        probe(
            '{"rows": len(reports), "versions": list(p_table.columns), "index": list(p_table.index), '
            '"newest": [newest["model_version"], newest["window"]], "loaded": snapshot is not None, '
            '"metrics": len(metrics)}'
        ),  # fmt: skip
        REPO,
    )
    assert run.probe["rows"] == 3
    assert run.probe["versions"] == sorted(WINDOWS)
    columns = {("input", c) for c in (*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS)} | {
        ("prediction", c) for c in (*PREDICTION_NUMERIC, *PREDICTION_CATEGORICAL)}  # fmt: skip
    assert {tuple(i) for i in run.probe["index"]} == columns
    # the newest window: DAY2 of both versions, ties broken by version
    assert run.probe["newest"] == [V2, DAY2]
    assert run.probe["loaded"] is True
    export = json.loads((reports.root / version_folder(V2) / DAY2 / "drift.json").read_text())
    assert run.probe["metrics"] == len(export["metrics"])
    assert run.images >= 1  # the trends figure
    assert "evidently ui --workspace monitoring/workspace" in NOTEBOOK.read_text()


@pytest.mark.slow
def test_notebook_stops_cleanly_without_reports(nb_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCODER_NB_MONITORING_REPORTS", str(nb_env / "empty"))
    run = execute_notebook(NOTEBOOK, nb_env, probe('{"have": HAVE_REPORTS, "snapshot": snapshot}'), REPO)
    assert run.probe == {"have": False, "snapshot": None}
    assert "dvc repro monitor" in run.text and "medcoder monitor report" in run.text
    assert run.images == 0
