"""An httpx client for the coding service (used by the demo, the benchmark and the tests).

Errors come back as :class:`ServiceError` with the HTTP status and the service's JSON body.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from medcoder.audit.events import CodeRef
from medcoder.review.records import FinalizeResponse, ReviewItem, WorklistEntry
from medcoder.serving.schemas import BatchResponse, CodeRequest, CodingResponse, Health


class ServiceError(Exception):
    """The service answered 4xx/5xx; ``body`` is its JSON (``error``, ``pointer``) when it sent JSON."""

    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body
        super().__init__(f"HTTP {status}: {body}")


def service_token(
    secret: str, subject: str = "medcoder-demo", role: str = "service", ttl_s: int = 3600
) -> str:
    """An HS256 JWT for a locally configured secret (demo and tests; production uses its IdP)."""
    import jwt

    now = int(time.time())
    return jwt.encode(
        {"sub": subject, "role": role, "iat": now, "exp": now + ttl_s}, secret, algorithm="HS256"
    )


class CoderClient:
    """``CoderClient(url, token).code(text=..., patient={...})`` -> :class:`CodingResponse`."""

    def __init__(
        self, url: str, token: str, timeout_s: float = 60.0, client: httpx.Client | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CoderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post(self, route: str, payload: dict[str, Any]) -> Any:
        resp = self.http.post(f"{self.url}{route}", json=payload, headers=self.headers)
        if resp.status_code >= 400:
            try:
                body: Any = resp.json()
            except ValueError:
                body = resp.text[:500]
            raise ServiceError(resp.status_code, body)
        return resp.json()

    def code(self, request: CodeRequest | None = None, **fields: Any) -> CodingResponse:
        payload = (request or CodeRequest(**fields)).model_dump(mode="json", exclude_none=True)
        return CodingResponse.model_validate(self.post("/v1/code", payload))

    def code_batch(self, requests: list[CodeRequest]) -> BatchResponse:
        items = [r.model_dump(mode="json", exclude_none=True) for r in requests]
        return BatchResponse.model_validate(self.post("/v1/code_batch", {"items": items}))

    def feedback(self, **fields: Any) -> dict[str, Any]:
        return self.post("/v1/feedback", fields)

    def health(self) -> Health:
        return Health.model_validate(self.post("/v1/health", {}))

    # the coder's review worklist (medcoder.review.api.ReviewApi) ---------------------------------
    def worklist(
        self, status: str = "open", limit: int = 50, route: str | None = None
    ) -> list[WorklistEntry]:
        payload: dict[str, Any] = {"status": status, "limit": limit}
        if route is not None:
            payload["route"] = route
        return [WorklistEntry.model_validate(e) for e in self.post("/v1/worklist", payload)["entries"]]

    def item(self, request_id: str) -> ReviewItem:
        return ReviewItem.model_validate(self.post("/v1/worklist/item", {"request_id": request_id}))

    def finalize(self, request_id: str, codes: list[CodeRef]) -> FinalizeResponse:
        payload = {
            "request_id": request_id,
            "codes": [c.model_dump(mode="json", exclude_defaults=True) for c in codes],
        }
        return FinalizeResponse.model_validate(self.post("/v1/worklist/finalize", payload))


class AsyncCoderClient:
    """The async twin used by the load benchmark (one connection pool, many in-flight requests)."""

    def __init__(self, url: str, token: str, timeout_s: float = 120.0, max_connections: int = 64) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self.http = httpx.AsyncClient(timeout=timeout_s, limits=limits)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def code_raw(self, payload: dict[str, Any]) -> dict[str, Any]:
        resp = await self.http.post(f"{self.url}/v1/code", json=payload, headers=self.headers)
        if resp.status_code >= 400:
            raise ServiceError(resp.status_code, resp.text[:300])
        return resp.json()
