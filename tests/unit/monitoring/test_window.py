"""A window of audit events read back as charts: filters, re-coding, chunking, the chart table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, NoteProfile, Reason
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.monitoring.profile import profile_columns
from medcoder.monitoring.records import ChartRow
from medcoder.monitoring.window import Window, chart_frame, code_counts, first_category, read_window

V = "index_coder:abc123"
PROFILE = NoteProfile(chars=100, words=20, sentences=3, lines=4, sections=2, mean_word_length=4.5,
                      digit_share=0.1, non_letter_share=0.2, upper_share=0.05, setting="outpatient",
                      doc_type="note", source="text", embedding=(0.5,) * 16)  # fmt: skip


def _suggested(doc: str, when: str, codes: list[tuple[str, float]], route: str = "review",
               version: str = V, profile: NoteProfile | None = PROFILE) -> AuditEvent:  # fmt: skip
    return AuditEvent(
        event_type=EventType.SUGGESTED, actor_id="svc", actor_role=Role.SERVICE, request_id=f"r-{doc}-{when[11:13]}",
        document_id=doc, model_version=version, occurred_at=when,
        payload=EventPayload(codes=tuple(CodeRef(system="ICD-10-CM", code=c, probability=p) for c, p in codes),
                             route=route, profile=profile),
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> AuditStore:
    s = AuditStore(str(tmp_path / "audit.db"))
    s.append_many([
        _suggested("a", "2026-12-01T08:00:00+00:00", [("E11.9", 0.9), ("I10", 0.6)]),
        _suggested("b", "2026-12-01T09:00:00+00:00", [("J45.909", 0.7)], route="auto", profile=None),
        _suggested("a", "2026-12-01T10:00:00+00:00", [("E11.65", 0.8)]),  # re-coded: replaces the 08:00 row
        AuditEvent(event_type=EventType.REJECTED, actor_id="c1", actor_role=Role.CODER, request_id="r-a-10",
                   document_id="a", model_version=V, occurred_at="2026-12-01T11:00:00+00:00",
                   payload=EventPayload(codes=(CodeRef(system="ICD-10-CM", code="E11.65"),),
                                        reason=Reason.CODING_GUIDELINE)),
        _suggested("c", "2026-12-02T00:00:00+00:00", [("R51.9", 0.5)]),  # at the window end: excluded
        _suggested("d", "2026-12-01T12:00:00+00:00", [("K21.9", 0.5)], version="other:1"),
    ])  # fmt: skip
    return s


def test_window_charts_overrides_and_filters(store: AuditStore) -> None:
    data = read_window(store, V, Window.parse("2026-12-01", "2026-12-02"))
    assert sorted(data.charts) == ["a", "b"]
    assert data.charts["a"].codes == ("ICD-10-CM:E11.65",) and data.charts["a"].probabilities == (0.8,)
    assert data.overridden == {"a"}
    assert data.n_events == 4  # three suggested + one rejected of this version inside the window
    assert data.feedback is not None and data.feedback.n_overridden_codes == 1
    assert data.charts["b"].profile == {}  # written without a profile


def test_chunked_reading_gives_the_same_window(store: AuditStore) -> None:
    w = Window.parse("2026-12-01", "2026-12-02")
    assert read_window(store, V, w, chunk=1).charts == read_window(store, V, w).charts


def test_chart_frame_values(store: AuditStore) -> None:
    data = read_window(store, V, Window.parse("2026-12-01", "2026-12-03"))
    frame = chart_frame(data.charts.values()).set_index("document_id")
    assert frame.loc["a", "n_codes"] == 1 and frame.loc["a", "first_category"] == "ICD-10-CM:E11"
    assert frame.loc["c", "max_probability"] == 0.5 and frame.loc["a", "chars"] == 100.0
    assert frame.loc["a", "emb_07"] == 0.5
    assert math.isnan(frame.loc["b", "chars"]) and frame.loc["b", "setting"] == "unknown"
    assert frame.loc["b", "route"] == "auto"
    assert code_counts(data.charts.values())["ICD-10-CM:J45.909"] == 1


def test_first_category_and_window_errors() -> None:
    assert first_category(("CPT:99213", "ICD-10-CM:I10")) == "ICD-10-CM:I10"
    assert first_category(("CPT:99213",)) == "CPT" and first_category(()) == "none"
    assert Window.parse("2026-12-01", "2026-12-08").name == "20261201T000000Z-20261208T000000Z"
    with pytest.raises(ValueError, match="after its start"):
        Window.parse("2026-12-02", "2026-12-01")
    with pytest.raises(ValueError, match="not an ISO date"):
        Window.parse("yesterday", "2026-12-01")


def test_constant_category_never_drifts() -> None:
    """One category on both sides is p = 1, not Evidently's NaN / 0 (which counted as drifted)."""
    import numpy as np
    import pandas as pd

    from medcoder.monitoring.config import MonitorConfig
    from medcoder.monitoring.drift import drift_report

    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        rows = [ChartRow(f"d{i}", V, "2026-12-01T00:00:00Z", "review", ("ICD-10-CM:I10",), (float(rng.uniform()),),
                         profile_columns({"chars": int(rng.integers(100, 200)), "source": "text"}))
                for i in range(n)]  # fmt: skip
        return chart_frame(rows)

    drift = drift_report(frame(60), frame(40), MonitorConfig())
    assert drift.input_p["source"] == 1.0 and drift.prediction_p["route"] == 1.0
