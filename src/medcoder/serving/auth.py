"""Who is calling, and may they? Bearer tokens checked without any web framework.

A request carries ``Authorization: Bearer <token>`` where the token is either
- a JWT signed with HS256 (shared secret), RS256 (public key) or a key from a JWKS document,
  carrying ``sub``, ``role`` and ``exp`` (and ``aud``/``iss`` when configured), or
- an API key ``mck_<id>_<secret>`` created by ``medcoder audit api-key create`` and stored hashed
  in the audit database.

:func:`authenticate` turns the header into a :class:`Principal` or raises :class:`AuthError` with
status 401; :func:`authorize` raises 403 when the principal's role lacks the permission. Error
messages are fixed phrases: they never echo the token, its claims or anything from the request.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from medcoder.audit.api_keys import PREFIX as API_KEY_PREFIX
from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.events import ID_PATTERN
from medcoder.audit.roles import PERMISSIONS, Permission, Role, is_allowed
from medcoder.audit.store import AuditReadError
from medcoder.errors import MedcoderError

__all__ = [
    "PERMISSIONS",
    "AuthConfig",
    "AuthError",
    "JwtConfig",
    "Permission",
    "Principal",
    "Role",
    "authenticate",
    "authorize",
    "load_auth_config",
    "require",
]

log = logging.getLogger(__name__)

SUPPORTED_ALGORITHMS = ("HS256", "RS256")
_SUBJECT = re.compile(ID_PATTERN)


class AuthError(MedcoderError):
    """Authentication (401) or authorization (403) failed; ``message`` is safe to return to the caller."""

    def __init__(self, status: int, message: str) -> None:
        if status not in (401, 403, 503):
            raise ValueError(f"AuthError status must be 401, 403 or 503, got {status}")
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")

    @property
    def headers(self) -> dict[str, str]:
        """Response headers (RFC 6750): a 401 tells the client to present a bearer token."""
        return {"WWW-Authenticate": 'Bearer realm="medcoder"'} if self.status == 401 else {}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: ``subject`` becomes the audit actor id, ``role`` drives permissions."""

    subject: str
    role: Role
    method: str  # "jwt" or "api_key"

    def can(self, permission: Permission) -> bool:
        return is_allowed(self.role, permission)


@dataclass(frozen=True)
class JwtConfig:
    """How to verify JWTs: exactly one of ``key`` (HS256 secret or RS256 public key PEM),
    ``jwks`` (a JWKS document as a dict) or ``jwks_url``."""

    algorithms: tuple[str, ...] = ("RS256",)
    key: str | bytes | None = field(default=None, repr=False)
    jwks: Mapping[str, Any] | None = None
    jwks_url: str | None = None
    audience: str | None = None
    issuer: str | None = None
    leeway_s: int = 0

    def __post_init__(self) -> None:
        sources = [self.key is not None, self.jwks is not None, self.jwks_url is not None]
        if sum(sources) != 1:
            raise ValueError("JwtConfig needs exactly one of key, jwks or jwks_url")
        bad = [a for a in self.algorithms if a not in SUPPORTED_ALGORITHMS]
        if not self.algorithms or bad:
            raise ValueError(
                f"JwtConfig algorithms must be a subset of {SUPPORTED_ALGORITHMS}, got {self.algorithms}"
            )
        if self.key is not None and len(self.algorithms) != 1:
            raise ValueError("with a single key, give exactly one algorithm (never mix HS256 and RS256)")


@dataclass(frozen=True)
class AuthConfig:
    """What :func:`authenticate` accepts: JWTs (if ``jwt`` is set) and/or API keys (if ``api_keys``)."""

    jwt: JwtConfig | None = None
    api_keys: ApiKeyStore | None = None


def authenticate(header: str | None, config: AuthConfig) -> Principal:
    """The principal named by an ``Authorization`` header value, or :class:`AuthError` (401)."""
    if not header or not header.strip():
        raise AuthError(401, "missing bearer token")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthError(401, "authorization header must be 'Bearer <token>'")
    if token.startswith(API_KEY_PREFIX + "_"):
        return _api_key_principal(token, config)
    if config.jwt is None:
        raise AuthError(401, "invalid token")
    return _jwt_principal(token, config.jwt)


def authorize(principal: Principal, permission: Permission) -> None:
    """Raise :class:`AuthError` (403) unless the principal's role grants ``permission``."""
    if not principal.can(permission):
        raise AuthError(
            403, f"role '{principal.role.value}' may not perform '{Permission(permission).value}'"
        )


def require(header: str | None, permission: Permission, config: AuthConfig) -> Principal:
    """:func:`authenticate` then :func:`authorize`: what every API calls first."""
    principal = authenticate(header, config)
    authorize(principal, permission)
    return principal


def _api_key_principal(token: str, config: AuthConfig) -> Principal:
    if config.api_keys is None:
        raise AuthError(401, "invalid token")
    try:
        record = config.api_keys.check(token)
    except AuditReadError:
        log.error("API key store unavailable")
        raise AuthError(503, "authentication store unavailable") from None
    if record is None:
        raise AuthError(401, "unknown or revoked API key")
    return Principal(subject=f"apikey:{record.key_id}", role=record.role, method="api_key")


@functools.lru_cache(maxsize=8)
def _jwk_client(url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL, so fetched keys are cached between requests."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def _signing_key(token: str, cfg: JwtConfig) -> Any:
    if cfg.key is not None:
        return cfg.key
    if cfg.jwks_url is not None:
        try:
            return _jwk_client(cfg.jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            log.error("JWKS endpoint unreachable")
            raise AuthError(503, "authentication keys unavailable") from None
        except jwt.PyJWKClientError:
            raise AuthError(401, "invalid token") from None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(dict(cfg.jwks or {})).keys
    except jwt.PyJWTError:
        raise AuthError(401, "invalid token") from None
    matching = [k for k in keys if k.key_id == kid] if kid is not None else keys
    if len(matching) != 1:
        raise AuthError(401, "invalid token")
    return matching[0].key


def _jwt_principal(token: str, cfg: JwtConfig) -> Principal:
    key = _signing_key(token, cfg)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(cfg.algorithms),
            audience=cfg.audience,
            issuer=cfg.issuer,
            leeway=cfg.leeway_s,
            options={
                "require": ["sub", "role", "exp"]
                + (["aud"] if cfg.audience else [])
                + (["iss"] if cfg.issuer else [])
            },
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "token expired") from None
    except jwt.InvalidAudienceError:
        raise AuthError(401, "token audience not accepted") from None
    except jwt.InvalidIssuerError:
        raise AuthError(401, "token issuer not accepted") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(401, f"token lacks required claim '{exc.claim}'") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise AuthError(401, "invalid token") from None
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise AuthError(401, "token subject is not a valid identifier")
    try:
        return Principal(subject=subject, role=Role(role), method="jwt")
    except ValueError:
        raise AuthError(401, f"token role must be one of {[r.value for r in Role]}") from None


def load_auth_config(settings: Mapping[str, Any], api_keys: ApiKeyStore | None = None) -> AuthConfig:
    """Build an :class:`AuthConfig` from a settings mapping (e.g. the ``auth`` block of serving.yaml).

    Recognised keys under ``jwt``: ``algorithms``, ``secret_env`` (name of the environment
    variable holding an HS256 secret; secrets never live in config files), ``public_key_file``,
    ``jwks_file``, ``jwks_url``, ``audience``, ``issuer``, ``leeway_s``.
    """
    jwt_settings = settings.get("jwt")
    jwt_config = None
    if jwt_settings:
        algorithms = tuple(jwt_settings.get("algorithms", ["RS256"]))
        key: str | None = None
        jwks = None
        if jwt_settings.get("secret_env"):
            key = os.environ.get(jwt_settings["secret_env"])
            if not key:
                raise ValueError(f"environment variable {jwt_settings['secret_env']} (JWT secret) is not set")
        elif jwt_settings.get("public_key_file"):
            key = Path(jwt_settings["public_key_file"]).read_text()
        elif jwt_settings.get("jwks_file"):
            jwks = json.loads(Path(jwt_settings["jwks_file"]).read_text())
        jwt_config = JwtConfig(
            algorithms=algorithms,
            key=key,
            jwks=jwks,
            jwks_url=jwt_settings.get("jwks_url"),
            audience=jwt_settings.get("audience"),
            issuer=jwt_settings.get("issuer"),
            leeway_s=int(jwt_settings.get("leeway_s", 0)),
        )
    return AuthConfig(jwt=jwt_config, api_keys=api_keys)
