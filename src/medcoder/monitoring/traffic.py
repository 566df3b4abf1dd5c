"""The ``suggested`` audit event of a coded chart, and simulated traffic for monitoring demos and tests.

``coding_event`` is the one place that turns a coding result and its note profile into the audit
event; the service calls it for every chart it codes, and ``simulate_traffic`` calls it for
documents coded offline (the DVC ``monitor`` stage, the tests), with timestamps spread over a window
so the monitoring reads them back exactly as it would read production traffic.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from medcoder.audit.events import AuditEvent, CodeRef, EventPayload, EventType, NoteProfile, utc_timestamp
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.coding.chart_certify import dated
from medcoder.coding.context import EncounterContext
from medcoder.coding.pipeline import CodingPipeline
from medcoder.coding.result import CodingResult
from medcoder.data.records import Document
from medcoder.monitoring.profile import NoteEmbedder, note_profile
from medcoder.monitoring.reference import pipeline_version

SIMULATOR_ACTOR = "traffic-simulator"


def audit_code_sets(versions: dict[str, str]) -> dict[str, str]:
    """Code-set versions short enough for the audit record: ``2026-04-01 (source...)`` -> ``2026-04-01``."""
    return {k[:32]: v.split(" (")[0][:64] for k, v in versions.items()}


def coding_event(
    result: CodingResult,
    profile: NoteProfile | None,
    *,
    actor_id: str,
    actor_role: Role,
    request_id: str,
    model_version: str,
    code_set_versions: dict[str, str],
    occurred_at: str | None = None,
) -> AuditEvent:
    """``suggested`` with the chart's codes, route and profile; ``viewed`` (count 0) for a chart with none."""
    codes = tuple(CodeRef(system=s.system, code=s.code, probability=round(s.probability, 6))
                  for s in result.suggestions)  # fmt: skip
    return AuditEvent(
        event_type=EventType.SUGGESTED if codes else EventType.VIEWED,
        actor_id=actor_id,
        actor_role=actor_role,
        request_id=request_id,
        document_id=result.document_id,
        model_version=model_version,
        code_set_versions=code_set_versions,
        payload=EventPayload(
            codes=codes, route=result.route.decision.value, count=len(codes), profile=profile
        ),
        occurred_at=occurred_at,
    )


def simulate_traffic(
    pipeline: CodingPipeline,
    store: AuditStore,
    documents: Sequence[Document],
    start: dt.datetime,
    spacing: dt.timedelta,
    embedder: NoteEmbedder | None = None,
    batch_size: int = 16,
) -> int:
    """Code ``documents`` and record each as the service would, ``spacing`` apart from ``start``.

    Returns the number of events written. Document ids are kept, so tests can add coder decisions
    and claims for the same charts.
    """
    version = pipeline_version(pipeline)
    written = 0
    for i in range(0, len(documents), batch_size):
        batch = [dated(d) for d in documents[i : i + batch_size]]
        results = pipeline.code_many([(d, EncounterContext()) for d in batch])
        vectors = embedder.embed([d.text for d in batch]) if embedder is not None else None
        events = []
        for j, (doc, result) in enumerate(zip(batch, results, strict=True)):
            when = utc_timestamp(start + spacing * (i + j))
            profile = note_profile(doc, None if vectors is None else vectors[j])
            events.append(
                coding_event(
                    result,
                    profile,
                    actor_id=SIMULATOR_ACTOR,
                    actor_role=Role.SERVICE,
                    request_id=uuid.uuid4().hex,
                    model_version=version,
                    code_set_versions=audit_code_sets(result.versions.code_sets),
                    occurred_at=when,
                )  # fmt: skip
            )
        written += len(store.append_many(events))
    return written
