"""Token positions -> character offsets in the original text.

Models see token positions; coders need character spans in ``Document.text``. Tokenizers (the
``tokenizers`` WordPiece of LAAT and Hugging Face fast tokenizers of PLM-ICD) report each token's
``(start, end)`` as *character* offsets into the original Python string, after normalisation is
undone, so accented letters, micro signs and emoji keep their positions. This module:

- maps model positions back to token indices (PLM-ICD chunks hold ``[CLS] piece [SEP]`` and
  padding, so position ``p`` is not token ``p``);
- merges scored tokens into character spans: adjacent tokens join when only whitespace lies
  between them (any amount, but never across a blank line), wordpieces of one word always join.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medcoder.data.records import Span

Offsets = Sequence[tuple[int, int]]


def flat_positions(n_tokens: int, chunk_size: int | None = None) -> np.ndarray:
    """Token index of every model position, ``-1`` for special tokens and padding.

    ``chunk_size`` None: flat sequences (LAAT), position ``i`` is token ``i``. Otherwise chunks of
    ``chunk_size`` positions, each ``[CLS] tokens [SEP]`` (``chunk_size - 2`` tokens per chunk), as
    built by ``medcoder.models.text.ChunkedText.batch``.
    """
    if chunk_size is None:
        return np.arange(n_tokens)
    if chunk_size < 3:
        raise ValueError(f"chunk_size must be >= 3 ([CLS] token [SEP]), got {chunk_size}")
    step = chunk_size - 2
    n_chunks = max(1, -(-n_tokens // step))
    out = np.full(n_chunks * chunk_size, -1, dtype=np.int64)
    for c in range(n_chunks):
        tokens = np.arange(c * step, min((c + 1) * step, n_tokens))
        out[c * chunk_size + 1 : c * chunk_size + 1 + len(tokens)] = tokens
    return out


def positions_to_token_scores(
    position_scores: np.ndarray, n_tokens: int, chunk_size: int | None = None
) -> np.ndarray:
    """Scores per model position ``[n_positions]`` -> scores per token ``[n_tokens]`` (specials dropped)."""
    pos = flat_positions(n_tokens, chunk_size)
    scores = np.asarray(position_scores, dtype=np.float64)
    out = np.zeros(n_tokens, dtype=np.float64)
    usable = min(len(pos), len(scores))
    idx = pos[:usable]
    keep = idx >= 0
    out[idx[keep]] = scores[:usable][keep]
    return out


def valid_offsets(offsets: Offsets, text_length: int) -> list[bool]:
    """Which tokens have a usable non-empty character range inside the text."""
    return [0 <= s < e <= text_length for s, e in offsets]


def _joinable(text: str, end: int, start: int) -> bool:
    """Whether the gap ``text[end:start]`` is only whitespace without a blank line (paragraph break)."""
    gap = text[end:start]
    return gap.strip() == "" and gap.count("\n") < 2


@dataclass(frozen=True, slots=True)
class TokenRun:
    """Consecutive selected tokens ``[first, last]`` covering characters ``[start, end)``."""

    first: int
    last: int
    start: int
    end: int


def merge_tokens(text: str, offsets: Offsets, selected: Sequence[int]) -> list[TokenRun]:
    """Group selected token indices into runs of adjacent tokens whose gaps are only whitespace.

    Tokens with empty or out-of-range offsets (special tokens, padding) are skipped. Runs are in
    text order; each run's span starts at its first token and ends at its last token, so it never
    begins or ends with whitespace.
    """
    ok = valid_offsets(offsets, len(text))
    idx = sorted({i for i in selected if 0 <= i < len(offsets) and ok[i]})
    runs: list[TokenRun] = []
    for i in idx:
        s, e = offsets[i]
        if runs:
            last = runs[-1]
            adjacent = i == last.last + 1 or all(not ok[j] for j in range(last.last + 1, i))
            if adjacent and s >= last.end and _joinable(text, last.end, s):
                runs[-1] = TokenRun(last.first, i, last.start, max(last.end, e))
                continue
            if s < last.end:  # overlapping offsets (e.g. one character split into pieces)
                runs[-1] = TokenRun(last.first, i, last.start, max(last.end, e))
                continue
        runs.append(TokenRun(i, i, s, e))
    return runs


def expand_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` to whole words: alphanumerics (any script) either side are taken in."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def char_mask(spans: Sequence[Span], text_length: int) -> np.ndarray:
    """Boolean ``[text_length]`` marking characters covered by any span."""
    mask = np.zeros(text_length, dtype=bool)
    for sp in spans:
        mask[max(0, sp.start) : min(text_length, sp.end)] = True
    return mask


def tokens_in_spans(offsets: Offsets, spans: Sequence[Span], text_length: int) -> np.ndarray:
    """Boolean ``[n_tokens]``: token overlaps at least one span by one non-whitespace character."""
    mask = char_mask(spans, text_length)
    out = np.zeros(len(offsets), dtype=bool)
    for i, (s, e) in enumerate(offsets):
        if 0 <= s < e <= text_length:
            out[i] = bool(mask[s:e].any())
    return out
