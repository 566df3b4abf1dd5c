"""SMART Backend Services authorization (client credentials with a signed JWT assertion).

The client proves its identity with a short-lived JWT signed RS384 by its private key (the EHR
holds the public key or its JWKS), posts it to the token endpoint with
``grant_type=client_credentials``, and gets a bearer token with ``expires_in``. We cache the
token and fetch a new one ``refresh_margin_s`` before it expires, or at once when the server
answers 401. See https://hl7.org/fhir/smart-app-launch/backend-services.html.

Tokens and keys are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Generator

import httpx
import jwt

from medcoder.errors import MedcoderError

log = logging.getLogger(__name__)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class SmartAuthError(MedcoderError):
    """The token endpoint refused the client or answered something unusable."""


def discover_token_endpoint(base_url: str, http: httpx.Client | None = None) -> str:
    """Read ``token_endpoint`` from ``{base}/.well-known/smart-configuration``."""
    client = http or httpx.Client(timeout=30)
    resp = client.get(base_url.rstrip("/") + "/.well-known/smart-configuration")
    if resp.status_code != 200:
        raise SmartAuthError(f"SMART configuration not found at {base_url} (HTTP {resp.status_code})")
    endpoint = resp.json().get("token_endpoint")
    if not endpoint:
        raise SmartAuthError("SMART configuration has no token_endpoint")
    return str(endpoint)


class SmartBackendAuth(httpx.Auth):
    """httpx auth that adds a cached SMART backend-services bearer token to each request."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        private_key_pem: str | bytes,
        *,
        scope: str = "system/DocumentReference.read system/Binary.read system/Patient.read system/Encounter.read",
        kid: str | None = None,
        algorithm: str = "RS384",
        refresh_margin_s: float = 30.0,
        assertion_lifetime_s: int = 300,
        clock: Callable[[], float] = time.time,
        http: httpx.Client | None = None,
    ) -> None:
        if assertion_lifetime_s > 300:
            raise ValueError("SMART requires the assertion's exp to be at most 5 minutes ahead")
        self.token_url, self.client_id, self.scope = token_url, client_id, scope
        self._key, self._kid, self._alg = private_key_pem, kid, algorithm
        self._margin, self._lifetime, self._clock = refresh_margin_s, assertion_lifetime_s, clock
        self._http = http or httpx.Client(timeout=30)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def client_assertion(self) -> str:
        """A fresh signed JWT: iss = sub = client id, aud = token URL, unique jti, exp <= 5 min.

        ``clock`` drives only the token cache; the assertion always carries wall-clock times.
        """
        now = int(time.time())  # wall clock: the server checks exp against its own time
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
                  "iat": now, "exp": now + self._lifetime, "jti": uuid.uuid4().hex}  # fmt: skip
        headers = {"typ": "JWT"} | ({"kid": self._kid} if self._kid else {})
        return jwt.encode(claims, self._key, algorithm=self._alg, headers=headers)

    def _fetch_token(self) -> None:
        form = {"grant_type": "client_credentials", "scope": self.scope,
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": self.client_assertion()}  # fmt: skip
        resp = self._http.post(self.token_url, data=form, headers={"Accept": "application/json"})
        if resp.status_code != 200:
            detail = ""
            try:
                body = resp.json()
                detail = f": {body.get('error')} {body.get('error_description', '')}".rstrip()
            except ValueError:
                pass
            raise SmartAuthError(f"token endpoint answered HTTP {resp.status_code}{detail}")
        body = resp.json()
        if not body.get("access_token") or str(body.get("token_type", "")).lower() != "bearer":
            raise SmartAuthError("token response lacks a bearer access_token")
        self._token = str(body["access_token"])
        self._expires_at = self._clock() + float(body.get("expires_in", 300))
        self.tokens_fetched += 1
        log.debug("fetched SMART access token (expires in %ss)", body.get("expires_in"))

    def token(self) -> str:
        """The cached token, fetching a new one when missing or within the refresh margin."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._fetch_token()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after a 401)."""
        with self._lock:
            self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            self.invalidate()
            request.headers["Authorization"] = f"Bearer {self.token()}"
            yield request
