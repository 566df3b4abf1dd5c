"""API keys kept in the audit database as salted scrypt hashes; the plaintext is shown once.

A key looks like ``mck_<key id>_<secret>``: the id finds the row, the secret (32 random bytes,
URL-safe base64) is checked against ``scrypt(secret, salt)`` in constant time. Because scrypt is
deliberately slow (~tens of ms), a verified key is remembered in memory by its SHA-256 digest, so
the hot path is one indexed lookup to confirm the key is still not revoked: revocation takes effect
on the next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from medcoder.audit.events import utc_timestamp
from medcoder.audit.roles import Role
from medcoder.audit.schema import api_keys
from medcoder.audit.store import AuditReadError, AuditStore, AuditWriteError, reading

PREFIX = "mck"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A stored key (never the secret)."""

    key_id: str
    role: Role
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly created key: ``plaintext`` is returned this once and stored nowhere."""

    key_id: str
    role: Role
    plaintext: str


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$<salt b64>$<hash b64>`` of ``secret`` (parameters stored so they can change)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_secret(secret: str, stored: str) -> bool:
    """True when ``secret`` hashes to ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_b64)
        want = base64.urlsafe_b64decode(hash_b64)
        got = hashlib.scrypt(secret.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def split_key(plaintext: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeyStore:
    """Create, revoke and check API keys in the ``api_keys`` table of an :class:`AuditStore`."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self._verified: dict[str, bytes] = {}  # key_id -> sha256(plaintext) of a key scrypt accepted

    def create_api_key(self, role: Role | str) -> NewApiKey:
        """Store a new key for ``role`` and return its plaintext (the only time it is available)."""
        role = Role(role)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    insert(api_keys).values(
                        key_id=key_id,
                        key_hash=hash_secret(secret),
                        role=role.value,
                        created_at=utc_timestamp(),
                    )
                )
        except SQLAlchemyError as exc:
            raise AuditWriteError(f"API key not stored ({type(exc).__name__})") from exc
        return NewApiKey(key_id=key_id, role=role, plaintext=f"{PREFIX}_{key_id}_{secret}")

    def revoke(self, key_id: str) -> bool:
        """Mark a key revoked; True if an active key with this id existed."""
        with self.store.engine.begin() as conn:
            result = conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_timestamp())
            )
        self._verified.pop(key_id, None)
        return result.rowcount == 1

    def list_keys(self) -> list[ApiKeyRecord]:
        with reading(self.store.engine) as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [ApiKeyRecord(r.key_id, Role(r.role), r.created_at, r.revoked_at) for r in rows]

    def check(self, plaintext: str) -> ApiKeyRecord | None:
        """The active key record matching ``plaintext``, or None (unknown, wrong secret, revoked)."""
        parts = split_key(plaintext)
        if parts is None:
            return None
        key_id, secret = parts
        try:
            with reading(self.store.engine) as conn:
                row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        except SQLAlchemyError as exc:
            raise AuditReadError(f"cannot read API keys ({type(exc).__name__})") from exc
        if row is None or row.revoked_at is not None:
            return None
        fingerprint = hashlib.sha256(plaintext.encode()).digest()
        cached = self._verified.get(key_id)
        if cached is None or not hmac.compare_digest(cached, fingerprint):
            if not check_secret(secret, row.key_hash):
                return None
            self._verified[key_id] = fingerprint
        return ApiKeyRecord(row.key_id, Role(row.role), row.created_at, row.revoked_at)
