"""ASGI pieces the BentoML service installs: an auth + body guard, one error shape, PHI-safe logging.

``AuthGuard`` runs before BentoML parses a body: it authenticates the bearer token and checks the
route's permission (401/403 with a fixed message, no PHI), refuses bodies over the configured size
(413) or not JSON (415), validates the body against the route's request model (400 with a
``pointer`` to the first bad field and a ``detail`` list, never the rejected values), and leaves
the principal in the ASGI scope for the API. Any other error that BentoML or Starlette produce under
``/v1`` is rewritten into the same ``ErrorBody`` shape, and ``/docs.json`` documents that shape
(``medcoder.serving.openapi``). ``install_log_redaction`` strips exception details from log records
of the web stack: a pydantic validation traceback quotes the input it rejected, which may be note
text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ValidationError

from medcoder.serving.auth import AuthError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON_TYPES = frozenset({"application/json", ""})
API_PREFIX = "/v1/"
OPENAPI_PATH = "/docs.json"
REDACTED_LOGGERS = ("", "bentoml", "bentoml._internal.server.http_app", "_bentoml_impl.server.app",
                    "uvicorn", "uvicorn.error", "uvicorn.access", "bentoml.serve")  # fmt: skip


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def json_pointer(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """RFC 6901 pointer of a pydantic ``loc``: ``("patient", "age")`` -> ``/patient/age``."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def validation_error_body(exc: ValidationError) -> dict[str, Any]:
    """The 400 body for a request that does not match its schema; rejected values are left out."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    detail = [{"loc": list(e["loc"]), "type": e["type"], "msg": e["msg"]} for e in errors[:20]]
    first = errors[0] if errors else {"loc": (), "type": "invalid", "msg": "invalid request"}
    if first["type"] == "json_invalid":
        return {
            "error": "request body is not valid JSON",
            "pointer": "/",
            "request_id": None,
            "detail": detail,
        }
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return {"error": f"invalid request: {where}: {first['msg']}{more}", "pointer": json_pointer(first["loc"]),
            "request_id": None, "detail": detail}  # fmt: skip


def as_error_body(status: int, body: bytes) -> dict[str, Any] | None:
    """``body`` in the ``ErrorBody`` shape, or None when it already is one.

    Used on 4xx/5xx answers the service did not write itself (BentoML's validation body, Starlette's
    404/405): their ``error`` text is kept only when it is a plain phrase, and ``detail`` entries
    keep only ``loc``, ``type`` and ``msg``.
    """
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]  # BentoML wraps some errors in a one-item list
    if isinstance(data, dict) and "error" in data and "pointer" in data:
        return None
    raw = data.get("detail") if isinstance(data, dict) else None
    detail = [{"loc": list(d.get("loc") or []), "type": str(d.get("type", "")), "msg": str(d.get("msg", ""))}
              for d in raw if isinstance(d, dict)] if isinstance(raw, list) else None  # fmt: skip
    if detail:
        first = detail[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return {"error": f"invalid request: {where}: {first['msg']}", "pointer": json_pointer(first["loc"]),
                "request_id": None, "detail": detail}  # fmt: skip
    text = data.get("error") if isinstance(data, dict) else None
    text = text if isinstance(text, str) else raw if isinstance(raw, str) else None
    phrase = text.splitlines()[0][:200] if text else HTTPStatus(status).phrase
    return {"error": phrase, "pointer": None, "request_id": None}


Rewrite = Callable[[int, bytes], bytes | None]


async def rewrite_response(app: Callable[..., Awaitable[None]], scope: Scope, receive: Receive, send: Send,
                           rewrite: Rewrite, *, only_errors: bool = True) -> None:  # fmt: skip
    """Run ``app``; buffer its response (errors only when ``only_errors``) and let ``rewrite`` replace
    the body (it returns new bytes, or None to keep the body)."""
    start: MutableMapping[str, Any] | None = None
    chunks: list[bytes] = []

    async def capture(message: MutableMapping[str, Any]) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            if only_errors and message["status"] < 400:
                await send(message)
                return
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        new = rewrite(start["status"], body)
        if new is not None:
            body = new
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-length", b"content-type")
            ]
            start["headers"] = [*headers, (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]  # fmt: skip
        await send(start)
        await send({"type": "http.response.body", "body": body})

    await app(scope, receive, capture)


def _error_shape(status: int, body: bytes) -> bytes | None:
    fixed = as_error_body(status, body)
    return json.dumps(fixed).encode() if fixed is not None else None


def _documented(routes: list[str]) -> Rewrite:
    def rewrite(status: int, body: bytes) -> bytes | None:
        from medcoder.serving.openapi import document_errors

        if status != 200:
            return None
        try:
            return json.dumps(document_errors(json.loads(body), routes)).encode()
        except ValueError:
            return None

    return rewrite


class AuthGuard:
    """Pure ASGI middleware for the routes in ``medcoder.serving.app.ROUTE_PERMISSIONS``."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from medcoder.serving.app import ROUTE_PERMISSIONS

        path = scope.get("path", "")
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
        elif path == OPENAPI_PATH:
            await rewrite_response(self.app, scope, receive, send, _documented(list(ROUTE_PERMISSIONS)),
                                   only_errors=False)  # fmt: skip
        elif path in ROUTE_PERMISSIONS:
            await rewrite_response(self._guard, scope, receive, send, _error_shape)
        elif path.startswith(API_PREFIX):
            await rewrite_response(self.app, scope, receive, send, _error_shape)
        else:
            await self.app(scope, receive, send)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        from medcoder.serving.app import PRINCIPAL_SCOPE_KEY, ROUTE_INPUTS, ROUTE_PERMISSIONS, CodingService

        path = scope.get("path", "")
        service = await asyncio.to_thread(CodingService.shared)
        header = None
        length = None
        content_type = "application/json"
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                header = value.decode("latin-1")
            elif key == b"content-length":
                length = int(value) if value.isdigit() else None
            elif key == b"content-type":
                content_type = value.decode("latin-1").split(";")[0].strip().lower()
        try:
            principal = await asyncio.to_thread(service.authorize, header, ROUTE_PERMISSIONS[path])
        except AuthError as exc:
            await send_json(send, exc.status, {"error": exc.message, "pointer": None, "request_id": None},
                            exc.headers)  # fmt: skip
            return
        if content_type not in JSON_TYPES:
            await send_json(send, 415, {"error": "send the request body as application/json", "pointer": None,
                                        "request_id": None})  # fmt: skip
            return
        limit = service.config.max_body_bytes
        if length is not None and length > limit:
            await send_json(send, 413, {"error": f"request body over {limit} bytes", "pointer": "/",
                                        "request_id": None})  # fmt: skip
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await send_json(send, 413, {"error": f"request body over {limit} bytes", "pointer": "/",
                                            "request_id": None})  # fmt: skip
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        model: type[BaseModel] | None = ROUTE_INPUTS.get(path)
        if model is not None:
            try:
                model.model_validate_json(body or b"{}")  # as BentoML will: same model, JSON mode
            except ValidationError as exc:
                await send_json(send, 400, validation_error_body(exc))
                return
        replayed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        scope[PRINCIPAL_SCOPE_KEY] = principal
        await self.app(scope, replay, send)


class RedactExceptions(logging.Filter):
    """Replace a record's traceback by the exception's class name; keep the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} [{record.exc_info[0].__name__}; details withheld]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install_log_redaction() -> None:
    """Attach :class:`RedactExceptions` to the web stack's loggers and to every handler they use."""
    redact = RedactExceptions()
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactExceptions) for f in logger.filters):
            logger.addFilter(redact)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactExceptions) for f in handler.filters):
                handler.addFilter(redact)
