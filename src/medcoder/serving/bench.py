"""``medcoder bench serve``: load-test a real ``bentoml serve`` with CodiEsp English notes.

For each concurrency level (default 1, 4, 16) a fixed number of ``/v1/code`` requests is sent by
that many concurrent clients (httpx, keep-alive); we report throughput, p50/p95/p99 latency,
the server's peak resident memory (all its processes), and, in the same run, the in-process
pipeline on the same notes: one call per note (latency baseline for the overhead ratio) and
batched calls (throughput baseline). The load generator shares the machine's cores with the
server, as a co-located client would.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LevelResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    notes_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_batch: float | None = None


@dataclass(frozen=True)
class InProcessResult:
    notes: int
    per_note_p50_ms: float
    per_note_mean_ms: float
    per_note_p95_ms: float
    batched_notes_per_s: float


def percentiles(latencies_s: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds (linear interpolation, numpy's default)."""
    arr = np.asarray(latencies_s, dtype=np.float64) * 1000.0
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return float(p50), float(p95), float(p99)


class PeakRss:
    """Samples the summed RSS of a process and its children every ``interval_s`` in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        for p in [self.root, *self.root.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def payloads(texts: Sequence[str]) -> list[dict]:
    """Request bodies: the note plus the encounter facts CodiEsp does not give (fixed, adult outpatient)."""
    return [{"text": t, "setting": "outpatient", "patient": {"age": 60, "sex": "U"}} for t in texts]


async def run_level(
    url: str, token: str, bodies: Sequence[dict], concurrency: int, n_requests: int
) -> LevelResult:
    """``n_requests`` POSTs to /v1/code from ``concurrency`` workers cycling through ``bodies``."""
    from medcoder.serving.client import AsyncCoderClient, ServiceError

    client = AsyncCoderClient(url, token, max_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n_requests))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            try:
                await client.code_raw(bodies[i % len(bodies)])
                latencies.append(time.perf_counter() - t0)
            except (TimeoutError, ServiceError, OSError) as exc:
                errors += 1
                log.warning("request failed: %s", type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - httpx transport errors count as failures
                errors += 1
                log.warning("request failed: %s", type(exc).__name__)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    await client.aclose()
    p50, p95, p99 = percentiles(latencies or [float("nan")])
    return LevelResult(concurrency, n_requests, errors, seconds, len(latencies) / seconds, p50, p95, p99)


def in_process(model_dir: Path, texts: Sequence[str], batch: int = 16) -> InProcessResult:
    """The same pipeline in this process: one note per call, then batches of ``batch``."""
    from medcoder.coding.context import EncounterContext
    from medcoder.coding.pipeline import CodingPipeline
    from medcoder.data.records import Document, Patient, Setting
    from medcoder.serving.config import load_serving_config

    pipe = CodingPipeline.from_model_dir(model_dir, load_serving_config().pipeline)
    docs = [(Document(id=f"bench-{i}", text=t, setting=Setting.OUTPATIENT, patient=Patient(60)), EncounterContext())
            for i, t in enumerate(texts)]  # fmt: skip
    pipe.code_many(docs[:2])  # warm up lazy tables
    per_note = []
    for item in docs:
        t0 = time.perf_counter()
        pipe.code_many([item])
        per_note.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(0, len(docs), batch):
        pipe.code_many(docs[i : i + batch])
    batched = len(docs) / (time.perf_counter() - t0)
    p50, p95, _ = percentiles(per_note)
    return InProcessResult(len(docs), p50, statistics.fmean(per_note) * 1000, p95, batched)


def pipeline_breakdown(model_dir: Path, texts: Sequence[str], compare: Sequence[str] = ("attingrad",),
                       compare_notes: int = 16) -> dict:  # fmt: skip
    """In-process cost per stage (one call per note) and, in the same run, other evidence methods
    against the default on the first ``compare_notes`` notes."""
    from medcoder.coding.config import PipelineConfig
    from medcoder.coding.context import EncounterContext
    from medcoder.coding.pipeline import CodingPipeline
    from medcoder.data.records import Document, Patient, Setting

    pipe = CodingPipeline.from_model_dir(model_dir)
    items = [(Document(id=f"bench-{i}", text=t, setting=Setting.OUTPATIENT, patient=Patient(60)), EncounterContext())
             for i, t in enumerate(texts)]  # fmt: skip
    pipe.code_many(items[:2])
    pipe.stage_seconds.clear()
    t0 = time.perf_counter()
    for item in items:
        pipe.code_many([item])
    total = time.perf_counter() - t0
    stages = {k: v * 1000 / len(items) for k, v in pipe.stage_seconds.items()}
    methods = {}
    sub = items[:compare_notes]
    for method in compare:
        other = CodingPipeline(pipe.model, PipelineConfig(evidence_method=method))  # type: ignore[arg-type]
        other.code_many(sub[:1])
        t0 = time.perf_counter()
        for item in sub:
            other.code_many([item])
        t_other = (time.perf_counter() - t0) * 1000 / len(sub)
        t0 = time.perf_counter()
        for item in sub:
            pipe.code_many([item])
        t_default = (time.perf_counter() - t0) * 1000 / len(sub)
        methods[method] = {
            "ms_per_note": t_other,
            "default_ms_per_note": t_default,
            "ratio": t_other / t_default,
        }
    return {"notes": len(items), "total_ms_per_note": total * 1000 / len(items), "stages_ms_per_note": stages,
            "default_evidence": pipe.config.evidence_method, "evidence_methods": methods}  # fmt: skip


def bench_serve(
    model_dir: Path,
    texts: Sequence[str],
    workdir: Path,
    concurrencies: Sequence[int] = (1, 4, 16),
    requests_per_level: int = 64,
    workers: int = 1,
) -> dict:
    """Start the service, run each concurrency level, run the in-process baseline; return a report."""
    import secrets

    import httpx

    from medcoder.serving.client import service_token
    from medcoder.serving.server import server_env, start_server

    secret = secrets.token_urlsafe(32)
    env = server_env(model_dir.resolve(), f"sqlite:///{workdir / 'audit.db'}", workdir / "bentoml",
                     extra={"MEDCODER_JWT_SECRET": secret, "MEDCODER_WORKERS": str(workers)})  # fmt: skip
    token = service_token(secret, subject="bench", role="service")
    bodies = payloads(texts)
    levels: list[LevelResult] = []
    with start_server(env, workdir / "server.log") as server, PeakRss(server.process.pid) as rss:
        idle_rss = rss._sample()
        asyncio.run(run_level(server.url, token, bodies[:4], 2, 8))  # warm-up, not reported
        for c in concurrencies:
            levels.append(asyncio.run(run_level(server.url, token, bodies, c, requests_per_level)))
            log.info("c=%d: %.1f notes/s, p95 %.0f ms", c, levels[-1].notes_per_s, levels[-1].p95_ms)
        health = httpx.post(
            f"{server.url}/v1/health", json={}, headers={"Authorization": f"Bearer {token}"}
        ).json()
    baseline = in_process(model_dir, texts)
    c1 = next((lv for lv in levels if lv.concurrency == 1), levels[0])
    return {
        "model": health,
        "workers": workers,
        "notes": len(texts),
        "mean_note_chars": statistics.fmean(len(t) for t in texts),
        "levels": [asdict(lv) for lv in levels],
        "server_idle_rss_mb": idle_rss / 2**20,
        "server_peak_rss_mb": rss.peak_bytes / 2**20,
        "in_process": asdict(baseline),
        "overhead_c1_mean": (1000.0 / c1.notes_per_s) / baseline.per_note_mean_ms if c1.notes_per_s else None,
        "overhead_c1_p50": c1.p50_ms / baseline.per_note_p50_ms,
    }
