"""Claims APIs of the service core: billing role only; code -> coder decisions -> 837 -> 835 -> status."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.events import CodeRef
from medcoder.audit.store import AuditStore
from medcoder.claims.encounter import ClaimContext, load_context
from medcoder.claims.read837 import read_837
from medcoder.claims.records import Remittance
from medcoder.claims.simulator import PayerSimulator
from medcoder.claims.write835 import render_835
from medcoder.rules.engine import RuleSet
from medcoder.serving.app import CodingService
from medcoder.serving.auth import AuthConfig, AuthError, JwtConfig, Permission
from medcoder.serving.client import service_token
from medcoder.serving.config import ServingConfig
from medcoder.serving.errors import ServingError
from medcoder.serving.schemas import CodeRequest
from medcoder.serving.schemas_claims import ClaimExportRequest, ClaimStatusRequest, Ingest835Request
from medcoder.serving.schemas_feedback import FeedbackRequest

pytestmark = pytest.mark.slow
SECRET = "unit-test-secret-unit-test-secret-0123"
NOTE = "ASSESSMENT:\nType 2 diabetes mellitus with hyperglycemia. Essential hypertension.\n"


@pytest.fixture
def service(pipeline, tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    auth = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET), api_keys=ApiKeyStore(store))
    svc = CodingService(
        pipeline, store, auth, ServingConfig(claims_url=f"sqlite:///{tmp_path / 'claims.db'}")
    )
    yield svc
    store.close()


def principal(service, role: str, permission: Permission, sub: str = "u-1"):
    return service.authorize(f"Bearer {service_token(SECRET, subject=sub, role=role)}", permission)


def test_only_billing_and_admin_may_use_the_claims_apis(service) -> None:
    for role in ("billing", "admin"):
        principal(service, role, Permission.CLAIMS)
    for role in ("service", "coder", "auditor"):
        with pytest.raises(AuthError) as info:
            principal(service, role, Permission.CLAIMS)
        assert info.value.status == 403


def test_reviewed_chart_becomes_an_837_and_its_835_links_back(service) -> None:
    coded = asyncio.run(
        service.code(
            CodeRequest(text=NOTE, document_id="enc-1"), principal(service, "service", Permission.CODE)
        )
    )
    codes = [CodeRef(system=s.system, code=s.code) for s in coded.suggestions]
    assert codes, "the tiny test model suggests codes for this note"
    billing = principal(service, "billing", Permission.CLAIMS, sub="biller-1")
    context = ClaimContext.model_validate({**load_context().model_dump(), "claim_id": "PCN-ENC-1"})
    request = ClaimExportRequest(document_id="enc-1", context=context)
    if coded.route.decision.value != "auto":  # undecided review chart: refused with the reason
        with pytest.raises(ServingError) as info:
            asyncio.run(service.claims_export(request, billing))
        assert info.value.status == 409 and "no coder decision" in info.value.message
    coder = principal(service, "coder", Permission.FEEDBACK, sub="coder-7")
    asyncio.run(service.feedback(FeedbackRequest(document_id="enc-1", request_id=coded.request_id, action="accept",
                                                 codes=codes), coder))  # fmt: skip
    out = asyncio.run(service.claims_export(request, billing))
    icd = [c.code.replace(".", "") for c in codes if c.system == "ICD-10-CM"]
    assert out.claim_id == "PCN-ENC-1" and out.diagnoses == icd and out.procedures[0] == "99214"
    (claim,) = read_837(out.x12)
    assert claim.total_charge == sum(ln.charge for ln in claim.lines) == Decimal(out.total_charge)
    assert out.fhir_claim["resourceType"] == "Claim"
    exported = service.store.events(document_id="enc-1")[-1]
    assert (exported.event_type, exported.actor_id, exported.seq) == ("exported", "biller-1", out.audit_seq)
    with pytest.raises(ServingError) as info:  # the same claim id twice
        asyncio.run(service.claims_export(request, billing))
    assert info.value.status == 409

    payment = PayerSimulator(RuleSet(icd=False, em=False, hcc=False, cdi=False), seed=1, base_denial_rate=0.0,
                             policies=()).adjudicate(claim, findings=[], service_date=dt.date(2026, 3, 16))  # fmt: skip
    remit = Remittance("TRN-9", payment.paid, "EXAMPLE HEALTH PLAN", "EXAMPLE FAMILY MEDICINE", (payment,))
    era = render_835([remit], payer_id="99999", payee_id="1234567893", control_isa=3, control_gs=3,
                     when=dt.datetime(2026, 4, 2, 10, 0))  # fmt: skip
    report = asyncio.run(service.claims_ingest_835(Ingest835Request(x12=era, source="era-1.835"), billing))
    assert (report.claim_payments, report.lines, report.linked_lines, report.duplicate) == (
        1,
        len(claim.lines),
        len(claim.lines),
        False,
    )
    assert asyncio.run(
        service.claims_ingest_835(Ingest835Request(x12=era, source="era-1.835"), billing)
    ).duplicate
    status = asyncio.run(service.claims_status(ClaimStatusRequest(claim_id="PCN-ENC-1"), billing))
    assert status.status == "paid" and [x.line_number for x in status.lines] == [
        ln.line_number for ln in claim.lines
    ]
    assert {x.model_version for x in status.lines} == {service.model_version}
    assert status.lines[0].decisions == 2  # the suggestion and the coder's acceptance


def test_bad_835_is_refused_naming_the_segment_and_unaudited_export_is_undone(service) -> None:
    billing = principal(service, "billing", Permission.CLAIMS)
    with pytest.raises(ServingError) as info:
        asyncio.run(
            service.claims_ingest_835(Ingest835Request(x12="ISA*00*not a real interchange~"), billing)
        )
    assert info.value.status == 422 and "segment ISA at position 1" in info.value.message
    asyncio.run(
        service.code(
            CodeRequest(text=NOTE, document_id="enc-2"), principal(service, "service", Permission.CODE)
        )
    )
    events = service.store.events(document_id="enc-2")
    coder = principal(service, "coder", Permission.FEEDBACK)
    codes = [CodeRef(system=c["system"], code=c["code"]) for c in events[0].payload["codes"]]
    asyncio.run(service.feedback(FeedbackRequest(document_id="enc-2", request_id=events[0].request_id,
                                                 action="accept", codes=codes), coder))  # fmt: skip
    with service.store.engine.begin() as conn:  # the audit trail breaks after the decision was recorded
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_insert"))
        conn.execute(
            text(
                "CREATE TRIGGER audit_events_no_insert BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'down'); END"
            )
        )
    context = ClaimContext.model_validate({**load_context().model_dump(), "claim_id": "PCN-ENC-2"})
    with pytest.raises(ServingError) as info:
        asyncio.run(service.claims_export(ClaimExportRequest(document_id="enc-2", context=context), billing))
    assert info.value.status == 503
    with pytest.raises(ServingError) as info:  # nothing was kept: the claim is unknown to the store
        asyncio.run(service.claims_status(ClaimStatusRequest(claim_id="PCN-ENC-2"), billing))
    assert info.value.status == 404
