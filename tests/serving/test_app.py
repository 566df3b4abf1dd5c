"""The framework-free service core: audit is part of the request, roles are checked, bad input is refused."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.store import AuditStore
from medcoder.serving.app import CodingService, audit_code_sets
from medcoder.serving.auth import AuthConfig, AuthError, JwtConfig, Permission
from medcoder.serving.client import service_token
from medcoder.serving.config import ServingConfig
from medcoder.serving.errors import ServingError
from medcoder.serving.schemas import BatchRequest, CodeRequest
from medcoder.serving.schemas_feedback import FeedbackRequest

pytestmark = pytest.mark.slow
SECRET = "unit-test-secret-unit-test-secret-0123"
NOTE = "ASSESSMENT:\nType 2 diabetes mellitus with hyperglycemia. Essential hypertension.\n"


@pytest.fixture
def service(pipeline, tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    auth = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET), api_keys=ApiKeyStore(store))
    svc = CodingService(pipeline, store, auth, ServingConfig())
    yield svc
    store.close()


def bearer(role: str, sub: str = "u-1") -> str:
    return f"Bearer {service_token(SECRET, subject=sub, role=role)}"


def test_code_writes_a_suggested_event_before_returning(service) -> None:
    principal = service.authorize(bearer("service", "ehr-1"), Permission.CODE)
    result = asyncio.run(service.code(CodeRequest(text=NOTE, document_id="enc-9"), principal))
    events = service.store.events(document_id="enc-9")
    assert len(events) == 1 and result.audit_seq == events[0].seq
    e = events[0]
    assert (e.actor_id, e.actor_role, e.request_id) == ("ehr-1", "service", result.request_id)
    expected = "suggested" if result.suggestions else "viewed"
    assert e.event_type == expected
    assert [c["code"] for c in e.payload.get("codes", [])] == [s.code for s in result.suggestions]
    assert e.payload["route"] == result.route.decision.value
    assert "diabetes" not in str(e.payload).lower()  # no note text in the trail
    assert service.store.verify().ok


def test_batch_is_audited_per_chart(service) -> None:
    principal = service.authorize(bearer("coder"), Permission.CODE_BATCH)
    req = BatchRequest(items=[CodeRequest(text=NOTE, document_id=f"b-{i}") for i in range(3)])
    out = asyncio.run(service.code_batch(req, principal))
    assert [r.document_id for r in out.results] == ["b-0", "b-1", "b-2"]
    assert sorted(e.document_id for e in service.store.events()) == ["b-0", "b-1", "b-2"]


def test_failed_audit_write_fails_the_request(service) -> None:
    principal = service.authorize(bearer("service"), Permission.CODE)
    with service.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_events"))
    with pytest.raises(ServingError) as info:
        asyncio.run(service.code(CodeRequest(text=NOTE), principal))
    assert info.value.status == 503


def test_roles(service) -> None:
    for role, allowed in (("service", False), ("coder", True), ("auditor", False), ("admin", True)):
        if allowed:
            service.authorize(bearer(role), Permission.FEEDBACK)
        else:
            with pytest.raises(AuthError) as info:
                service.authorize(bearer(role), Permission.FEEDBACK)
            assert info.value.status == 403
    with pytest.raises(AuthError) as info:
        service.authorize(None, Permission.CODE)
    assert info.value.status == 401
    with pytest.raises(AuthError):
        service.authorize(bearer("auditor"), Permission.CODE)


def test_feedback_needs_a_reason_and_is_recorded_as_the_coder(service) -> None:
    coder = service.authorize(bearer("coder", "coder-7"), Permission.FEEDBACK)
    reject = {"document_id": "enc-1", "request_id": "r1", "action": "reject",
              "codes": [{"system": "ICD-10-CM", "code": "I10"}]}  # fmt: skip
    with pytest.raises(ServingError) as info:
        asyncio.run(service.feedback(FeedbackRequest(**reject), coder))
    assert info.value.status == 422 and "reason" in info.value.message
    out = asyncio.run(service.feedback(FeedbackRequest(**reject, reason="coding_guideline"), coder))
    (event,) = service.store.events(document_id="enc-1")
    assert (event.seq, event.event_type, event.actor_id) == (out.seq, "rejected", "coder-7")


def test_bad_input_is_refused_before_coding(service) -> None:
    principal = service.authorize(bearer("service"), Permission.CODE)
    with pytest.raises(ServingError) as info:
        asyncio.run(service.code(CodeRequest(text="  "), principal))
    assert info.value.status == 422
    assert service.store.events() == []


def test_audit_code_sets_are_short() -> None:
    long = {
        "ICD-10-CM": "2026-04-01 (CDC/NCHS ICD-10-CM tabular list (icd10c-tabular-April-1-2026.xml) via x)"
    }
    assert audit_code_sets(long) == {"ICD-10-CM": "2026-04-01"}


def test_finished_shift_windows_are_audited_and_reported(service) -> None:
    import numpy as np

    from medcoder.routing.shift import ShiftMonitor, ShiftReference

    rng = np.random.default_rng(0)
    monitor = ShiftMonitor(ShiftReference.fit(rng.normal(size=(60, 4))), window=20)
    service.pipeline.shift_monitor = monitor
    for row in rng.normal(loc=3.0, size=(20, 4)):  # what the chart router feeds it, one chart at a time
        monitor.observe(row)
    principal = service.authorize(bearer("service"), Permission.CODE)
    asyncio.run(service.code(CodeRequest(text=NOTE, document_id="enc-7"), principal))
    (check,) = service.store.events(document_id="traffic-window")
    assert check.event_type == "shift_checked" and check.payload["route"] == "shifted"
    assert check.payload["shift"]["shifted"] and check.payload["shift"]["n_window"] == 20
    health = service.health().shift
    assert health["windows_tested"] == 1 and health["windows_shifted"] == 1 and health["last"]["shifted"]
