"""A FHIR R4 REST client for document intake (httpx): search DocumentReference, follow paging,
read Patient/Encounter, fetch Binary attachments; retries with backoff on 429 and 5xx.

Search: ``patient``, ``encounter``, ``date=ge<since>`` / ``date=lt<until>`` and ``status=current``
go to the server. R4 defines no search parameter for ``docStatus`` (R5 adds ``doc-status``), so
``doc_status="final"`` is applied to each result here; the number skipped is kept in
``skipped_doc_status`` and logged. ``next`` links are only followed on the server's own origin,
so a bearer token never leaves for another host.

Auth is any ``httpx.Auth``; for EHRs use ``medcoder.ingest.smart_auth.SmartBackendAuth``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from medcoder.errors import InputFormatError, MedcoderError
from medcoder.ingest.fhir_parse import Sectionizer, document_from_docref
from medcoder.ingest.model import IngestedDocument, Rejection

log = logging.getLogger(__name__)


class FhirServerError(MedcoderError):
    """The server answered with an error that retrying did not fix."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` (seconds) wins when the server sends it."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_delay_s)
            except ValueError:
                pass
        return min(self.base_delay_s * 2**attempt * (1 + random.random() / 4), self.max_delay_s)


class FhirClient:
    """Synchronous FHIR client bound to one base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float = 30.0,
        max_attachment_bytes: int = 20_000_000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.max_attachment_bytes = max_attachment_bytes
        self._sleep = sleep
        self._http = httpx.Client(auth=auth, timeout=timeout_s, headers={"Accept": "application/fhir+json"})
        self._cache: dict[str, dict] = {}
        self.retries = 0
        self.skipped_doc_status = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else f"{self.base_url}/{path_or_url.lstrip('/')}"

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        """Send a request, retrying 429/5xx and transport errors with backoff."""
        last: str = ""
        for attempt in range(self.retry.max_attempts):
            try:
                resp = self._http.request(method, self._url(url), **kwargs)  # type: ignore[arg-type]
            except httpx.TransportError as e:
                last = f"transport error {type(e).__name__}"
                retry_after = None
            else:
                if resp.status_code not in self.retry.retry_statuses:
                    return resp
                last = f"HTTP {resp.status_code}"
                retry_after = resp.headers.get("Retry-After")
            if attempt + 1 < self.retry.max_attempts:
                self.retries += 1
                delay = self.retry.delay(attempt, retry_after)
                log.info(
                    "FHIR %s %s: %s, retry %d in %.2fs", method, urlsplit(url).path, last, attempt + 1, delay
                )
                self._sleep(delay)
        raise FhirServerError(
            f"{method} {urlsplit(self._url(url)).path} failed after {self.retry.max_attempts} attempts ({last})"
        )

    def _json(self, resp: httpx.Response, what: str) -> dict:
        if resp.status_code >= 400:
            raise FhirServerError(f"{what}: HTTP {resp.status_code}")
        try:
            return resp.json()
        except ValueError as e:
            raise FhirServerError(f"{what}: response is not JSON") from e

    def read(self, reference: str) -> dict:
        """Read ``Type/id`` (cached for the client's lifetime)."""
        if reference not in self._cache:
            self._cache[reference] = self._json(
                self.request("GET", reference), f"read {reference.split('/')[0]}"
            )
        return self._cache[reference]

    def search(self, resource_type: str, params: dict[str, str]) -> Iterator[dict]:
        """Every matching resource across all pages (``next`` links on the same origin only)."""
        url: str | None = self._url(resource_type)
        origin = urlsplit(self.base_url)[:2]
        query: dict[str, str] | None = params
        pages = 0
        while url:
            bundle = self._json(self.request("GET", url, params=query), f"search {resource_type}")
            pages += 1
            for entry in bundle.get("entry") or []:
                if (entry.get("search") or {}).get("mode", "match") == "match" and entry.get("resource"):
                    yield entry["resource"]
            nxt = next(
                (link["url"] for link in bundle.get("link") or [] if link.get("relation") == "next"), None
            )
            if nxt and urlsplit(urljoin(url, nxt))[:2] != origin:
                raise FhirServerError("next link points to another host; refusing to send credentials there")
            url, query = (urljoin(url, nxt) if nxt else None), None
        log.debug("search %s: %d pages", resource_type, pages)

    def search_document_references(
        self,
        *,
        patient: str | None = None,
        encounter: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        status: str | None = "current",
        doc_status: str | None = "final",
        page_size: int = 50,
    ) -> Iterator[dict]:
        """DocumentReferences by patient, encounter and date; ``None`` drops a criterion."""
        params = {"_count": str(page_size)}
        if patient:
            params["patient"] = patient
        if encounter:
            params["encounter"] = encounter
        if status:
            params["status"] = status
        dates = [f"ge{since.isoformat()}"] if since else []
        dates += [f"lt{until.isoformat()}"] if until else []
        if dates:
            params["date"] = dates  # type: ignore[assignment]
        for res in self.search("DocumentReference", params):
            if doc_status and res.get("docStatus") != doc_status:
                self.skipped_doc_status += 1
                continue
            yield res

    def fetch_binary(self, url: str) -> tuple[bytes, str | None]:
        """Bytes and content type of a Binary (by absolute URL or ``Binary/id``)."""
        if urlsplit(self._url(url))[:2] != urlsplit(self.base_url)[:2]:
            raise InputFormatError(f"attachment URL is on another host ({urlsplit(url).netloc}); not fetched")
        resp = self.request("GET", url, headers={"Accept": "application/fhir+json"})
        if resp.status_code == 404:
            raise InputFormatError(f"attachment {urlsplit(url).path} not found (missing attachment)")
        if resp.status_code >= 400:
            raise InputFormatError(f"attachment fetch failed: HTTP {resp.status_code}")
        if len(resp.content) > self.max_attachment_bytes:
            raise InputFormatError(
                f"attachment is {len(resp.content)} bytes, over the {self.max_attachment_bytes} byte limit"
            )
        ctype = resp.headers.get("content-type", "")
        if "json" in ctype:
            body = resp.json()
            if body.get("resourceType") != "Binary" or body.get("data") is None:
                raise InputFormatError("attachment URL did not return a Binary with data")
            return base64.b64decode(body["data"]), body.get("contentType")
        return resp.content, ctype or None

    def documents(
        self, *, sectionizer: Sectionizer | None = None, **search: object
    ) -> Iterator[IngestedDocument | Rejection]:
        """Search DocumentReferences and turn each into a document (or a rejection with its reason)."""
        for res in self.search_document_references(**search):  # type: ignore[arg-type]
            rid = f"DocumentReference/{res.get('id')}"
            try:
                subject_ref = (res.get("subject") or {}).get("reference")
                encs = (res.get("context") or {}).get("encounter") or []
                patient = (
                    self.read(subject_ref) if subject_ref and subject_ref.startswith("Patient/") else None
                )
                enc_ref = encs[0].get("reference") if encs else None
                encounter = self.read(enc_ref) if enc_ref and enc_ref.startswith("Encounter/") else None
                yield document_from_docref(res, patient=patient, encounter=encounter, fetch=self.fetch_binary,
                                           sectionizer=sectionizer, where=rid)  # fmt: skip
            except (InputFormatError, FhirServerError) as e:
                yield Rejection(self.base_url, getattr(e, "problem", str(e)), rid)
        if self.skipped_doc_status:
            log.info(
                "skipped %d DocumentReferences whose docStatus is not the one asked for",
                self.skipped_doc_status,
            )
