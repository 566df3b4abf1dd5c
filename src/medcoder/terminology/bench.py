"""Search speed over all billable ICD-10-CM codes, with a same-run scikit-learn TF-IDF baseline.

Queries are the descriptions of ``n_queries`` codes drawn with a fixed seed, lower-cased and with
every third word dropped (so that they are not exact copies of an indexed text). Both methods
answer the same queries one at a time and return the top ``k``; the report gives queries/second,
build time, save/load time and top-1/top-10 recall of the drawn code (a sanity check, not a
quality benchmark: the query words come from the target description).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from dataclasses import asdict, dataclass

import numpy as np

from medcoder.terminology.search import SearchIndex, icd10cm_documents

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchBenchmark:
    documents: int
    queries: int
    k: int
    bm25_build_s: float
    bm25_save_load_s: float
    bm25_qps: float
    bm25_top1: float
    bm25_top10: float
    tfidf_build_s: float
    tfidf_qps: float
    tfidf_top1: float
    tfidf_top10: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _queries(descriptions: list[str], codes: list[str], n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    picks = rng.sample(range(len(codes)), n)
    out = []
    for i in picks:
        words = descriptions[i].lower().split()
        kept = [w for j, w in enumerate(words) if j % 3 != 2] or words
        out.append((" ".join(kept), codes[i]))
    return out


def benchmark_search(n_queries: int = 1000, k: int = 10, seed: int = 0) -> SearchBenchmark:
    """Time BM25 (ours) and TF-IDF cosine (scikit-learn) over all billable ICD-10-CM codes."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = icd10cm_documents()
    t0 = time.perf_counter()
    idx = SearchIndex.build(docs)
    bm25_build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        idx = SearchIndex.load(idx.save(tmp))
        save_load = time.perf_counter() - t0
    queries = _queries([d.description for d in docs], [d.code for d in docs], n_queries, seed)

    t0 = time.perf_counter()
    results = [[h.code for h in idx.search(q, k)] for q, _ in queries]
    bm25_time = time.perf_counter() - t0
    b_top1, b_top10 = _recall(results, queries)

    t0 = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True)
    matrix = vec.fit_transform([d.text for d in docs]).tocsr()
    tfidf_build = time.perf_counter() - t0
    codes = np.array([d.code for d in docs])
    t0 = time.perf_counter()
    tf_results = []
    for q, _ in queries:
        scores = (matrix @ vec.transform([q]).T).toarray().ravel()
        top = np.argpartition(-scores, k - 1)[:k]
        tf_results.append(list(codes[top[np.argsort(-scores[top], kind="stable")]]))
    tfidf_time = time.perf_counter() - t0
    t_top1, t_top10 = _recall(tf_results, queries)
    return SearchBenchmark(
        documents=len(docs), queries=n_queries, k=k,
        bm25_build_s=bm25_build, bm25_save_load_s=save_load, bm25_qps=n_queries / bm25_time,
        bm25_top1=b_top1, bm25_top10=b_top10,
        tfidf_build_s=tfidf_build, tfidf_qps=n_queries / tfidf_time, tfidf_top1=t_top1, tfidf_top10=t_top10,
    )  # fmt: skip


def _recall(results: list[list[str]], queries: list[tuple[str, str]]) -> tuple[float, float]:
    top1 = sum(1 for r, (_, gold) in zip(results, queries, strict=True) if r[:1] == [gold])
    top10 = sum(1 for r, (_, gold) in zip(results, queries, strict=True) if gold in r[:10])
    return top1 / len(queries), top10 / len(queries)
