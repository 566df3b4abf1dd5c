"""Token positions -> characters: multi-byte characters, repeated whitespace, chunk boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.data.records import Span
from medcoder.evidence.offsets import (
    expand_to_words,
    flat_positions,
    merge_tokens,
    positions_to_token_scores,
    tokens_in_spans,
)
from medcoder.evidence.spans import SpanConfig, rank_spans
from medcoder.models.text import train_wordpiece

TEXT = "Café  au   lait: 5 µg of aspirin 😀 given.\n\nFièvre élevée noted"


@pytest.fixture(scope="module")
def encoding():
    tok = train_wordpiece([TEXT] * 3, vocab_size=200, min_frequency=1)
    enc = tok.encode(TEXT)
    return enc.tokens, [tuple(o) for o in enc.offsets]


def test_tokenizer_offsets_are_character_offsets(encoding):
    tokens, offsets = encoding
    pieces = [TEXT[s:e] for s, e in offsets]
    # lower-cased and accent-stripped tokens still point at the original characters
    assert "Café" in pieces and "µg" in pieces and "😀" in pieces and "Fièvre" in pieces
    assert tokens[pieces.index("Café")] == "cafe"
    assert pieces[pieces.index("😀") + 1] == "given"


def test_merge_spans_repeated_whitespace_but_not_blank_lines(encoding):
    _, offsets = encoding
    pieces = [TEXT[s:e] for s, e in offsets]
    cafe, au, lait = pieces.index("Café"), pieces.index("au"), pieces.index("lait")
    runs = merge_tokens(TEXT, offsets, [cafe, au, lait])
    assert [(TEXT[r.start : r.end]) for r in runs] == ["Café  au   lait"]
    given, dot, fievre = pieces.index("given"), pieces.index("."), pieces.index("Fièvre")
    runs = merge_tokens(TEXT, offsets, [given, dot, fievre])
    # "given." joins (no gap), the blank line before "Fièvre" splits
    assert [TEXT[r.start : r.end] for r in runs] == ["given.", "Fièvre"]


def test_emoji_and_micro_sign_spans(encoding):
    _, offsets = encoding
    pieces = [TEXT[s:e] for s, e in offsets]
    i, j = pieces.index("µg"), pieces.index("😀")
    runs = merge_tokens(TEXT, offsets, [i, j])
    assert [TEXT[r.start : r.end] for r in runs] == ["µg", "😀"]  # "of aspirin" lies between: not adjacent
    assert TEXT[runs[1].start : runs[1].end] == "\U0001f600"


def test_flat_positions_chunk_layout():
    # chunk_size 4 -> [CLS] t t [SEP]; 5 tokens need 3 chunks
    assert flat_positions(5, 4).tolist() == [-1, 0, 1, -1, -1, 2, 3, -1, -1, 4, -1, -1]
    assert flat_positions(3).tolist() == [0, 1, 2]
    with pytest.raises(ValueError):
        flat_positions(3, 2)


def test_word_split_across_chunk_boundary_becomes_one_span():
    text = "severe hypertension today"
    # wordpieces "hyper" | "tens" | "ion": "hyper" ends chunk 0, "tens" starts chunk 1 (chunk_size 4)
    offsets = [(0, 6), (7, 12), (12, 16), (16, 19), (20, 25)]
    pos_scores = np.zeros(len(flat_positions(len(offsets), 4)))
    pos_scores[2] = 0.9  # token 1 "hyper" (chunk 0, slot 2)
    pos_scores[5] = 0.8  # token 2 "tens" (chunk 1, slot 1)
    pos_scores[0] = 5.0  # [CLS] must be ignored
    tok = positions_to_token_scores(pos_scores, len(offsets), 4)
    assert tok.tolist() == [0.0, 0.9, 0.8, 0.0, 0.0]
    spans = rank_spans(text, offsets, tok, SpanConfig(min_relative=0.5))
    assert [sp.text(text) for sp in spans] == ["hypertension"]
    assert spans[0].score == pytest.approx(1.7)


def test_expand_to_words_unicode():
    text = "Fièvre élevée"
    assert expand_to_words(text, 2, 4) == (0, 6)
    assert expand_to_words(text, 8, 9) == (7, 13)


def test_tokens_in_spans():
    offsets = [(0, 4), (5, 7), (7, 9), (10, 14)]
    got = tokens_in_spans(offsets, [Span(6, 8)], 14)
    assert got.tolist() == [False, True, True, False]
