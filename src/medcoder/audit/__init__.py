"""medcoder.audit: append-only, hash-chained audit events (SQLite by default, PostgreSQL by URL),
roles and permissions, and hashed API keys.

Names are imported lazily so ``medcoder --help`` does not load SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AuditEvent": "medcoder.audit.events",
    "CodeRef": "medcoder.audit.events",
    "EventPayload": "medcoder.audit.events",
    "EventType": "medcoder.audit.events",
    "Reason": "medcoder.audit.events",
    "StoredEvent": "medcoder.audit.events",
    "Role": "medcoder.audit.roles",
    "Permission": "medcoder.audit.roles",
    "PERMISSIONS": "medcoder.audit.roles",
    "AuditStore": "medcoder.audit.store",
    "AuditWriteError": "medcoder.audit.store",
    "AuditReadError": "medcoder.audit.store",
    "record_or_fail": "medcoder.audit.store",
    "VerifyReport": "medcoder.audit.verify",
    "ApiKeyStore": "medcoder.audit.api_keys",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'medcoder.audit' has no attribute {name!r}")
