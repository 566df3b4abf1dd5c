"""`medcoder serve` fails fast and clearly when the service could not start (issue 20): one line
naming what to set, a non-zero exit within seconds, and no port left bound."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medcoder.serving.config import ServingConfig
from medcoder.serving.preflight import StartupError, check_auth, check_model, check_port
from medcoder.serving.server import free_port

MEDCODER = Path(sys.executable).with_name("medcoder")


def serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    done = subprocess.run(
        [str(MEDCODER), "serve", *args], env=env, capture_output=True, text=True, timeout=15
    )
    return done, time.monotonic() - t0


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_serve_without_jwt_secret_exits_within_15_s_naming_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"MEDCODER_JWT_SECRET", "MEDCODER_SERVING_CONFIG"}}
    port = free_port()
    done, elapsed = serve(["--model", str(tmp_path), "--port", str(port)], env)
    assert done.returncode != 0 and elapsed < 15
    (line,) = done.stderr.strip().splitlines()  # one line, no traceback
    assert "MEDCODER_JWT_SECRET" in line and "is not set" in line
    assert port_is_free(port)


def test_serve_with_an_empty_model_directory_says_what_is_missing(tmp_path: Path) -> None:
    env = {**os.environ, "MEDCODER_JWT_SECRET": "s" * 32}
    env.pop("MEDCODER_SERVING_CONFIG", None)
    done, _ = serve(["--model", str(tmp_path), "--port", str(free_port())], env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"medcoder serve: {tmp_path} is not a medcoder model directory: missing weights.safetensors, "
        "config.yaml, labels.json, thresholds.json, versions.json, metrics.json"
    )


def test_check_auth_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_SECRET", raising=False)
    config = ServingConfig(auth={"jwt": {"algorithms": ["HS256"], "secret_env": "MY_SECRET"}})
    with pytest.raises(
        StartupError, match=r"^environment variable MY_SECRET \(JWT secret\) is not set; set it"
    ):
        check_auth(config)
    monkeypatch.setenv("MY_SECRET", "x" * 32)
    check_auth(config)
    check_auth(ServingConfig(auth={}))  # API keys only: no secret needed


def test_check_model_and_port(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="^no model directory"):
        check_model(ServingConfig(), None)
    check_model(ServingConfig(), "medcoder-laat:sha-0123")  # a BentoML tag brings its own directory
    with pytest.raises(StartupError, match="does not exist$"):
        check_model(ServingConfig(model_dir=str(tmp_path / "nope")), None)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(StartupError, match=f"^port {port} on 127.0.0.1 is not free"):
            check_port("127.0.0.1", port)
