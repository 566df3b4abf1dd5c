"""Start and stop a real ``bentoml serve`` of ``serving/service.py`` on 127.0.0.1 (demo, bench, tests).

The server runs in its own process group with its environment set explicitly (model directory,
audit database, serving config, BENTOML_HOME), and is stopped by signalling that group only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from medcoder.paths import REPO_ROOT

log = logging.getLogger(__name__)

SERVICE_DIR = REPO_ROOT / "serving"
SERVICE_TARGET = "service:MedcoderService"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerHandle:
    """A running server: its base URL, process, and the log file it writes."""

    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False, default_factory=dict)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM the server's process group (only it), then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_env(
    model_dir: str | Path | None,
    audit_url: str,
    bentoml_home: str | Path,
    extra: dict[str, str] | None = None,
    bento_model: str | None = None,
) -> dict[str, str]:
    """The environment a server process needs (inherits PATH etc. from this process)."""
    env = dict(os.environ)
    env.update({"MEDCODER_AUDIT_DB": audit_url, "BENTOML_HOME": str(bentoml_home),
                "BENTOML_DO_NOT_TRACK": "True", "PYTHONUNBUFFERED": "1"})  # fmt: skip
    if model_dir is not None:
        env["MEDCODER_MODEL_DIR"] = str(model_dir)
    if bento_model is not None:
        env["MEDCODER_BENTO_MODEL"] = bento_model
    env.update(extra or {})
    return env


def wait_ready(url: str, process: subprocess.Popen, timeout_s: float, log_path: Path) -> None:
    """Poll ``/readyz`` until 200; raise with the log tail if the process dies or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            raise RuntimeError(f"bentoml serve exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"server at {url} not ready after {timeout_s:.0f} s (log: {log_path})")


def start_server(
    env: dict[str, str],
    log_path: str | Path,
    port: int | None = None,
    timeout_s: float = 180.0,
    service_dir: Path = SERVICE_DIR,
) -> ServerHandle:
    """Run ``bentoml serve`` bound to 127.0.0.1 and wait until it is ready."""
    port = port or free_port()
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    bentoml = Path(sys.executable).with_name("bentoml")
    cmd = [str(bentoml) if bentoml.exists() else "bentoml", "serve", SERVICE_TARGET, "--working-dir",
           str(service_dir), "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    handle = ServerHandle(url, proc, log_path, env)
    try:
        wait_ready(url, proc, timeout_s, log_path)
    except BaseException:
        handle.stop()
        raise
    log.info("bentoml serve ready at %s (pid %d)", url, proc.pid)
    return handle
