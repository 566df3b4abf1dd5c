"""Timing of the data loaders against plain-Python baselines (``python -m medcoder.data.bench``).

Each figure is the best of ``repeats`` runs, reported with the ratio to a baseline measured in the
same run: reading the same CodiEsp files without building records, and ``json.loads`` of the same
JSONL lines. Results go to docs/BENCHMARKS.md with the machine they ran on.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def best_of(fn: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of ``repeats`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(root: Path, repeats: int = 5) -> dict[str, float]:
    """Time CodiEsp loading and JSONL/Parquet reading of the 1,000 CodiEsp documents."""
    from medcoder.data.codiesp import SPLITS, load_codiesp_splits
    from medcoder.data.io import read_jsonl, read_parquet, write_jsonl, write_parquet

    def raw_read() -> None:
        for split in SPLITS:
            for f in sorted((root / split / "text_files_en").glob("*.txt")):
                f.read_text(encoding="utf-8")
            for task in "DP":
                (root / split / f"{split}{task}.tsv").read_text(encoding="utf-8").splitlines()

    docs = [d for split in load_codiesp_splits(root).values() for d in split]
    with tempfile.TemporaryDirectory() as tmp:
        jsonl, parquet = (
            write_jsonl(docs, Path(tmp) / "c.jsonl"),
            write_parquet(docs, Path(tmp) / "c.parquet"),
        )

        def json_baseline() -> None:
            with jsonl.open(encoding="utf-8") as fh:
                [json.loads(line) for line in fh]

        return {
            "codiesp_raw_read_s": best_of(raw_read, repeats),
            "codiesp_load_s": best_of(lambda: load_codiesp_splits(root), repeats),
            "json_loads_s": best_of(json_baseline, repeats),
            "read_jsonl_s": best_of(lambda: read_jsonl(jsonl), repeats),
            "read_parquet_s": best_of(lambda: read_parquet(parquet), repeats),
        }


def main() -> None:
    from medcoder.paths import codiesp_dir

    r = run(codiesp_dir())
    print(
        f"load_codiesp 3 splits (1,000 docs, en): {r['codiesp_load_s'] * 1e3:.0f} ms; "
        f"raw file read {r['codiesp_raw_read_s'] * 1e3:.0f} ms; ratio {r['codiesp_load_s'] / r['codiesp_raw_read_s']:.2f}"
    )
    print(
        f"read_jsonl 1,000 docs: {r['read_jsonl_s'] * 1e3:.0f} ms; json.loads {r['json_loads_s'] * 1e3:.0f} ms; "
        f"ratio {r['read_jsonl_s'] / r['json_loads_s']:.2f}"
    )
    print(
        f"read_parquet 1,000 docs: {r['read_parquet_s'] * 1e3:.0f} ms; "
        f"ratio to json.loads {r['read_parquet_s'] / r['json_loads_s']:.2f}"
    )


if __name__ == "__main__":
    main()
