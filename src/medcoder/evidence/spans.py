"""Token attributions -> ranked character spans (phrases or sentences).

A code's token scores are normalised by their maximum; tokens at or above ``min_relative`` of the
maximum are selected, merged into phrase spans (adjacent tokens, whitespace-only gaps, whole
words), scored by the sum of their tokens' scores and ranked best first. ``sentence`` granularity
widens each phrase to the sentence around it (a line or a sentence ending in ``.``, ``!``, ``?``)
and keeps the best score per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from medcoder.data.records import Span
from medcoder.evidence.offsets import Offsets, expand_to_words, merge_tokens, valid_offsets

_SENT_END = re.compile(r"[.!?](?=\s)|\n")


class Granularity(StrEnum):
    PHRASE = "phrase"
    SENTENCE = "sentence"


@dataclass(frozen=True, slots=True)
class SpanConfig:
    """How token scores become spans: relative cut, how many spans, and their granularity."""

    min_relative: float = 0.5
    max_spans: int = 5
    max_tokens: int = 32
    granularity: Granularity = Granularity.PHRASE

    def __post_init__(self) -> None:
        if not 0.0 < self.min_relative <= 1.0:
            raise ValueError(f"min_relative must lie in (0, 1], got {self.min_relative}")
        if self.max_spans < 1 or self.max_tokens < 1:
            raise ValueError("max_spans and max_tokens must be >= 1")


def select_tokens(
    scores: np.ndarray, offsets: Offsets, text_length: int, min_relative: float, max_tokens: int
) -> list[int]:
    """Indices of tokens with ``score >= min_relative * max`` (positive scores only), best ``max_tokens``."""
    s = np.asarray(scores, dtype=np.float64)
    ok = np.array(valid_offsets(offsets, text_length), dtype=bool)[: len(s)]
    s = np.where(ok, s[: len(ok)], -np.inf)
    top = float(np.max(s)) if len(s) else 0.0
    if not np.isfinite(top) or top <= 0:
        return []
    chosen = np.flatnonzero(s >= min_relative * top)
    chosen = chosen[np.argsort(-s[chosen], kind="stable")][:max_tokens]
    return sorted(int(i) for i in chosen)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around ``[start, end)``, trimmed of surrounding whitespace."""
    left = 0
    for m in _SENT_END.finditer(text, 0, start):
        left = m.end()
    m = _SENT_END.search(text, end)
    right = m.end() if m and m.group() != "\n" else (m.start() if m else len(text))
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, max(right, left)


def rank_spans(
    text: str, offsets: Offsets, scores: np.ndarray, config: SpanConfig | None = None
) -> list[Span]:
    """Ranked evidence spans (best first) for one code from its token scores ``[n_tokens]``."""
    cfg = config or SpanConfig()
    s = np.asarray(scores, dtype=np.float64)
    picked = select_tokens(s, offsets, len(text), cfg.min_relative, cfg.max_tokens)
    best: dict[tuple[int, int], float] = {}
    chosen = set(picked)
    for run in merge_tokens(text, offsets, picked):
        score = float(sum(s[i] for i in range(run.first, run.last + 1) if i in chosen))
        start, end = expand_to_words(text, run.start, run.end)
        if cfg.granularity is Granularity.SENTENCE:
            start, end = sentence_bounds(text, start, end)
        key = (start, end)
        best[key] = max(best.get(key, 0.0), score)
    spans = [Span(a, b, sc) for (a, b), sc in best.items() if b > a]
    spans.sort(key=lambda sp: (-sp.score, sp.start))
    return spans[: cfg.max_spans]


def selected_token_mask(
    scores: np.ndarray, offsets: Offsets, text_length: int, min_relative: float, max_tokens: int
) -> np.ndarray:
    """Boolean ``[n_tokens]`` of the tokens ``rank_spans`` would use (for token-level F1)."""
    mask = np.zeros(len(offsets), dtype=bool)
    mask[select_tokens(scores, offsets, text_length, min_relative, max_tokens)] = True
    return mask


def top_span_texts(text: str, spans: Sequence[Span]) -> list[str]:
    """The text of each span (for reports and tests)."""
    return [sp.text(text) for sp in spans]
