"""One error shape for every 4xx of /v1 (issue 20): the guard validates bodies itself, rewrites
errors BentoML or Starlette write, and /docs.json documents ErrorBody. Driven in-process over ASGI
with a stand-in for BentoML's app, so no server or model is needed."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest

from medcoder.serving.app import PRINCIPAL_SCOPE_KEY, CodingService
from medcoder.serving.asgi import AuthGuard
from medcoder.serving.auth import Principal, Role

PHRASE = "Zanzibar quokka syndrome 7731"
PRINCIPAL = Principal(subject="ehr-1", role=Role.SERVICE, method="jwt")


@pytest.fixture(autouse=True)
def fake_service():
    """``CodingService.shared()`` returns a stand-in that admits every caller."""
    saved = CodingService._shared
    CodingService._shared = SimpleNamespace(  # type: ignore[assignment]
        authorize=lambda header, permission: PRINCIPAL, config=SimpleNamespace(max_body_bytes=10_000)
    )
    yield
    CodingService._shared = saved


class Inner:
    """Stands in for BentoML's app: records what reached it and answers ``status`` with ``body``."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status, self.body = status, {"ok": True} if body is None else body
        self.seen: list[tuple[dict, bytes]] = []

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        message = await receive()
        self.seen.append((scope, message.get("body", b"")))
        data = json.dumps(self.body).encode()
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": data})


def call(inner: Inner, path: str, body: bytes = b"{}", method: str = "POST") -> tuple[int, Any]:
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "method": method,
             "headers": [(b"content-type", b"application/json"), (b"authorization", b"Bearer t")]}  # fmt: skip
    asyncio.run(AuthGuard(inner)(scope, receive, send))
    start, *bodies = sent
    data = b"".join(m.get("body", b"") for m in bodies)
    assert dict(start["headers"])[b"content-length"] == str(len(data)).encode()
    return start["status"], json.loads(data)


def test_schema_error_has_the_project_shape_and_a_pointer() -> None:
    inner = Inner()
    status, body = call(inner, "/v1/code", json.dumps({"text": "fever", "patient": {"age": 212}}).encode())
    msg = "Input should be less than or equal to 130"
    assert (status, body) == (400, {
        "error": f"invalid request: patient.age: {msg}", "pointer": "/patient/age", "request_id": None,
        "detail": [{"loc": ["patient", "age"], "type": "less_than_equal", "msg": msg}],
    })  # fmt: skip
    assert inner.seen == []  # BentoML never parsed it


def test_bad_json_and_wrong_shapes() -> None:
    status, body = call(Inner(), "/v1/code", b'{"text": "caf\xff\xfe"}')
    assert (status, body["error"], body["pointer"]) == (400, "request body is not valid JSON", "/")
    status, body = call(Inner(), "/v1/code", json.dumps([PHRASE]).encode())
    assert (status, body["pointer"], body["detail"][0]["type"]) == (400, "/", "model_type")
    status, body = call(
        Inner(), "/v1/code_batch", json.dumps({"items": [{"text": "a"}, {"text": 5}]}).encode()
    )
    assert (status, body["pointer"]) == (400, "/items/1/text")


def test_rejected_values_are_never_echoed() -> None:
    status, body = call(Inner(), "/v1/code", json.dumps({"text": "fever", "unexpected": PHRASE}).encode())
    assert (status, body["pointer"]) == (400, "/unexpected")
    assert "quokka" not in json.dumps(body).lower()


def test_valid_body_reaches_the_app_with_the_principal() -> None:
    inner = Inner()
    raw = json.dumps({"text": "fever"}).encode()
    assert call(inner, "/v1/code", raw) == (200, {"ok": True})
    ((scope, body),) = inner.seen
    assert body == raw and scope[PRINCIPAL_SCOPE_KEY] == PRINCIPAL


def test_errors_written_by_bentoml_are_rewritten() -> None:
    bentoml_400 = {"error": "1 validation error for HealthIODescriptor",
                   "detail": [{"type": "extra_forbidden", "loc": ["x"], "msg": "Extra inputs are not permitted"}]}  # fmt: skip
    assert call(Inner(400, bentoml_400), "/v1/health") == (400, {
        "error": "invalid request: x: Extra inputs are not permitted", "pointer": "/x", "request_id": None,
        "detail": [{"loc": ["x"], "type": "extra_forbidden", "msg": "Extra inputs are not permitted"}],
    })  # fmt: skip
    assert call(Inner(415, [{"error": "unsupported media type"}]), "/v1/health") == (
        415, {"error": "unsupported media type", "pointer": None, "request_id": None})  # fmt: skip
    assert call(Inner(404, {"detail": "Not Found"}), "/v1/nope") == (
        404, {"error": "Not Found", "pointer": None, "request_id": None})  # fmt: skip


def test_project_errors_pass_unchanged() -> None:
    ours = {"error": "the note is empty or whitespace only", "pointer": "/text", "request_id": "r1"}
    assert call(Inner(422, ours), "/v1/code", json.dumps({"text": " "}).encode()) == (422, ours)


def test_openapi_documents_error_body() -> None:
    spec = {"paths": {"/v1/code": {"post": {"responses": {
        "200": {"description": "OK"}, "400": {"$ref": "#/components/schemas/InvalidArgument"}}}}},
        "components": {"schemas": {}}}  # fmt: skip
    status, doc = call(Inner(200, spec), "/docs.json", b"", method="GET")
    responses = doc["paths"]["/v1/code"]["post"]["responses"]
    assert status == 200 and sorted(responses) == [
        "200",
        "400",
        "401",
        "403",
        "413",
        "415",
        "422",
        "500",
        "503",
    ]
    for code in ("400", "422"):
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    schemas = doc["components"]["schemas"]
    assert set(schemas["ErrorBody"]["properties"]) == {"error", "pointer", "request_id", "detail"}
    assert "ErrorDetail" in schemas
