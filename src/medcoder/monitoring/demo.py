"""Simulated traffic for a model, monitored window by window (the DVC ``monitor`` stage).

Three one-day windows go through the real pipeline into a fresh audit store, each event written as
the service writes it (``traffic.coding_event``):

1. ``codiesp_train``: CodiEsp train notes, the source most of the reference comes from (CodiEsp
   dev) but never part of it; the reference also holds the realistic dev notes, so this window is
   like most, not all, of the reference;
2. ``mtsamples``: MTSamples transcriptions (English US dictations: a documentation shift);
3. ``synthetic``: the project's synthetic notes (a template shift).

Where the notes have gold codes (CodiEsp, synthetic) a simulated coder reviews every chart and
decides as the gold says: suggested gold codes accepted, other suggestions rejected ("documentation
does not support"), gold codes not suggested added. Quality figures are then precision and misses
against the gold, read back from the audit trail as production feedback would be. No claims are
simulated here (the denial section is covered by ``tests/unit/monitoring/test_denials.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from medcoder.audit.events import (
    AuditEvent,
    CodeRef,
    EventPayload,
    EventType,
    Reason,
    StoredEvent,
    utc_timestamp,
)
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.coding.chart_certify import default_splits
from medcoder.coding.cli import report_docs
from medcoder.coding.pipeline import CodingPipeline
from medcoder.data.codiesp import load_codiesp
from medcoder.data.records import Document
from medcoder.data.synth.generator import generate_corpus
from medcoder.models.index_bundle import IndexBundle
from medcoder.monitoring.config import load_monitor_config
from medcoder.monitoring.profile import NoteEmbedder
from medcoder.monitoring.reference import (
    Reference,
    build_reference,
    load_reference,
    pipeline_version,
    save_reference,
    version_folder,
)
from medcoder.monitoring.run import run_monitor
from medcoder.monitoring.traffic import simulate_traffic
from medcoder.monitoring.window import Window
from medcoder.paths import codiesp_dir

START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
REVIEWER = "simulated-coder"


def _decision(stored: StoredEvent, kind: EventType, codes: set[str], when: dt.datetime,
              reason: Reason | None = None) -> AuditEvent:  # fmt: skip
    """A simulated coder's decision on the chart of ``stored``, five minutes after it at the earliest."""
    at = max(when, dt.datetime.fromisoformat(stored.occurred_at)) + dt.timedelta(minutes=5)
    return AuditEvent(
        event_type=kind, actor_id=REVIEWER, actor_role=Role.CODER, request_id=stored.request_id,
        document_id=stored.document_id, model_version=stored.model_version, occurred_at=utc_timestamp(at),
        payload=EventPayload(codes=tuple(CodeRef(system="ICD-10-CM", code=c) for c in sorted(codes)), reason=reason),
    )  # fmt: skip


def gold_feedback(store: AuditStore, model_version: str, documents: list[Document], when: dt.datetime) -> int:
    """Decisions of a coder who codes exactly the gold ICD-10-CM codes, for charts with gold."""
    gold = {d.id: {lab.code for lab in d.labels if lab.system.value == "ICD-10-CM"} for d in documents}
    events: list[AuditEvent] = []
    for stored in store.stream(model_version=model_version, event_types=("suggested",)):
        codes = gold.get(stored.document_id)
        if not codes:
            continue
        suggested = {c["code"] for c in stored.payload["codes"] if c["system"] == "ICD-10-CM"}
        if suggested & codes:
            events.append(_decision(stored, EventType.ACCEPTED, suggested & codes, when))
        if suggested - codes:
            events.append(_decision(stored, EventType.REJECTED, suggested - codes, when,
                                    Reason.DOCUMENTATION_DOES_NOT_SUPPORT))  # fmt: skip
        if codes - suggested:
            events.append(
                _decision(stored, EventType.ADDED, codes - suggested, when, Reason.CLINICAL_JUDGEMENT)
            )
    return len(store.append_many(events))


def demo_windows(charts: int) -> dict[str, list[Document]]:
    """The three traffic windows (seeded samples; see the module docstring)."""
    train = load_codiesp(codiesp_dir(), "train", tasks=("D",))
    return {
        "codiesp_train": train[:: max(1, len(train) // charts)][:charts],
        "mtsamples": report_docs("mtsamples")[:charts],
        "synthetic": generate_corpus(charts, seed=7),
    }


def reference_for(pipeline: CodingPipeline, root: Path, embedder: NoteEmbedder | None) -> Reference:
    """The saved reference of this model version, built (fit + calibration charts) when missing."""
    version = pipeline_version(pipeline)
    folder = root / version_folder(version)
    if (folder / "reference.json").is_file():
        ref = load_reference(folder)
        if ref.card.get("embeddings") == (embedder is not None):
            return ref
    if not isinstance(pipeline.model, IndexBundle):
        raise ValueError("the demo builds the default reference of the index coder only")
    ref = build_reference(pipeline, default_splits(), embedder)
    save_reference(ref, root)
    return ref


def run_demo(
    model_dir: str | Path, out: str | Path, charts: int = 150, embeddings: bool = True
) -> dict[str, Any]:
    """Write ``out/reference``, ``out/reports``, ``out/workspace`` and ``out/demo_summary.json``."""
    out = Path(out)
    pipeline = CodingPipeline.from_model_dir(model_dir)
    embedder = NoteEmbedder() if embeddings else None
    reference = reference_for(pipeline, out / "reference", embedder)
    db = out / "demo_audit.db"
    db.unlink(missing_ok=True)
    store = AuditStore(str(db))
    config = load_monitor_config()
    summary: dict[str, Any] = {}
    for day, (name, docs) in enumerate(demo_windows(charts).items()):
        start = START + dt.timedelta(days=day)
        simulate_traffic(pipeline, store, docs, start, dt.timedelta(minutes=5), embedder)
        gold_feedback(store, reference.model_version, docs, start)
        window = Window(utc_timestamp(start), utc_timestamp(start + dt.timedelta(days=1)))
        report, folder = run_monitor(store, reference.model_version, window, reference, config,
                                     out=out / "reports", workspace=out / "workspace")  # fmt: skip
        s = report.summary()
        summary[name] = {
            "window": window.name, "n_charts": s["n_charts"], "folder": str(folder),
            "breaches": [b["key"] for b in s["breaches"]],
            "input_drifted": report.drift.drifted(report.drift.input_p, config.drift_p_value) if report.drift else [],
            "embedding_auc": s["drift"]["embedding_auc"] if s["drift"] else None,
            "code_p_value": s["drift"]["code_drift"]["p_value"] if s["drift"] else None,
            "acceptance_rate": s["feedback"]["acceptance_rate"],
            "override_rate": s["feedback"]["override_rate"],
            "n_added": s["feedback"]["n_added"],
        }  # fmt: skip
    summary["_reference"] = reference.card
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return {k: v for k, v in summary.items() if not k.startswith("_")}
