"""ASGI pieces the BentoML service installs: an auth + body-size guard and PHI-safe logging.

``AuthGuard`` runs before BentoML parses a body: it authenticates the bearer token and checks the
route's permission (401/403 with a fixed message, no PHI), refuses bodies over the configured size
(413), and leaves the principal in the ASGI scope for the API. ``install_log_redaction`` strips
exception details from log records of the web stack: a pydantic validation traceback quotes the
input it rejected, which may be note text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from medcoder.serving.auth import AuthError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON_TYPES = frozenset({"application/json", ""})
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


class AuthGuard:
    """Pure ASGI middleware for the routes in ``medcoder.serving.app.ROUTE_PERMISSIONS``."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from medcoder.serving.app import PRINCIPAL_SCOPE_KEY, ROUTE_PERMISSIONS, CodingService

        path = scope.get("path", "")
        if scope.get("type") != "http" or path not in ROUTE_PERMISSIONS:
            await self.app(scope, receive, send)
            return
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
