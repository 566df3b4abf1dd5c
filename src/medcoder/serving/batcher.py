"""Adaptive micro-batching for the service: concurrent requests share one pipeline call.

Requests are queued; a single consumer task takes the first waiting item, then keeps collecting
for up to ``max_latency_ms`` or until ``max_batch_size`` items, and runs ``work(items)`` in a worker
thread (torch and the rules run there, off the event loop). Under light load a request waits at
most ``max_latency_ms``; under heavy load batches grow, so the model forward and the audit commit
(one transaction, one fsync per batch) are amortised. We use this explicit batcher rather than
``@bentoml.api(batchable=True)`` because every request must be authenticated and audited on its
own, and BentoML's batch dispatcher hands a merged batch to one call with one request context.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Pending(Generic[T]):
    item: T
    future: asyncio.Future = field(repr=False)


@dataclass
class BatchStats:
    batches: int = 0
    items: int = 0
    largest: int = 0

    @property
    def mean_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class MicroBatcher(Generic[T, R]):
    """``await batcher.submit(item)`` -> that item's result from ``work(list_of_items)``.

    ``work`` must return one result per item, in order, or raise (then every item of the batch
    gets the exception). An item's result may itself be an exception instance, which is raised to
    that caller only (a per-item failure that must not fail its neighbours).
    """

    def __init__(self, work: Callable[[Sequence[T]], Sequence[R | BaseException]], max_batch_size: int = 16,
                 max_latency_ms: float = 5.0) -> None:  # fmt: skip
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        self.work = work
        self.max_batch_size = max_batch_size
        self.max_latency_s = max_latency_ms / 1000.0
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Pending[T]] | None = None
        self._task: asyncio.Task | None = None

    def _ensure_started(self) -> asyncio.Queue:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self._queue

    async def submit(self, item: T) -> R:
        queue = self._ensure_started()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        await queue.put(_Pending(item, future))
        return await future

    async def submit_many(self, items: Sequence[T]) -> list[R]:
        """Submit items together (a ``code_batch`` call); they may share batches with other callers."""
        return list(await asyncio.gather(*(self.submit(i) for i in items)))

    async def _collect(self, queue: asyncio.Queue) -> list[_Pending[T]]:
        batch = [await queue.get()]
        deadline = time.perf_counter() + self.max_latency_s
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                while len(batch) < self.max_batch_size and not queue.empty():
                    batch.append(queue.get_nowait())
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        queue = self._queue
        assert queue is not None
        while True:
            batch = await self._collect(queue)
            live = [p for p in batch if not p.future.done()]  # a caller that gave up is skipped
            if not live:
                continue
            self.stats.batches += 1
            self.stats.items += len(live)
            self.stats.largest = max(self.stats.largest, len(live))
            try:
                results: Any = await asyncio.to_thread(self.work, [p.item for p in live])
                if len(results) != len(live):
                    raise RuntimeError(f"batch work returned {len(results)} results for {len(live)} items")
            except Exception as exc:  # noqa: BLE001 - delivered to every waiting caller
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            for p, result in zip(live, results, strict=True):
                if p.future.done():
                    continue
                if isinstance(result, BaseException):
                    p.future.set_exception(result)
                else:
                    p.future.set_result(result)
