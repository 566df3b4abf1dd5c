"""The README's last step: start ``bentoml serve``, code a note over HTTP, print it, stop.

``serve_and_code(model_dir, note_path)`` runs the real service on a free 127.0.0.1 port with a
throw-away BentoML home, audit database and JWT secret (all in a temporary folder unless
``workdir`` is given), waits for readiness, calls ``/v1/code`` with a bearer token, prints the
result with rich and stops the server.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from rich.console import Console

from medcoder.coding.render import render_result
from medcoder.serving.client import CoderClient, service_token
from medcoder.serving.schemas import CodeRequest, CodingResponse
from medcoder.serving.server import server_env, start_server


def serve_and_code(
    model_dir: str | Path,
    note_path: str | Path,
    *,
    age: int | None = 68,
    sex: str = "F",
    setting: str = "outpatient",
    payer: str | None = "MEDICARE",
    em_code: str | None = "99214",
    date_of_service: str | None = None,
    workdir: str | Path | None = None,
    console: Console | None = None,
    print_result: bool = True,
) -> CodingResponse:
    """Code ``note_path`` through a freshly started service; returns the parsed response."""
    console = console or Console()
    text = Path(note_path).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="medcoder-demo-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        env = server_env(Path(model_dir).resolve(), f"sqlite:///{work / 'audit.db'}", work / "bentoml",
                         extra={"MEDCODER_JWT_SECRET": secret})  # fmt: skip
        console.print(f"starting bentoml serve (model {model_dir}) ...")
        with start_server(env, work / "server.log") as server:
            console.print(f"service ready at {server.url}; coding {Path(note_path).name} over HTTP")
            with CoderClient(server.url, service_token(secret)) as client:
                result = client.code(CodeRequest(text=text, patient={"age": age, "sex": sex}, setting=setting,
                                                 payer=payer, em_code=em_code, date_of_service=date_of_service))  # fmt: skip
        if print_result:
            render_result(result, console)
        return result
