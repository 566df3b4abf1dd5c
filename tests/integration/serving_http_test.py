"""A real `bentoml serve` of serving/service.py on 127.0.0.1 with a tiny trained model, called over HTTP.

Covers: coding with JWT and API-key auth, every role, bad input (no worker crash), no PHI in the
server log, batching, the audit chain, the OpenAPI document, and a bounded schemathesis fuzz run.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from medcoder.serving.client import service_token

pytestmark = pytest.mark.slow

SECRET = "integration-secret-integration-secret-42"
PHRASE = "Zanzibar quokka syndrome 7731"
NOTE = (
    "CHIEF COMPLAINT:\nFollow-up.\n\nASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus with hyperglycemia: "
    "increase metformin.\n2. Essential hypertension: continue lisinopril.\nShe denies chest pain.\n"
)
CONFIG = """\
max_body_bytes: 60000
pipeline: {max_note_chars: 20000}
batching: {max_batch_size: 8, max_latency_ms: 5}
auth: {jwt: {algorithms: [HS256], secret_env: MEDCODER_JWT_SECRET}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from medcoder.audit.api_keys import ApiKeyStore
    from medcoder.audit.store import AuditStore
    from medcoder.serving.server import server_env, start_server
    from medcoder.training.testing import tiny_model_dir

    model = tiny_model_dir(tmp_path_factory.getbasetemp())
    work = tmp_path_factory.mktemp("serving_http")
    (work / "serving.yaml").write_text(CONFIG)
    audit_url = f"sqlite:///{work / 'audit.db'}"
    with AuditStore(audit_url) as store:
        coder_key = ApiKeyStore(store).create_api_key("coder").plaintext
        billing_key = ApiKeyStore(store).create_api_key("billing").plaintext
    env = server_env(model, audit_url, work / "bentoml",
                     extra={"MEDCODER_JWT_SECRET": SECRET, "MEDCODER_SERVING_CONFIG": str(work / "serving.yaml"),
                            "MEDCODER_CLAIMS_DB": f"sqlite:///{work / 'claims.db'}"})  # fmt: skip
    handle = start_server(env, work / "server.log", timeout_s=240)
    handle.audit_url = audit_url  # type: ignore[attr-defined]
    handle.coder_key = coder_key  # type: ignore[attr-defined]
    handle.billing_key = billing_key  # type: ignore[attr-defined]
    yield handle
    handle.stop()


def auth(role: str = "service", sub: str = "ehr-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(SECRET, subject=sub, role=role)}"}


def post(server, route: str, body, headers=None, **kw) -> httpx.Response:
    return httpx.post(
        f"{server.url}{route}", json=body, headers=auth() if headers is None else headers, timeout=60, **kw
    )


def test_code_returns_claim_ready_parts(server) -> None:
    r = post(server, "/v1/code", {"text": NOTE, "document_id": "enc-1", "patient": {"age": 70, "sex": "F"},
                                  "setting": "outpatient", "payer": "MEDICARE", "em_code": "99213"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["document_id"] == "enc-1" and len(body["request_id"]) == 32
    assert body["suggestions"], "the tiny model suggests codes for a diabetes note"
    for s in body["suggestions"]:
        assert 0 <= s["probability"] <= 1 and s["description"]
        for e in s["evidence"]:
            assert NOTE[e["start"] : e["end"]] == e["text"]
    assert body["route"]["decision"] in {"auto", "review", "escalate"} and body["route"]["reasons"]
    assert body["em"]["billed"] == "99213"
    assert body["versions"]["model_version"].startswith("sha-") and body["audit_seq"] >= 1


def test_fhir_document_reference_is_coded(server) -> None:
    resource = {"resourceType": "DocumentReference", "id": "dr-7", "status": "current",
                "content": [{"attachment": {"contentType": "text/plain",
                                            "data": base64.b64encode(NOTE.encode()).decode()}}]}  # fmt: skip
    r = post(server, "/v1/code", {"fhir": resource, "setting": "outpatient"})
    assert r.status_code == 200, r.text
    assert r.json()["document_id"] == "fhir:DocumentReference/dr-7"


def test_roles_and_tokens(server) -> None:
    body = {"text": NOTE}
    no_token = post(server, "/v1/code", body, headers={})
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    assert post(server, "/v1/code", body, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    assert post(server, "/v1/code", body, headers=auth("auditor")).status_code == 403
    assert post(server, "/v1/code", body, headers=auth("admin")).status_code == 200
    key = {"Authorization": f"Bearer {server.coder_key}"}
    coded = post(server, "/v1/code", {"text": NOTE, "document_id": "enc-fb"}, headers=key)
    assert coded.status_code == 200
    fb = {"document_id": "enc-fb", "request_id": coded.json()["request_id"], "action": "reject",
          "codes": [{"system": "ICD-10-CM", "code": "I10"}], "reason": "documentation_does_not_support"}  # fmt: skip
    assert post(server, "/v1/feedback", fb, headers=auth("service")).status_code == 403
    ok = post(server, "/v1/feedback", fb, headers=key)
    assert ok.status_code == 200 and ok.json()["seq"] > coded.json()["audit_seq"]
    assert post(server, "/v1/health", {}, headers=auth("auditor")).status_code == 200


def test_bad_input_gets_clear_errors_and_the_worker_survives(server) -> None:
    cases = [
        ({"text": ""}, 422, "/text"),
        ({"text": " \n\t "}, 422, "/text"),
        ({"text": "x" * 20001}, 413, "/text"),
        ({"text": "x" * 70000}, 413, "/"),  # body over max_body_bytes
        ({"text": "fever", "payer": "UNKNOWN-PAYER"}, 422, "/payer"),
        (
            {
                "fhir": {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "content": [{"attachment": {"contentType": 7}}],
                }
            },
            422,
            "/fhir/content/0/attachment",
        ),  # fmt: skip
        ({"text": "fever", "date_of_service": "2090-01-01"}, 422, "/date_of_service"),
    ]
    for body, status, pointer in cases:
        r = post(server, "/v1/code", body)
        assert r.status_code == status, (body.keys(), r.text)
        assert r.json()["pointer"].startswith(pointer) and r.json()["error"]
    age = post(server, "/v1/code", {"text": "fever", "patient": {"age": 212}})
    assert age.status_code == 400 and age.json()["detail"][0]["loc"] == ["patient", "age"]
    raw = httpx.post(f"{server.url}/v1/code", content=b'{"text": "caf\xff\xfe"}',
                     headers={**auth(), "content-type": "application/json"})  # fmt: skip
    assert raw.status_code == 400 and "json" in raw.text.lower()
    plain = httpx.post(
        f"{server.url}/v1/code", content=NOTE.encode(), headers={**auth(), "content-type": "text/plain"}
    )
    assert plain.status_code == 415
    assert httpx.get(f"{server.url}/readyz").status_code == 200
    assert post(server, "/v1/code", {"text": NOTE}).status_code == 200


def test_batch_endpoint(server) -> None:
    items = [{"text": NOTE, "document_id": f"bat-{i}"} for i in range(3)] + [{"text": "Acute bronchitis."}]
    r = post(server, "/v1/code_batch", {"items": items})
    assert r.status_code == 200, r.text
    assert [x["document_id"] for x in r.json()["results"][:3]] == ["bat-0", "bat-1", "bat-2"]
    bad = post(server, "/v1/code_batch", {"items": [{"text": NOTE}, {"text": " "}]})
    assert bad.status_code == 422 and bad.json()["pointer"] == "/items/1/text"


def test_no_phi_in_server_logs(server) -> None:
    note = NOTE + f"History of {PHRASE}.\n"
    assert post(server, "/v1/code", {"text": note}).status_code == 200
    post(server, "/v1/code", {"text": note, "patient": {"age": 999}})  # pydantic error (input withheld)
    post(server, "/v1/code", {"text": note, "unexpected": PHRASE})  # extra field
    post(server, "/v1/code", {"text": note}, headers={"Authorization": "Bearer " + PHRASE.replace(" ", "")})
    post(server, "/v1/code", [PHRASE])  # not even an object
    log = server.log_text()
    assert "/v1/code" in log  # the log is the server's and it saw the requests
    assert PHRASE.lower() not in log.lower() and "quokka" not in log.lower()


def test_openapi_and_audit_chain(server) -> None:
    from medcoder.audit.store import AuditStore

    spec = httpx.get(f"{server.url}/docs.json").json()
    for route in ("/v1/code", "/v1/code_batch", "/v1/feedback", "/v1/health"):
        assert route in spec["paths"]
    with AuditStore(server.audit_url, create=False) as store:
        assert store.verify().ok
        assert len(store.events()) >= 5


def _fuzz(server, tmp_path, key: str, *extra: str) -> subprocess.CompletedProcess:
    st = Path(sys.executable).with_name("schemathesis")
    examples = os.environ.get("MEDCODER_FUZZ_EXAMPLES", "25")
    seed = os.environ.get("MEDCODER_FUZZ_SEED", "7")
    cmd = [str(st), "run", f"{server.url}/docs.json", "--checks", "not_a_server_error",
           "--header", f"Authorization: Bearer {key}", "--max-examples", examples, "--seed", seed,
           "--phases", "examples,coverage,fuzzing", "--no-shrink", "--request-timeout", "60",
           "--report-dir", str(tmp_path), *extra]  # fmt: skip
    # cwd: schemathesis keeps a .schemathesis/ cache in the working directory; keep it out of the repo.
    tmp_path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=240 * max(1, int(examples) // 25), cwd=tmp_path
    )


def test_schemathesis_fuzz_finds_no_server_errors(server, tmp_path) -> None:
    """Bounded fuzzing of every operation in the OpenAPI document with a coder token, then of the
    claims operations with a billing token: no 5xx.

    MEDCODER_FUZZ_EXAMPLES / MEDCODER_FUZZ_SEED widen or vary the run for a deeper local search.
    """
    done = _fuzz(server, tmp_path / "coder", server.coder_key, "--exclude-path-regex", "/v1/claims/")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    done = _fuzz(server, tmp_path / "billing", server.billing_key, "--include-path-regex", "/v1/claims/")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert httpx.get(f"{server.url}/readyz").status_code == 200
