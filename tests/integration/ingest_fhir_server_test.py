"""End-to-end FHIR intake against a real FHIR server on 127.0.0.1.

The server is Medplum's FhirRouter + in-memory repository (tests/integration/fhir_server,
installed with ``npm ci --prefix tests/integration/fhir_server``) with a SMART backend-services
token endpoint that verifies our RS384 client assertion against the public key. It answers every
7th FHIR request with 429, so every test here also exercises the client's retries.
The 25 Synthea HIV-module bundles are loaded as transactions; expected counts come from reading
those bundles directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import require_shared
from medcoder.data.records import Setting, Sex
from medcoder.ingest.fhir_client import FhirClient, RetryPolicy
from medcoder.ingest.model import IngestedDocument, Rejection
from medcoder.ingest.smart_auth import SmartAuthError, SmartBackendAuth, discover_token_endpoint

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]
SERVER_DIR = Path(__file__).parent / "fhir_server"
CLIENT_ID = "medcoder-test"
ADMIN = {"x-test-admin": "load", "content-type": "application/fhir+json", "accept": "application/fhir+json"}
CCDA = b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1"/><code code="11488-4"/>
<component><structuredBody><component><section><code code="10164-2"/><title>History of Present Illness</title>
<text><paragraph>Referred for evaluation of right shoulder pain after a fall.</paragraph></text></section></component>
</structuredBody></component></ClinicalDocument>"""
HTML = b"<html><body><h2>Assessment</h2><p>Left ankle sprain, grade 2. Ice, compression, follow up in one week.</p></body></html>"


@dataclass
class Server:
    base: str
    fhir: str
    private_pem: bytes
    synthea_patients: list[str]
    expected: dict[str, int]
    extra: dict[str, str]


def _need(cond: bool, what: str) -> None:
    if not cond:
        if os.environ.get("CI") or os.environ.get("MEDCODER_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(what)
        pytest.skip(what)


def _keypair() -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return priv, pub


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    synthea = require_shared("synthea_fhir", "hiv_module_r4")
    _need(shutil.which("node") is not None, "node is not installed (apt-get install -y nodejs npm)")
    _need((SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").exists(),
          "FHIR test server not installed: npm ci --prefix tests/integration/fhir_server")  # fmt: skip
    priv, pub = _keypair()
    env = os.environ | {"PORT": "0", "CLIENT_ID": CLIENT_ID, "CLIENT_PUBLIC_KEY_PEM": pub.decode(),
                        "TOKEN_TTL_S": "300", "RATE_LIMIT_EVERY": "7"}  # fmt: skip
    proc = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=SERVER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("LISTENING"):
            proc.kill()
            pytest.fail(f"FHIR server did not start: {line}")
        base = f"http://127.0.0.1:{int(line.split()[1])}"
        fhir = base + "/fhir"
        expected = {"docrefs": 0, "current": 0, "current_since_2015": 0}
        patients: list[str] = []
        with httpx.Client(timeout=60) as http:
            for f in sorted(synthea.glob("*.json.gz")):
                bundle = json.loads(gzip.decompress(f.read_bytes()))
                for e in bundle["entry"]:
                    r = e["resource"]
                    if r["resourceType"] == "DocumentReference":
                        expected["docrefs"] += 1
                        expected["current"] += r["status"] == "current"
                        expected["current_since_2015"] += (
                            r["status"] == "current" and r["date"][:10] >= "2015-01-01"
                        )
                resp = http.post(fhir, content=json.dumps(bundle), headers=ADMIN)
                resp.raise_for_status()
                patients.append(resp.json()["entry"][0]["response"]["location"].split("/_history")[0])
            extra = _load_extra(http, fhir)
        yield Server(base, fhir, priv, patients, expected, extra)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _create(http: httpx.Client, fhir: str, resource: dict) -> str:
    resp = http.post(f"{fhir}/{resource['resourceType']}", content=json.dumps(resource), headers=ADMIN)
    resp.raise_for_status()
    return f"{resource['resourceType']}/{resp.json()['id']}"


def _load_extra(http: httpx.Client, fhir: str) -> dict[str, str]:
    """One patient with final, preliminary and broken documents whose attachments are Binary URLs."""
    pat = _create(http, fhir, {"resourceType": "Patient", "gender": "female", "birthDate": "1961-03-02"})
    enc = _create(http, fhir, {"resourceType": "Encounter", "status": "finished", "subject": {"reference": pat},
                               "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
                               "period": {"start": "2024-05-01T10:00:00Z"}})  # fmt: skip
    html = _create(
        http,
        fhir,
        {"resourceType": "Binary", "contentType": "text/html", "data": base64.b64encode(HTML).decode()},
    )
    ccda = _create(
        http,
        fhir,
        {
            "resourceType": "Binary",
            "contentType": "application/hl7-v3+xml",
            "data": base64.b64encode(CCDA).decode(),
        },
    )

    def docref(url: str, ctype: str, doc_status: str) -> str:
        return _create(http, fhir, {
            "resourceType": "DocumentReference", "status": "current", "docStatus": doc_status,
            "subject": {"reference": pat}, "date": "2024-05-01T12:00:00Z",
            "context": {"encounter": [{"reference": enc}]},
            "content": [{"attachment": {"contentType": ctype, "url": url}}],
        })  # fmt: skip

    return {
        "patient": pat,
        "encounter": enc,
        "html": docref(f"{fhir}/{html}", "text/html", "final"),
        "ccda": docref(f"{fhir}/{ccda}", "application/hl7-v3+xml", "final"),
        "missing": docref(f"{fhir}/Binary/does-not-exist", "text/plain", "final"),
        "prelim": docref(f"{fhir}/{html}", "text/html", "preliminary"),
    }


def _auth(server: Server, **kw: object) -> SmartBackendAuth:
    return SmartBackendAuth(discover_token_endpoint(server.fhir), CLIENT_ID, server.private_pem, **kw)  # type: ignore[arg-type]


def _stats(server: Server) -> dict[str, int]:
    return httpx.get(server.base + "/_stats").json()


def test_requests_without_token_are_refused(server: Server) -> None:
    assert httpx.get(server.fhir + "/Patient").status_code == 401


def test_token_fetched_once_and_cached(server: Server) -> None:
    auth = _auth(server)
    assert auth.token_url == server.base + "/auth/token"
    before = _stats(server)["tokensIssued"]
    with FhirClient(server.fhir, auth=auth) as client:
        assert client.read(server.extra["patient"])["gender"] == "female"
        client.read(server.extra["encounter"])
    assert auth.tokens_fetched == 1 and _stats(server)["tokensIssued"] == before + 1  # cached, not refetched


def test_wrong_key_is_rejected_by_the_token_endpoint(server: Server) -> None:
    other_priv, _ = _keypair()
    auth = SmartBackendAuth(server.base + "/auth/token", CLIENT_ID, other_priv)
    with pytest.raises(SmartAuthError, match="bad signature"):
        auth.token()
    wrong_client = SmartBackendAuth(server.base + "/auth/token", "someone-else", server.private_pem)
    with pytest.raises(SmartAuthError, match="iss/sub"):
        wrong_client.token()


def test_token_refreshed_before_expiry_and_after_401(server: Server) -> None:
    now = [time.time()]
    auth = _auth(server, clock=lambda: now[0], refresh_margin_s=30)
    with FhirClient(server.fhir, auth=auth) as client:
        client.read(server.extra["patient"])
        now[0] += 200  # 100 s left of 300: still cached
        client._cache.clear()
        client.read(server.extra["patient"])
        assert auth.tokens_fetched == 1
        now[0] += 80  # 20 s left < 30 s margin: refreshed before use
        client._cache.clear()
        client.read(server.extra["patient"])
        assert auth.tokens_fetched == 2
        auth._token = "revoked-by-server"  # the server no longer knows it: 401, then a fresh token
        client._cache.clear()
        client.read(server.extra["patient"])
        assert auth.tokens_fetched == 3


def test_search_follows_paging(server: Server) -> None:
    with FhirClient(server.fhir, auth=_auth(server)) as client:
        before = _stats(server)["fhirRequests"]
        found = list(client.search_document_references(status="current", doc_status=None, page_size=7))
        pages = _stats(server)["fhirRequests"] - before
    total = server.expected["current"] + 4  # the 4 hand-made current documents
    assert total == 29
    assert len(found) == total and len({d["id"] for d in found}) == total
    assert pages >= -(-total // 7)  # ceil(29 / 7) = 5 pages at least (more with 429 retries)


def test_search_by_date_and_patient(server: Server) -> None:
    with FhirClient(server.fhir, auth=_auth(server)) as client:
        since = list(client.search_document_references(since=dt.date(2015, 1, 1), doc_status=None))
        one = list(
            client.search_document_references(
                patient=server.synthea_patients[0], status=None, doc_status=None
            )
        )
    assert len(since) == server.expected["current_since_2015"] + 4
    first = json.loads(
        gzip.decompress(
            sorted(require_shared("synthea_fhir", "hiv_module_r4").glob("*.json.gz"))[0].read_bytes()
        )
    )
    n_first = sum(e["resource"]["resourceType"] == "DocumentReference" for e in first["entry"])
    assert len(one) == n_first and all(d["subject"]["reference"] == server.synthea_patients[0] for d in one)


def test_documents_end_to_end_with_binary_urls(server: Server) -> None:
    with FhirClient(server.fhir, auth=_auth(server), retry=RetryPolicy(base_delay_s=0.01)) as client:
        results = list(client.documents(status="current", doc_status="final"))
        skipped = client.skipped_doc_status
    by_id = {(r.document.source_id if isinstance(r, IngestedDocument) else r.source_id): r for r in results}
    assert set(by_id) == {server.extra[k] for k in ("html", "ccda", "missing")}
    html = by_id[server.extra["html"]]
    assert isinstance(html, IngestedDocument)
    assert (
        html.document.text
        == "Assessment\nLeft ankle sprain, grade 2. Ice, compression, follow up in one week."
    )
    assert [s.name for s in html.document.sections] == ["assessment"]
    assert (
        html.document.patient.sex is Sex.FEMALE and html.document.patient.age == 63
    )  # 1961-03-02 -> 2024-05-01
    assert html.document.setting is Setting.EMERGENCY and html.status == "final"
    ccda = by_id[server.extra["ccda"]]
    assert isinstance(ccda, IngestedDocument)
    assert (
        ccda.document.text
        == "History of Present Illness\nReferred for evaluation of right shoulder pain after a fall.\n"
    )
    missing = by_id[server.extra["missing"]]
    assert isinstance(missing, Rejection) and "not found" in missing.reason
    # 25 current Synthea notes have no docStatus, 1 hand-made one is preliminary: all filtered.
    assert skipped == server.expected["current"] + 1
    assert _stats(server)["rateLimited"] > 0  # the server did throttle during these tests


def test_retries_on_429_are_counted(server: Server) -> None:
    with FhirClient(server.fhir, auth=_auth(server), retry=RetryPolicy(base_delay_s=0.01)) as client:
        for _ in range(14):
            client._cache.clear()
            client.read(server.extra["patient"])
        assert client.retries >= 1  # every 7th request is answered 429 and retried


def test_cli_fhir_command_end_to_end(server: Server, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from medcoder.data.io import read_documents
    from medcoder.ingest.cli import group

    key = tmp_path / "client.pem"
    key.write_bytes(server.private_pem)
    out, report = tmp_path / "docs.jsonl", tmp_path / "report.json"
    args = ["fhir", "--base-url", server.fhir, "--since", "2024-01-01", "--client-id", CLIENT_ID,
            "--key-file", str(key), "--out", str(out), "--report", str(report), "--include-held"]  # fmt: skip
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 0, result.output
    docs = read_documents(out)
    assert sorted(d.source_id for d in docs) == sorted([server.extra["html"], server.extra["ccda"]])
    rep = json.loads(report.read_text())
    assert [r["source_id"] for r in rep["rejected"]] == [server.extra["missing"]]
    # Both notes are short hand-made texts: held back for too little narrative, with that reason.
    assert all(any(f["check"] == "narrative" for f in h["findings"]) for h in rep["held"])
