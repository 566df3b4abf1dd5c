"""Bearer authentication (JWT and API keys) and the role x permission table."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.store import AuditStore
from medcoder.serving.auth import (
    AuthConfig,
    AuthError,
    JwtConfig,
    Permission,
    Principal,
    Role,
    authenticate,
    authorize,
    load_auth_config,
    require,
)

SECRET = "test-secret-0123456789-abcdefghijklmnop"
AUD, ISS = "medcoder-api", "https://idp.example.test"
PHI = "John Smith DOB 1950-02-03 chest pain"

# Written out by hand from the issue: auditors only read, coders also give feedback, admins do all.
EXPECTED = {
    "service": {"code", "code_batch"},
    "coder": {"code", "code_batch", "feedback", "review"},
    "auditor": {"audit_read"},
    "billing": {"claims"},
    "admin": {"code", "code_batch", "feedback", "review", "audit_read", "claims", "admin"},
}


def _claims(**overrides) -> dict:
    claims = {
        "sub": "user-17",
        "role": "coder",
        "exp": int(time.time()) + 300,
        "aud": AUD,
        "iss": ISS,
        "name": PHI,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hs(**overrides) -> str:
    return jwt.encode(_claims(**overrides), SECRET, algorithm="HS256")


HS_CONFIG = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET, audience=AUD, issuer=ISS))


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public_pem


@pytest.fixture(scope="module")
def jwks(rsa_keys) -> dict:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = []
    for kid, key in (("k-other", other.public_key()), ("k-main", rsa_keys[0].public_key())):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
        keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def _assert_safe(err: AuthError, token: str, caplog: pytest.LogCaptureFixture) -> None:
    """The message (and the log) must not echo the token, any part of it, or claim values."""
    texts = [err.message, str(err), caplog.text]
    for text in texts:
        if token:
            assert token not in text
        for part in token.split(".") + token.split("_"):
            if len(part) >= 8:
                assert part not in text
        assert "John" not in text and "chest pain" not in text


def _expect(status: int, header: str | None, config: AuthConfig, caplog, token: str = "") -> AuthError:
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as info:
        authenticate(header, config)
    assert info.value.status == status
    _assert_safe(info.value, token, caplog)
    return info.value


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("permission", [p.value for p in Permission])
def test_every_role_and_permission(role: str, permission: str, caplog) -> None:
    token = _hs(role=role)
    principal = authenticate(f"Bearer {token}", HS_CONFIG)
    assert principal == Principal(subject="user-17", role=Role(role), method="jwt")
    if permission in EXPECTED[role]:
        assert require(f"Bearer {token}", Permission(permission), HS_CONFIG) == principal
    else:
        with pytest.raises(AuthError) as info:
            require(f"Bearer {token}", Permission(permission), HS_CONFIG)
        assert info.value.status == 403
        assert info.value.message == f"role '{role}' may not perform '{permission}'"
        assert info.value.headers == {}
        _assert_safe(info.value, token, caplog)


@pytest.mark.parametrize(
    ("token_overrides", "message"),
    [
        ({"exp": int(time.time()) - 10}, "token expired"),
        ({"aud": "another-api"}, "token audience not accepted"),
        ({"iss": "https://evil.example.test"}, "token issuer not accepted"),
        ({"role": None}, "token lacks required claim 'role'"),
        ({"exp": None}, "token lacks required claim 'exp'"),
        ({"aud": None}, "token lacks required claim 'aud'"),
        (
            {"role": "superuser"},
            "token role must be one of ['service', 'coder', 'auditor', 'billing', 'admin']",
        ),
        ({"sub": "John Smith"}, "token subject is not a valid identifier"),
    ],
)
def test_bad_claims_are_401(token_overrides: dict, message: str, caplog) -> None:
    token = _hs(**token_overrides)
    err = _expect(401, f"Bearer {token}", HS_CONFIG, caplog, token)
    assert err.message == message
    assert err.headers == {"WWW-Authenticate": 'Bearer realm="medcoder"'}


def test_invalid_signature_and_garbage_are_401(caplog) -> None:
    forged = jwt.encode(_claims(role="admin"), "another-secret-0123456789-abcdefghij", algorithm="HS256")
    assert _expect(401, f"Bearer {forged}", HS_CONFIG, caplog, forged).message == "invalid token"
    unsigned = jwt.encode(_claims(role="admin"), key=None, algorithm="none")
    assert _expect(401, f"Bearer {unsigned}", HS_CONFIG, caplog, unsigned).message == "invalid token"
    head, payload, sig = _hs().split(".")
    tampered = ".".join(
        [head, jwt.utils.base64url_encode(json.dumps(_claims(role="admin")).encode()).decode(), sig]
    )
    assert _expect(401, f"Bearer {tampered}", HS_CONFIG, caplog, tampered).message == "invalid token"
    _expect(401, "Bearer not.a.jwt.at.all", HS_CONFIG, caplog, "not.a.jwt.at.all")


@pytest.mark.parametrize("header", [None, "", "   ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"])
def test_missing_or_malformed_header_is_401(header: str | None, caplog) -> None:
    credentials = (header or "").partition(" ")[2].strip()
    _expect(401, header, HS_CONFIG, caplog, credentials)


def test_rs256_public_key(rsa_keys, caplog) -> None:
    private, public_pem = rsa_keys
    config = AuthConfig(jwt=JwtConfig(algorithms=("RS256",), key=public_pem, audience=AUD, issuer=ISS))
    token = jwt.encode(_claims(role="auditor"), private, algorithm="RS256")
    assert authenticate(f"Bearer {token}", config).role is Role.AUDITOR
    # An HS256 token is refused by an RS256-only configuration (no algorithm confusion).
    hs_token = jwt.encode(_claims(role="admin"), SECRET, algorithm="HS256")
    assert _expect(401, f"Bearer {hs_token}", config, caplog, hs_token).message == "invalid token"


def test_jwks_document_selects_key_by_kid(rsa_keys, jwks, caplog) -> None:
    private, _ = rsa_keys
    config = AuthConfig(jwt=JwtConfig(algorithms=("RS256",), jwks=jwks, audience=AUD, issuer=ISS))
    token = jwt.encode(_claims(role="service"), private, algorithm="RS256", headers={"kid": "k-main"})
    assert authenticate(f"Bearer {token}", config).role is Role.SERVICE
    wrong_kid = jwt.encode(_claims(), private, algorithm="RS256", headers={"kid": "k-other"})
    _expect(401, f"Bearer {wrong_kid}", config, caplog, wrong_kid)
    unknown_kid = jwt.encode(_claims(), private, algorithm="RS256", headers={"kid": "k-gone"})
    _expect(401, f"Bearer {unknown_kid}", config, caplog, unknown_kid)


@pytest.fixture
def jwks_server(jwks) -> Iterator[str]:
    body = json.dumps(jwks).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def test_jwks_url_on_loopback(rsa_keys, jwks_server, caplog) -> None:
    private, _ = rsa_keys
    config = AuthConfig(jwt=JwtConfig(algorithms=("RS256",), jwks_url=jwks_server, audience=AUD, issuer=ISS))
    token = jwt.encode(_claims(role="admin"), private, algorithm="RS256", headers={"kid": "k-main"})
    assert authenticate(f"Bearer {token}", config).role is Role.ADMIN
    expired = jwt.encode(_claims(exp=1), private, algorithm="RS256", headers={"kid": "k-main"})
    assert _expect(401, f"Bearer {expired}", config, caplog, expired).message == "token expired"


def test_api_keys(tmp_path: Path, caplog) -> None:
    keys = ApiKeyStore(AuditStore(f"sqlite:///{tmp_path / 'a.db'}"))
    config = AuthConfig(jwt=HS_CONFIG.jwt, api_keys=keys)
    new = keys.create_api_key("service")
    principal = require(f"Bearer {new.plaintext}", Permission.CODE, config)
    assert principal == Principal(subject=f"apikey:{new.key_id}", role=Role.SERVICE, method="api_key")
    with pytest.raises(AuthError) as info:
        require(f"Bearer {new.plaintext}", Permission.FEEDBACK, config)
    err = info.value
    assert err.status == 403
    _assert_safe(err, new.plaintext, caplog)

    wrong = new.plaintext[:-4] + "AAAA"
    assert _expect(401, f"Bearer {wrong}", config, caplog, wrong).message == "unknown or revoked API key"
    keys.revoke(new.key_id)
    assert (
        _expect(401, f"Bearer {new.plaintext}", config, caplog, new.plaintext).message
        == "unknown or revoked API key"
    )
    # API keys are refused when the service is not configured for them.
    _expect(401, f"Bearer {new.plaintext}", HS_CONFIG, caplog, new.plaintext)


def test_api_key_store_down_is_503(tmp_path: Path, caplog) -> None:
    store = AuditStore(f"sqlite:///{tmp_path / 'a.db'}")
    keys = ApiKeyStore(store)
    new = keys.create_api_key("coder")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE api_keys")
    err = _expect(503, f"Bearer {new.plaintext}", AuthConfig(api_keys=keys), caplog, new.plaintext)
    assert err.message == "authentication store unavailable"


def test_authorize_direct() -> None:
    authorize(Principal("a", Role.ADMIN, "jwt"), Permission.ADMIN)
    with pytest.raises(AuthError) as info:
        authorize(Principal("a", Role.AUDITOR, "jwt"), Permission.CODE)
    assert info.value.status == 403


def test_jwt_config_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        JwtConfig(algorithms=("HS256",))
    with pytest.raises(ValueError, match="never mix"):
        JwtConfig(algorithms=("HS256", "RS256"), key=SECRET)
    with pytest.raises(ValueError, match="subset"):
        JwtConfig(algorithms=("none",), key=SECRET)


def test_load_auth_config(tmp_path: Path, jwks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCODER_TEST_JWT_SECRET", SECRET)
    config = load_auth_config(
        {
            "jwt": {
                "algorithms": ["HS256"],
                "secret_env": "MEDCODER_TEST_JWT_SECRET",
                "audience": AUD,
                "issuer": ISS,
            }
        }
    )
    assert authenticate(f"Bearer {_hs(role='admin')}", config).role is Role.ADMIN
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    config = load_auth_config({"jwt": {"jwks_file": str(tmp_path / "jwks.json")}})
    assert config.jwt is not None and config.jwt.jwks == jwks
    monkeypatch.delenv("MEDCODER_TEST_JWT_SECRET")
    with pytest.raises(ValueError, match="MEDCODER_TEST_JWT_SECRET"):
        load_auth_config({"jwt": {"algorithms": ["HS256"], "secret_env": "MEDCODER_TEST_JWT_SECRET"}})
    assert load_auth_config({}).jwt is None
