"""Ranking token scores into phrase and sentence spans."""

from __future__ import annotations

import numpy as np

from medcoder.evidence.spans import Granularity, SpanConfig, rank_spans, select_tokens

TEXT = "Patient has type 2 diabetes. Denies chest pain.\nHypertension is controlled."
WORDS = [
    "Patient",
    "has",
    "type",
    "2",
    "diabetes",
    ".",
    "Denies",
    "chest",
    "pain",
    ".",
    "Hypertension",
    "is",
    "controlled",
    ".",
]


def _offsets():
    out, pos = [], 0
    for w in WORDS:
        s = TEXT.index(w, pos)
        out.append((s, s + len(w)))
        pos = s + len(w)
    return out


def test_phrases_ranked_by_summed_score():
    scores = np.zeros(len(WORDS))
    scores[[2, 3, 4]] = [0.6, 0.5, 1.0]  # "type 2 diabetes": 2.1
    scores[10] = 0.9  # "Hypertension": 0.9
    spans = rank_spans(TEXT, _offsets(), scores, SpanConfig(min_relative=0.5))
    assert [sp.text(TEXT) for sp in spans] == ["type 2 diabetes", "Hypertension"]
    assert spans[0].score == 2.1


def test_sentence_granularity():
    scores = np.zeros(len(WORDS))
    scores[4] = 1.0
    scores[10] = 0.8
    spans = rank_spans(
        TEXT, _offsets(), scores, SpanConfig(min_relative=0.5, granularity=Granularity.SENTENCE)
    )
    assert [sp.text(TEXT) for sp in spans] == ["Patient has type 2 diabetes.", "Hypertension is controlled."]


def test_nothing_selected_for_non_positive_scores():
    assert select_tokens(np.full(len(WORDS), -1.0), _offsets(), len(TEXT), 0.5, 10) == []
    assert rank_spans(TEXT, _offsets(), np.zeros(len(WORDS))) == []


def test_max_tokens_keeps_best():
    scores = np.arange(len(WORDS), dtype=float)
    assert select_tokens(scores, _offsets(), len(TEXT), 0.01, 2) == [12, 13]
