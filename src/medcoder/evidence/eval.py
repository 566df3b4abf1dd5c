"""Evidence plausibility against gold spans, and the cost of each method.

For every document and every gold code that the model scores and that has gold spans, the
explainer attributes the *gold* code (as in MDACE evaluations: explanation quality is measured
apart from prediction errors). Figures:

- token-level precision / recall / F1, pooled over all (document, code) pairs (micro): a token is
  gold when it overlaps a gold span of that code, predicted when its score is at least
  ``min_relative`` times the code's maximum token score (cut tuned per method on a tuning split);
- ``top_span_overlap``: share of pairs whose top-ranked span overlaps a gold span of the code;
- ``cost_ratio``: seconds per note of the method divided by seconds of one forward pass over the
  same note (same process, same thread count).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from medcoder.data.records import Document
from medcoder.evidence.explain import coder_view, token_attributions
from medcoder.evidence.offsets import tokens_in_spans
from medcoder.evidence.spans import SpanConfig, rank_spans, selected_token_mask
from medcoder.models.base import Label

GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class Attributed:
    """Token scores of one document's gold codes with their gold token masks."""

    text: str
    offsets: tuple[tuple[int, int], ...]
    scores: np.ndarray  # [n_codes, n_tokens]
    gold_tokens: np.ndarray  # [n_codes, n_tokens] bool
    gold_spans: tuple[tuple, ...]  # per code: tuple[Span, ...]


@dataclass(frozen=True)
class EvidenceReport:
    method: str
    min_relative: float
    token_precision: float
    token_recall: float
    token_f1: float
    top_span_overlap: float
    n_pairs: int
    seconds_per_note: float
    forward_seconds_per_note: float
    extra: dict = field(default_factory=dict)

    @property
    def cost_ratio(self) -> float:
        return self.seconds_per_note / max(self.forward_seconds_per_note, 1e-12)


def gold_targets(coder, doc: Document) -> list[tuple[int, tuple]]:
    """(label column, gold spans) for the document's gold codes that the model scores and that have spans."""
    out: dict[int, list] = {}
    for cl in doc.labels:
        lab = Label(cl.system, cl.code)
        if cl.spans and lab in coder.label_space:
            out.setdefault(coder.label_space.index(lab), []).extend(cl.spans)
    return [(j, tuple(sp)) for j, sp in out.items()]


def attribute_documents(coder, docs: Sequence[Document], method: str) -> tuple[list[Attributed], float]:
    """Attributions for every document with gold evidence, and the method's seconds per note."""
    view = coder_view(coder)
    out, seconds, n = [], 0.0, 0
    for doc in docs:
        targets = gold_targets(coder, doc)
        if not targets:
            continue
        t0 = time.perf_counter()
        scores, offsets = token_attributions(coder, doc.text, [j for j, _ in targets], method, view)
        seconds += time.perf_counter() - t0
        n += 1
        gold = np.stack([tokens_in_spans(offsets, spans, len(doc.text)) for _, spans in targets])
        out.append(Attributed(doc.text, offsets, scores, gold, tuple(spans for _, spans in targets)))
    return out, seconds / max(n, 1)


def forward_seconds(coder, docs: Sequence[Document]) -> float:
    """Seconds per note of one forward pass (batch of one), the unit of the cost ratio."""
    texts = [d.text for d in docs]
    coder.predict_scores(texts[:1], batch_size=1)  # warm-up
    t0 = time.perf_counter()
    for t in texts:
        coder.predict_scores([t], batch_size=1)
    return (time.perf_counter() - t0) / max(len(texts), 1)


def score_attributions(
    items: Sequence[Attributed], min_relative: float, max_tokens: int = 32
) -> dict[str, float]:
    """Micro token P/R/F1 and top-span overlap of precomputed attributions at one relative cut."""
    tp = fp = fn = 0
    hits = pairs = 0
    cfg = SpanConfig(min_relative=min_relative, max_tokens=max_tokens, max_spans=1)
    for it in items:
        for k in range(it.scores.shape[0]):
            pred = selected_token_mask(it.scores[k], it.offsets, len(it.text), min_relative, max_tokens)
            gold = it.gold_tokens[k]
            tp += int(np.sum(pred & gold))
            fp += int(np.sum(pred & ~gold))
            fn += int(np.sum(~pred & gold))
            top = rank_spans(it.text, it.offsets, it.scores[k], cfg)
            pairs += 1
            hits += int(bool(top) and any(top[0].overlaps(g) for g in it.gold_spans[k]))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"precision": p, "recall": r, "f1": f1, "top_span_overlap": hits / max(pairs, 1), "n_pairs": pairs}


def evaluate_method(
    coder,
    tune_docs: Sequence[Document],
    test_docs: Sequence[Document],
    method: str,
    forward_s: float | None = None,
    grid: Sequence[float] = GRID,
) -> EvidenceReport:
    """Tune the relative cut on ``tune_docs`` (token F1), then report on ``test_docs``."""
    tune_items, _ = attribute_documents(coder, tune_docs, method)
    best = max(grid, key=lambda c: (score_attributions(tune_items, c)["f1"], -c))
    test_items, sec = attribute_documents(coder, test_docs, method)
    res = score_attributions(test_items, best)
    fwd = forward_seconds(coder, test_docs) if forward_s is None else forward_s
    return EvidenceReport(
        method,
        best,
        res["precision"],
        res["recall"],
        res["f1"],
        res["top_span_overlap"],
        int(res["n_pairs"]),
        sec,
        fwd,
    )
