"""Time ``generate_corpus`` against a same-run naive baseline.

``python -m medcoder.data.synth.bench --n 2000 --seed 0 --repeats 3``

The baseline is the cheapest possible "generator": for each document draw five catalog codes with
``random.choices`` and join their first mentions into one string (no sections, spans, patients or
rules). The ratio says what realism costs per document.
"""

from __future__ import annotations

import argparse
import random
import time

from medcoder.data.synth import generate_corpus
from medcoder.data.synth.catalog import load_catalog


def _naive(n: int, seed: int) -> list[str]:
    specs = load_catalog().specs
    out = []
    for i in range(n):
        rng = random.Random(f"naive:{seed}:{i}")
        out.append(". ".join(s.mentions[0] for s in rng.choices(specs, k=5)))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    load_catalog()
    cold = time.perf_counter() - t0
    gen, base = [], []
    docs = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        docs = generate_corpus(args.n, args.seed)
        gen.append(time.perf_counter() - t)
        t = time.perf_counter()
        _naive(args.n, args.seed)
        base.append(time.perf_counter() - t)
    chars = sum(len(d.text) for d in docs)
    labels = sum(len(d.labels) for d in docs)
    g, b = min(gen), min(base)
    print(f"catalog load incl. ICD-10-CM tables (first call): {cold:.2f} s")
    print(
        f"generate_corpus({args.n}, {args.seed}): best {g:.2f} s of {[round(x, 2) for x in gen]} -> {args.n / g:,.0f} docs/s"
    )
    print(f"naive baseline: best {b:.3f} s -> ratio {g / b:.1f}x")
    print(
        f"corpus: {chars:,} chars ({chars / len(docs):,.0f}/doc), {labels:,} labels ({labels / len(docs):.2f}/doc)"
    )


if __name__ == "__main__":
    main()
