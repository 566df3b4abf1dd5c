"""The coder worklist of the service: routed charts are queued with their note, only coders read
them, finalizing writes a ``finalized`` audit event first, and the claims approval honours it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.events import CodeRef, OffsetRef
from medcoder.audit.store import AuditStore
from medcoder.claims.approve import approved_codes
from medcoder.review.records import FinalizeRequest, ItemRequest, WorklistRequest
from medcoder.serving.app import CodingService
from medcoder.serving.auth import AuthConfig, AuthError, JwtConfig, Permission
from medcoder.serving.client import service_token
from medcoder.serving.config import ServingConfig
from medcoder.serving.errors import ServingError
from medcoder.serving.schemas import BatchRequest, CodeRequest

pytestmark = pytest.mark.slow
SECRET = "unit-test-secret-unit-test-secret-0123"
NOTE = "ASSESSMENT:\nType 2 diabetes mellitus with hyperglycemia. Essential hypertension.\n"


@pytest.fixture
def service(pipeline, tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    auth = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET), api_keys=ApiKeyStore(store))
    svc = CodingService(pipeline, store, auth, ServingConfig())
    pipeline.hold.hold("test", "held for the worklist test")  # nothing is auto-finalized
    yield svc
    pipeline.hold.release("test")
    store.close()


def principal(service, role: str, sub: str = "coder-7", permission=Permission.REVIEW):
    return service.authorize(f"Bearer {service_token(SECRET, subject=sub, role=role)}", permission)


def code(service, n: int = 1) -> list:
    who = principal(service, "service", "ehr-1", Permission.CODE_BATCH)
    req = BatchRequest(items=[CodeRequest(text=NOTE, document_id=f"enc-{i}") for i in range(n)])
    return asyncio.run(service.code_batch(req, who)).results


def test_routed_charts_are_queued_oldest_first_with_their_note(service) -> None:
    results = code(service, 3)
    assert {r.route.decision.value for r in results} == {"review"}
    coder = principal(service, "coder")
    entries = asyncio.run(service.worklist(WorklistRequest(), coder)).entries
    assert [e.request_id for e in entries] == [r.request_id for r in results]
    assert entries[0].model_version == service.model_version and entries[0].priority == 1
    assert entries[0].reasons == results[0].route.reasons
    item = asyncio.run(service.worklist_item(ItemRequest(request_id=results[0].request_id), coder))
    assert item.text == NOTE and item.result.request_id == results[0].request_id
    assert [s.code for s in item.result.suggestions] == [s.code for s in results[0].suggestions]


def test_only_coders_and_admins_open_the_worklist(service) -> None:
    principal(service, "admin")
    for role in ("service", "auditor", "billing"):
        with pytest.raises(AuthError) as info:
            principal(service, role)
        assert info.value.status == 403


def test_finalize_records_the_final_codes_and_closes_the_chart(service) -> None:
    (result,) = code(service)
    coder = principal(service, "coder")
    start = NOTE.index("Essential hypertension")
    final = [CodeRef(system="ICD-10-CM", code="E11.65"),
             CodeRef(system="ICD-10-CM", code="I10", evidence=(OffsetRef(start=start, end=start + 22),))]  # fmt: skip
    out = asyncio.run(
        service.worklist_finalize(FinalizeRequest(request_id=result.request_id, codes=final), coder)
    )
    event = service.store.events(document_id="enc-0")[-1]
    assert (event.seq, event.event_type, event.actor_id) == (out.seq, "finalized", "coder-7")
    assert event.payload["codes"][1]["evidence"] == [{"start": start, "end": start + 22}]
    assert "hypertension" not in str(event.payload).lower()  # offsets only, never the text
    assert asyncio.run(service.worklist(WorklistRequest(), coder)).entries == []
    done = asyncio.run(service.worklist(WorklistRequest(status="done"), coder)).entries
    assert [(e.request_id, e.finalized_by) for e in done] == [(result.request_id, "coder-7")]
    approved = approved_codes(service.store.events(document_id="enc-0"), "enc-0")
    assert approved.diagnoses == ("E11.65", "I10")
    with pytest.raises(ServingError) as info:  # closing twice is refused
        asyncio.run(service.worklist_finalize(FinalizeRequest(request_id=result.request_id), coder))
    assert info.value.status == 409
    assert service.store.verify().ok


def test_finalize_refuses_evidence_past_the_note_and_unknown_charts(service) -> None:
    (result,) = code(service)
    coder = principal(service, "coder")
    bad = [CodeRef(system="ICD-10-CM", code="I10", evidence=(OffsetRef(start=3, end=len(NOTE) + 5),))]
    with pytest.raises(ServingError) as info:
        asyncio.run(
            service.worklist_finalize(FinalizeRequest(request_id=result.request_id, codes=bad), coder)
        )
    assert (info.value.status, info.value.pointer) == (422, "/codes/0/evidence")
    with pytest.raises(ServingError) as info:
        asyncio.run(service.worklist_item(ItemRequest(request_id="no-such-request"), coder))
    assert info.value.status == 404
    assert [e.event_type for e in service.store.events(document_id="enc-0")] == ["suggested"]


def test_a_chart_that_cannot_be_queued_is_not_returned(service) -> None:
    with service.review.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE review_items"))
    who = principal(service, "service", "ehr-1", Permission.CODE)
    with pytest.raises(ServingError) as info:
        asyncio.run(service.code(CodeRequest(text=NOTE), who))
    assert info.value.status == 503
