"""One way to code a note: ``medcoder code --format json`` and a POST to the service agree.

Both run ``medcoder.coding.CodingPipeline`` on the same note with the same defaults (date of
service today, UTC; built-in pipeline settings), so codes, probabilities, route and E/M must match.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcoder.audit.api_keys import ApiKeyStore
from medcoder.audit.store import AuditStore
from medcoder.cli import app as root_app
from medcoder.coding.config import PipelineConfig, load_pipeline_config
from medcoder.coding.pipeline import CodingPipeline
from medcoder.serving.app import CodingService
from medcoder.serving.auth import AuthConfig, JwtConfig, Permission
from medcoder.serving.client import service_token
from medcoder.serving.config import DEFAULT_CONFIG, ServingConfig, load_serving_config
from medcoder.serving.schemas import CodeRequest

pytestmark = pytest.mark.slow
SAMPLE_NOTE = Path(__file__).resolve().parents[2] / "configs" / "demo" / "sample_note.txt"
SECRET = "unit-test-secret-unit-test-secret-0123"


def _summary(result: dict) -> dict:
    return {
        "codes": [(s["system"], s["code"], round(s["probability"], 6)) for s in result["suggestions"]],
        "suppressed": [(s["code"], s["assertion"]) for s in result["suppressed"]],
        "findings": sorted((f["rule_id"], tuple(f["codes"])) for f in result["findings"]),
        "route": result["route"],
        "em": result["em"],
        "hcc": result["hcc"],
        "cdi": result["cdi_queries"],
        "model_version": result["versions"]["model_version"],
    }


def test_cli_json_matches_a_post_to_the_service(tiny_model: Path, tmp_path: Path) -> None:
    cli = CliRunner().invoke(
        root_app, ["code", str(SAMPLE_NOTE), "--model", str(tiny_model), "--format", "json"]
    )
    assert cli.exit_code == 0, cli.output
    from_cli = json.loads(cli.stdout)

    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        auth = AuthConfig(jwt=JwtConfig(algorithms=("HS256",), key=SECRET), api_keys=ApiKeyStore(store))
        service = CodingService(CodingPipeline.from_model_dir(tiny_model), store, auth, ServingConfig())
        principal = service.authorize(
            f"Bearer {service_token(SECRET, subject='ehr', role='service')}", Permission.CODE
        )
        request = CodeRequest(text=SAMPLE_NOTE.read_text(encoding="utf-8"))
        from_service = asyncio.run(service.code(request, principal)).model_dump(mode="json")
    finally:
        store.close()

    assert _summary(from_cli) == _summary(from_service)
    assert from_cli["em"] is not None or from_service["em"] is None
    assert "audit_seq" not in from_cli and from_service["audit_seq"] is not None


def test_cli_table_prints_the_route(tiny_model: Path) -> None:
    res = CliRunner().invoke(root_app, ["code", str(SAMPLE_NOTE), "--model", str(tiny_model)])
    assert res.exit_code == 0, res.output
    assert "route" in res.output.lower()


def test_cli_and_service_default_settings_agree() -> None:
    """The CLI's built-in pipeline settings are the packaged serving config's."""
    assert load_pipeline_config() == PipelineConfig() == load_serving_config(DEFAULT_CONFIG).pipeline
    assert DEFAULT_CONFIG.is_file()


def test_cli_refuses_a_bad_date(tiny_model: Path) -> None:
    res = CliRunner().invoke(
        root_app, ["code", str(SAMPLE_NOTE), "--model", str(tiny_model), "--date-of-service", "03/16/2026"]
    )
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
