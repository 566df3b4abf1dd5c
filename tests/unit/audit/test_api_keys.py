"""API keys: salted scrypt hashes in the audit database, plaintext shown once, revocation."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import select

from medcoder.audit.api_keys import ApiKeyStore, check_secret, hash_secret, split_key
from medcoder.audit.roles import Role
from medcoder.audit.schema import api_keys
from medcoder.audit.store import AuditStore


def test_hash_secret_is_scrypt_of_the_secret_with_the_salt() -> None:
    salt = bytes(range(16))
    stored = hash_secret("s3cret", salt=salt)
    scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert base64.urlsafe_b64decode(salt_b64) == salt
    assert base64.urlsafe_b64decode(hash_b64) == hashlib.scrypt(
        b"s3cret", salt=salt, n=16384, r=8, p=1, dklen=32
    )
    assert check_secret("s3cret", stored)
    assert not check_secret("s3cret ", stored)
    assert not check_secret("s3cret", "md5$abc")


def test_same_secret_gets_different_salts() -> None:
    assert hash_secret("x") != hash_secret("x")


def test_split_key() -> None:
    assert split_key("mck_abc_def_ghi") == ("abc", "def_ghi")
    assert split_key("mck__x") is None
    assert split_key("abc_def_ghi") is None


def test_create_check_revoke(store: AuditStore) -> None:
    keys = ApiKeyStore(store)
    new = keys.create_api_key("coder")
    assert new.plaintext.startswith(f"mck_{new.key_id}_")
    with store.engine.connect() as conn:
        row = conn.execute(select(api_keys)).one()
    assert new.plaintext.split("_", 2)[2] not in row.key_hash  # only the hash is stored
    assert row.role == "coder" and row.revoked_at is None

    record = keys.check(new.plaintext)
    assert record is not None and record.role is Role.CODER
    assert keys.check(new.plaintext) is not None  # second check uses the cache
    assert keys.check(new.plaintext[:-1] + ("A" if new.plaintext[-1] != "A" else "B")) is None
    assert keys.check(f"mck_{'0' * 16}_whatever") is None

    assert keys.revoke(new.key_id) is True
    assert keys.check(new.plaintext) is None
    assert keys.revoke(new.key_id) is False
    assert keys.list_keys()[0].revoked_at is not None


def test_revocation_is_seen_by_another_process_handle(store: AuditStore) -> None:
    """A key cached as verified in one ApiKeyStore is refused once revoked through another."""
    serving, admin = ApiKeyStore(store), ApiKeyStore(AuditStore(store.url))
    new = admin.create_api_key(Role.SERVICE)
    assert serving.check(new.plaintext) is not None
    admin.revoke(new.key_id)
    assert serving.check(new.plaintext) is None


def test_unknown_role_is_refused(store: AuditStore) -> None:
    with pytest.raises(ValueError):
        ApiKeyStore(store).create_api_key("root")
