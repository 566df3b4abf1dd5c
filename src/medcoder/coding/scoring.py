"""Model scoring for a batch of notes in one forward pass: probabilities, plus the label attention
and token offsets that the default evidence method (``attention``) turns into character spans.

``ModelBundle.predict_scores`` gives probabilities only; serving needs the attention of the same
pass so evidence costs no second forward. Other evidence methods (AttInGrad, integrated
gradients) run ``medcoder.evidence.explain`` per note on the codes kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from medcoder.data.records import Span
from medcoder.evidence.explain import explain_text
from medcoder.evidence.methods import unpool
from medcoder.evidence.offsets import positions_to_token_scores
from medcoder.evidence.spans import SpanConfig, rank_spans


@dataclass(frozen=True)
class Scored:
    """One note's model output: ``probs [n_labels]``; ``attention [n_labels, n_positions]`` (or None)."""

    probs: np.ndarray
    attention: torch.Tensor | None
    offsets: tuple[tuple[int, int], ...]
    n_tokens: int


@torch.no_grad()
def score_batch(
    coder, texts: Sequence[str], batch_size: int = 16, keep_attention: bool = True
) -> list[Scored]:
    """Forward ``texts`` through ``coder.net`` in length-sorted batches (less padding)."""
    if coder.net is None or coder.text is None:
        raise RuntimeError("score_batch needs a fitted or loaded coder")
    net = coder.net.eval()
    device = next(net.parameters()).device
    encoded = coder.text.encode(list(texts))
    order = np.argsort([len(e.ids) for e in encoded], kind="stable")
    out: list[Scored | None] = [None] * len(texts)
    for i in range(0, len(order), batch_size):
        idx = [int(j) for j in order[i : i + batch_size]]
        ids, mask = coder.text.batch([encoded[j] for j in idx])
        logits, attn = net(ids.to(device), mask.to(device))
        if attn is not None:
            # Models that pool label attention over windows of `pool` tokens return one weight per
            # window; spread it back over the window's tokens so offsets line up with tokens.
            attn = unpool(attn, int(getattr(net, "pool", 1)), mask[0].numel())
        probs = torch.sigmoid(logits.float()).cpu().numpy()
        for row, j in enumerate(idx):
            out[j] = Scored(
                probs[row],
                attn[row].float().cpu() if keep_attention and attn is not None else None,
                tuple(encoded[j].offsets),
                len(encoded[j].ids),
            )
    return [s for s in out if s is not None]


def attention_spans(
    coder, text: str, scored: Scored, targets: Sequence[int], n_spans: int
) -> dict[int, list[Span]]:
    """Evidence spans per target label column from the attention kept by :func:`score_batch`."""
    if scored.attention is None or not targets:
        return {j: [] for j in targets}
    chunk = getattr(coder.text, "chunk_size", None) if getattr(coder.text, "kind", "") == "chunked" else None
    cfg = SpanConfig(max_spans=n_spans)
    rows = scored.attention[list(targets)].numpy()
    out: dict[int, list[Span]] = {}
    for k, j in enumerate(targets):
        tokens = positions_to_token_scores(rows[k], scored.n_tokens, chunk)
        out[j] = rank_spans(text, scored.offsets, tokens, cfg)
    return out


def explainer_spans(
    coder, text: str, targets: Sequence[int], method: str, n_spans: int
) -> dict[int, list[Span]]:
    """Evidence spans from a gradient-based explainer of ``medcoder.evidence`` (one note, extra passes)."""
    if not targets:
        return {}
    found = explain_text(coder, text, list(targets), method, SpanConfig(max_spans=n_spans))
    return {ev.label_index: list(ev.spans) for ev in found}
