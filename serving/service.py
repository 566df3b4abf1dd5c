"""BentoML glue over ``medcoder.serving`` (no logic here).

Run: ``MEDCODER_MODEL_DIR=<model dir> bentoml serve service:MedcoderService --working-dir serving
--host 127.0.0.1 --port 3000`` (or ``medcoder serve``). With ``MEDCODER_BENTO_MODEL=<name>:<version>``
the model directory comes from the BentoML model store (``medcoder package``) and ``bentoml build``
bundles that exact version.

APIs (POST, JSON, bearer token): /v1/code, /v1/code_batch, /v1/feedback, /v1/health; for the coder
role the review worklist /v1/worklist, /v1/worklist/item, /v1/worklist/finalize; for the billing role /v1/claims/export, /v1/claims/ingest_835, /v1/claims/status.
Probes (GET, no auth, no PHI): /livez, /readyz. OpenAPI: /docs.json.
"""

from __future__ import annotations

import os
from typing import Any

import bentoml
from starlette.responses import JSONResponse

from medcoder.review.records import (
    FinalizeRequest,
    FinalizeResponse,
    ItemRequest,
    ReviewItem,
    WorklistRequest,
    WorklistResponse,
)
from medcoder.serving.app import PRINCIPAL_SCOPE_KEY, ROUTE_PERMISSIONS, CodingService
from medcoder.serving.asgi import AuthGuard, install_log_redaction
from medcoder.serving.auth import AuthError
from medcoder.serving.errors import ServingError
from medcoder.serving.schemas import (
    BatchRequest,
    BatchResponse,
    CodeRequest,
    CodingResponse,
    Health,
)
from medcoder.serving.schemas_claims import (
    ClaimExportRequest,
    ClaimExportResponse,
    ClaimStatusRequest,
    ClaimStatusResponse,
    Ingest835Request,
    Ingest835Response,
)
from medcoder.serving.schemas_feedback import FeedbackRequest, FeedbackResponse

BENTO_MODEL = os.environ.get("MEDCODER_BENTO_MODEL")
WORKERS = int(os.environ.get("MEDCODER_WORKERS", "1"))  # processes, each with its own model copy


def _fail(ctx: bentoml.Context, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
    ctx.response.status_code = status
    for key, value in (headers or {}).items():
        ctx.response.headers[key] = value
    return JSONResponse(body, status_code=status, headers=headers)


async def _call(ctx: bentoml.Context, route: str, fn, *args):  # type: ignore[no-untyped-def]
    """Authenticate (the guard already did; re-check if it did not run), call, map errors to HTTP."""
    svc = CodingService.shared()
    try:
        principal = ctx.request.scope.get(PRINCIPAL_SCOPE_KEY)
        if principal is None:
            principal = svc.authorize(ctx.request.headers.get("authorization"), ROUTE_PERMISSIONS[route])
        return await fn(*args, principal)
    except AuthError as exc:
        return _fail(
            ctx, exc.status, {"error": exc.message, "pointer": None, "request_id": None}, exc.headers
        )
    except ServingError as exc:
        return _fail(ctx, exc.status, exc.body())
    except Exception as exc:  # noqa: BLE001 - never a traceback (it could quote the note) in the reply or log
        import logging

        logging.getLogger("medcoder.serving").error("unexpected %s on %s", type(exc).__name__, route)
        return _fail(ctx, 500, {"error": "internal error", "pointer": None, "request_id": None})


@bentoml.service(name="medcoder", traffic={"timeout": 120, "concurrency": 64}, workers=WORKERS)
class MedcoderService:
    if BENTO_MODEL:
        bento_model = bentoml.models.BentoModel(BENTO_MODEL)

    def __init__(self) -> None:
        install_log_redaction()
        if BENTO_MODEL and not os.environ.get("MEDCODER_MODEL_DIR"):
            os.environ["MEDCODER_MODEL_DIR"] = self.bento_model.path
        self.core = CodingService.shared()
        self.core.warm_up()

    def __is_ready__(self) -> bool:
        return self.core.is_ready()

    @bentoml.api(route="/v1/code", input_spec=CodeRequest, output_spec=CodingResponse)
    async def code(self, ctx: bentoml.Context, **fields: Any) -> CodingResponse:
        """Code one chart (note text or FHIR DocumentReference)."""
        return await _call(ctx, "/v1/code", self.core.code, CodeRequest.model_construct(**fields))

    @bentoml.api(route="/v1/code_batch", input_spec=BatchRequest, output_spec=BatchResponse)
    async def code_batch(self, ctx: bentoml.Context, **fields: Any) -> BatchResponse:
        """Code up to 64 charts; they share micro-batches with concurrent requests."""
        return await _call(
            ctx, "/v1/code_batch", self.core.code_batch, BatchRequest.model_construct(**fields)
        )

    @bentoml.api(route="/v1/feedback", input_spec=FeedbackRequest, output_spec=FeedbackResponse)
    async def feedback(self, ctx: bentoml.Context, **fields: Any) -> FeedbackResponse:
        """Record a coder's decision (accept, reject, modify, add, escalate) with a reason."""
        return await _call(ctx, "/v1/feedback", self.core.feedback, FeedbackRequest.model_construct(**fields))

    @bentoml.api(route="/v1/worklist", input_spec=WorklistRequest, output_spec=WorklistResponse)
    async def worklist(self, ctx: bentoml.Context, **fields: Any) -> WorklistResponse:
        """Charts waiting for a coder, escalations first, then oldest first (coder role; no note text)."""
        return await _call(ctx, "/v1/worklist", self.core.worklist, WorklistRequest.model_validate(fields))

    @bentoml.api(route="/v1/worklist/item", input_spec=ItemRequest, output_spec=ReviewItem)
    async def worklist_item(self, ctx: bentoml.Context, **fields: Any) -> ReviewItem:
        """One queued chart: the note, the coding result with evidence, the encounter facts (coder role)."""
        return await _call(
            ctx, "/v1/worklist/item", self.core.worklist_item, ItemRequest.model_validate(fields)
        )

    @bentoml.api(route="/v1/worklist/finalize", input_spec=FinalizeRequest, output_spec=FinalizeResponse)
    async def worklist_finalize(self, ctx: bentoml.Context, **fields: Any) -> FinalizeResponse:
        """Close a reviewed chart with its final codes; records a 'finalized' audit event (coder role)."""
        request = FinalizeRequest.model_validate(fields)
        return await _call(ctx, "/v1/worklist/finalize", self.core.worklist_finalize, request)

    @bentoml.api(route="/v1/claims/export", input_spec=ClaimExportRequest, output_spec=ClaimExportResponse)
    async def claims_export(self, ctx: bentoml.Context, **fields: Any) -> ClaimExportResponse:
        """Export an approved chart as an 837 + FHIR Claim (billing role; pre-bill check when configured)."""
        request = ClaimExportRequest.model_validate(fields)
        return await _call(ctx, "/v1/claims/export", self.core.claims_export, request)

    @bentoml.api(route="/v1/claims/ingest_835", input_spec=Ingest835Request, output_spec=Ingest835Response)
    async def claims_ingest_835(self, ctx: bentoml.Context, **fields: Any) -> Ingest835Response:
        """Ingest one 835 remittance: checked, balanced, idempotent, linked to claim lines (billing role)."""
        return await _call(
            ctx,
            "/v1/claims/ingest_835",
            self.core.claims_ingest_835,
            Ingest835Request.model_construct(**fields),
        )

    @bentoml.api(route="/v1/claims/status", input_spec=ClaimStatusRequest, output_spec=ClaimStatusResponse)
    async def claims_status(self, ctx: bentoml.Context, **fields: Any) -> ClaimStatusResponse:
        """A claim's status and each remitted line with its CARCs, codes and model version (billing role)."""
        return await _call(
            ctx, "/v1/claims/status", self.core.claims_status, ClaimStatusRequest.model_construct(**fields)
        )

    @bentoml.api(route="/v1/health")
    async def health(self, ctx: bentoml.Context) -> Health:
        """Model name, version and readiness (any authenticated role)."""

        async def run(principal):  # type: ignore[no-untyped-def]
            return self.core.health()

        return await _call(ctx, "/v1/health", run)


MedcoderService.add_asgi_middleware(AuthGuard)
