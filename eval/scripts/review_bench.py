"""How fast a coder's worklist entry renders, over HTTP against a real ``bentoml serve``.

Run from the repository root: ``.venv/bin/python eval/scripts/review_bench.py [MODEL_DIR] [N]``
(default model: ``training/out/index_coder`` when it exists, else the tiny test model; N = 20
realistic dev notes). The notes are coded through the service (they route to review), then each
chart is opened in :class:`medcoder.review.widgets.ReviewApp` over :class:`CoderClient`: the fetch
of the note and coding result, the evidence highlighting and the widgets. The baseline in the same
run is the fetch alone (``CoderClient.item``). Target: < 1 s per chart. Prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from medcoder.data.realistic import load_realistic
from medcoder.review.session import default_search_index
from medcoder.review.widgets import ReviewApp
from medcoder.serving.client import CoderClient, service_token
from medcoder.serving.server import server_env, start_server

SECRET = "review-bench-secret-review-bench-secret"


def _stats(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"median_s": round(statistics.median(xs), 4), "p95_s": round(xs[int(0.95 * (len(xs) - 1))], 4),
            "max_s": round(xs[-1], 4)}  # fmt: skip


def main() -> None:
    default = Path("training/out/index_coder")
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else default if default.exists() else None
    model = model.resolve() if model is not None else None  # the server runs in serving/
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    notes = load_realistic("dev")[:n]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if model is None:
            from medcoder.training.testing import tiny_model_dir

            model = tiny_model_dir(work)
        (work / "serving.yaml").write_text(
            "auth: {jwt: {algorithms: [HS256], secret_env: MEDCODER_JWT_SECRET}}\n"
        )
        env = server_env(model, f"sqlite:///{work / 'audit.db'}", work / "bentoml",
                         extra={"MEDCODER_JWT_SECRET": SECRET, "MEDCODER_SERVING_CONFIG": str(work / "serving.yaml")})  # fmt: skip
        with start_server(env, work / "server.log", timeout_s=300) as server:
            with CoderClient(server.url, service_token(SECRET, "ehr-bench", "service")) as ehr:
                for i, note in enumerate(notes):
                    ehr.code(text=note.text, document_id=f"bench-{i}", setting=note.setting.value,
                             date_of_service="2026-03-02")  # fmt: skip
            with CoderClient(server.url, service_token(SECRET, "coder-bench", "coder")) as coder:
                entries = coder.worklist(limit=500)
                app = ReviewApp(coder, search=default_search_index())
                fetch, render, codes, chars = [], [], [], []
                for e in entries:
                    t0 = time.perf_counter()
                    item = coder.item(e.request_id)
                    fetch.append(time.perf_counter() - t0)
                    render.append(app.open(e.request_id))
                    codes.append(len(item.result.suggestions))
                    chars.append(len(item.text))
    out = {
        "model": str(model), "charts": len(render), "queued_of_coded": f"{len(entries)}/{len(notes)}",
        "suggestions_per_chart": round(statistics.mean(codes), 1) if codes else 0,
        "note_chars_median": int(statistics.median(chars)) if chars else 0,
        "open_chart": _stats(render), "fetch_only_baseline": _stats(fetch),
        "ratio_open_to_fetch_median": round(statistics.median(render) / statistics.median(fetch), 2),
    }  # fmt: skip
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
