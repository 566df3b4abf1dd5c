"""The project's error body in the OpenAPI document BentoML generates (``/docs.json``).

BentoML documents its own error schemas (``InvalidArgument``, ``NotFound``, ...) for every API.
The service answers every 4xx/5xx of ``/v1`` with :class:`medcoder.serving.schemas.ErrorBody`
instead (``medcoder.serving.asgi`` makes sure of it), so the document says so: each API operation
lists the statuses it can return, all with ``ErrorBody``.
"""

from __future__ import annotations

import copy
from typing import Any

from medcoder.serving.schemas import ErrorBody

ERROR_STATUSES: dict[str, str] = {
    "400": "Body is not JSON or does not match the request schema (detail lists the fields)",
    "401": "Missing or invalid bearer token",
    "403": "The caller's role may not use this API",
    "413": "Request body or note too large",
    "415": "Body is not application/json",
    "422": "Content check failed (pointer names the field)",
    "500": "Internal error (no details are returned)",
    "503": "Audit trail or authentication store unavailable",
}


def error_schemas() -> dict[str, Any]:
    """``ErrorBody`` and the models it uses, as OpenAPI component schemas."""
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "ErrorBody": schema}


def document_errors(spec: dict[str, Any], routes: list[str]) -> dict[str, Any]:
    """A copy of ``spec`` whose operations on ``routes`` answer every error status with ``ErrorBody``."""
    out = copy.deepcopy(spec)
    out.setdefault("components", {}).setdefault("schemas", {}).update(error_schemas())
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for route in routes:
        for operation in (out.get("paths", {}).get(route) or {}).values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in [s for s in responses if s[:1] in {"4", "5"}]:
                del responses[status]
            for status, description in ERROR_STATUSES.items():
                responses[status] = {"description": description, **copy.deepcopy(ref)}
    return out
