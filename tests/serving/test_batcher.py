"""The micro-batcher merges concurrent submissions and isolates per-item failures."""

from __future__ import annotations

import asyncio

import pytest

from medcoder.serving.batcher import MicroBatcher


def test_concurrent_submissions_share_batches_and_keep_order() -> None:
    calls: list[list[int]] = []

    def work(items):
        calls.append(list(items))
        return [i * 10 for i in items]

    async def main():
        b = MicroBatcher(work, max_batch_size=4, max_latency_ms=50)
        return await asyncio.gather(*(b.submit(i) for i in range(10))), b.stats

    results, stats = asyncio.run(main())
    assert results == [i * 10 for i in range(10)]
    assert sum(len(c) for c in calls) == 10
    assert max(len(c) for c in calls) == 4
    assert stats.batches == len(calls) == 3  # 4 + 4 + 2


def test_item_exception_goes_to_that_caller_only() -> None:
    def work(items):
        return [ValueError("bad") if i == 2 else i for i in items]

    async def main():
        b = MicroBatcher(work, max_batch_size=8, max_latency_ms=20)
        return await asyncio.gather(*(b.submit(i) for i in range(4)), return_exceptions=True)

    out = asyncio.run(main())
    assert out[:2] == [0, 1] and out[3] == 3
    assert isinstance(out[2], ValueError)


def test_batch_failure_reaches_every_caller_and_the_batcher_keeps_working() -> None:
    state = {"fail": True}

    def work(items):
        if state["fail"]:
            state["fail"] = False
            raise RuntimeError("boom")
        return list(items)

    async def main():
        b = MicroBatcher(work, max_batch_size=8, max_latency_ms=20)
        first = await asyncio.gather(b.submit(1), b.submit(2), return_exceptions=True)
        second = await b.submit(3)
        return first, second

    first, second = asyncio.run(main())
    assert all(isinstance(x, RuntimeError) for x in first)
    assert second == 3


def test_invalid_batch_size() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda xs: xs, max_batch_size=0)
