"""The service records note profiles and obeys the newest monitoring verdict of its model version."""

from __future__ import annotations

import asyncio

import pytest

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.events import AuditEvent, EventPayload, EventType, MonitorCheck
from medcoder.audit.roles import Role
from medcoder.audit.store import AuditStore
from medcoder.coding.hold import RouteHold
from medcoder.coding.result import RouteDecision, RouteResult
from medcoder.serving.app import CodingService
from medcoder.serving.auth import AuthConfig, JwtConfig, Permission
from medcoder.serving.client import service_token
from medcoder.serving.config import ServingConfig
from medcoder.serving.schemas import CodeRequest

pytestmark = pytest.mark.slow
SECRET = "unit-test-secret-unit-test-secret-0123"
NOTE = "ASSESSMENT:\nType 2 diabetes mellitus.\nPLAN:\nMetformin 500 mg twice daily.\n"


@pytest.fixture
def service(pipeline, tmp_path):  # type: ignore[no-untyped-def]
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    auth = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET), api_keys=ApiKeyStore(store))
    svc = CodingService(pipeline, store, auth, ServingConfig())
    yield svc
    pipeline.hold.release("monitoring")  # the pipeline is shared by the session's tests
    store.close()


def _verdict(service: CodingService, kind: EventType, breaches: tuple[str, ...]) -> None:
    service.store.append(AuditEvent(
        event_type=kind, actor_id="medcoder-monitor", actor_role=Role.SERVICE, request_id="m-1",
        document_id="monitoring-window", model_version=service.model_version,
        payload=EventPayload(count=len(breaches), monitor=MonitorCheck(
            window_start="2026-12-01T00:00:00+00:00", window_end="2026-12-02T00:00:00+00:00",
            n_charts=200, breaches=breaches)),
    ))  # fmt: skip


def test_suggested_event_carries_the_note_profile(service) -> None:  # type: ignore[no-untyped-def]
    principal = service.authorize(
        f"Bearer {service_token(SECRET, subject='ehr', role='service')}", Permission.CODE
    )
    asyncio.run(service.code(CodeRequest(text=NOTE, document_id="enc-1", setting="outpatient"), principal))
    profile = service.store.events(document_id="enc-1")[0].payload["profile"]
    assert profile["chars"] == len(NOTE) and profile["lines"] == 4 and profile["sections"] == 2
    assert profile["setting"] == "outpatient" and "embedding" not in profile  # embeddings off by default
    assert "metformin" not in str(profile).lower()


def test_breach_holds_and_cleared_releases(service) -> None:  # type: ignore[no-untyped-def]
    # only the "monitoring" source is the service's; "shift" belongs to the router's window test
    service.refresh_hold(now=0.0)
    assert "monitoring" not in service.pipeline.hold.reasons
    _verdict(service, EventType.MONITOR_BREACH, ("input.drifted_share",))
    service.refresh_hold(now=1.0)  # within poll_seconds (30) of the last read: not read again
    assert "monitoring" not in service.pipeline.hold.reasons
    service.refresh_hold(now=100.0)
    assert "input.drifted_share" in service.pipeline.hold.reasons["monitoring"]
    _verdict(service, EventType.MONITOR_CLEARED, ())
    service.refresh_hold(now=200.0)
    assert "monitoring" not in service.pipeline.hold.reasons


def test_hold_turns_auto_into_review_only() -> None:
    hold = RouteHold()
    auto = RouteResult(decision=RouteDecision.AUTO, reasons=["every code >= threshold"])
    escalate = RouteResult(decision=RouteDecision.ESCALATE, reasons=["error finding: X"])
    assert hold.apply(auto) is auto
    hold.hold("monitoring", "breach")
    held = hold.apply(auto)
    assert held.decision is RouteDecision.REVIEW
    assert held.reasons == ["auto-finalization on hold (monitoring): breach", "every code >= threshold"]
    assert hold.apply(escalate) is escalate
    hold.release("monitoring")
    assert hold.apply(auto) is auto
