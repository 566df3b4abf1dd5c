"""Sentence-level nearest neighbours over training evidence spans."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import cited_document as cited
from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.base import Label
from medcoder.models.mentions import (
    MentionKnnCoder,
    MentionKnnConfig,
    aggregate_sentence_scores,
    mention_units,
)

CM = CodeSystem.ICD10CM


def test_aggregate_by_hand() -> None:
    # two sentences of doc 0, one of doc 1; three units; labels A (units 0, 1) and B (unit 2)
    sims = np.array([[0.5, 0.2, 0.0], [0.1, 0.0, 0.4], [0.0, 0.0, 0.9]])
    units = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    rows = np.array([0, 0, 1])
    got = aggregate_sentence_scores(sims, units, rows, 2, k=1, power=1.0, aggregation="max")
    assert got == pytest.approx(np.array([[0.5, 0.4], [0.0, 0.9]]))
    # k=2, noisy-or: doc 0, label A: sentence scores 0.5 and 0.1 -> 1 - 0.5 * 0.9 = 0.55
    got = aggregate_sentence_scores(sims, units, rows, 2, k=2, power=1.0, aggregation="noisy_or")
    assert got[0] == pytest.approx([0.55, 0.4], abs=1e-5)
    # power 2 squares each neighbour's weight
    got = aggregate_sentence_scores(sims, units, rows, 2, k=1, power=2.0, aggregation="max")
    assert got[1] == pytest.approx([0.0, 0.81])


def test_mention_units_merge_labels_of_one_line() -> None:
    doc = cited("a", ["fever and cough", "type 2 diabetes"], {"R50.9": [0], "R05.9": [0], "E11.9": [1]})
    units = mention_units([doc])
    assert units == [
        ("fever and cough", [Label(CM, "R50.9"), Label(CM, "R05.9")]),
        ("type 2 diabetes", [Label(CM, "E11.9")]),
    ]


def test_coder_scores_the_code_of_the_similar_sentence() -> None:
    train = [
        cited("a", ["patient reports fever since monday", "blood pressure fine"], {"R50.9": [0]}),
        cited("b", ["known type 2 diabetes on metformin", "no fever"], {"E11.9": [0]}),
        cited("c", ["diabetes type 2 poorly controlled", "walks daily"], {"E11.9": [0]}),
    ]
    dev = [Document(id="x", text="fever since yesterday\nother words", labels=(CodeLabel(CM, "R50.9"),))]
    coder = MentionKnnCoder(MentionKnnConfig(k_grid=(1, 2), power_grid=(1.0,)))
    coder.fit(train, dev)
    scores = dict(zip(coder.label_space.keys(), coder.predict_scores(dev)[0], strict=True))
    assert scores["ICD-10-CM:R50.9"] > scores["ICD-10-CM:E11.9"]
    assert coder.fit_stats["units"] == 3 and coder.fit_stats["dev_map"] == 1.0
    assert coder.predict_scores([]).shape == (0, 2)


def test_coder_needs_spans() -> None:
    bare = [Document(id="a", text="fever", labels=(CodeLabel(CM, "R50.9"),))]
    with pytest.raises(ValueError, match="evidence span"):
        MentionKnnCoder().fit(bare, [])
    with pytest.raises(ValueError, match="aggregations"):
        MentionKnnConfig(aggregations=("mean",))


def test_cited_sentences_mark_overlapping_spans() -> None:
    from medcoder.models.mentions import cited_sentences

    doc = cited("a", ["fever and cough", "type 2 diabetes", "walks daily"], {"R50.9": [0], "E11.9": [1]})
    texts, labels = cited_sentences([doc])
    assert texts == ["fever and cough", "type 2 diabetes", "walks daily"]
    assert labels == [{Label(CM, "R50.9")}, {Label(CM, "E11.9")}, set()]


def test_aggregate_rows_by_hand() -> None:
    from medcoder.models.mentions import aggregate_rows

    sent = np.array([[0.5, 0.1], [0.5, 0.2], [0.3, 0.0]])
    rows = np.array([0, 0, 1])
    assert aggregate_rows(sent, rows, 3, "max") == pytest.approx(np.array([[0.5, 0.2], [0.3, 0.0], [0, 0]]))
    # noisy-or: 1 - 0.5 * 0.5 = 0.75; 1 - 0.9 * 0.8 = 0.28
    assert aggregate_rows(sent, rows, 3, "noisy_or")[0] == pytest.approx([0.75, 0.28], abs=1e-5)


def test_mention_lr_learns_from_cited_sentences_only() -> None:
    from medcoder.models.mentions import MentionLRCoder, MentionLRConfig

    train = [
        cited(
            f"d{i}",
            [f"patient {i} reports fever today", "blood pressure normal", "diabetes type 2 known"],
            {"R50.9": [0], "E11.9": [2]},
        )
        for i in range(4)
    ] + [cited("n", ["blood pressure normal", "no complaints"], {})]
    dev = [Document(id="x", text="reports fever\nvisit", labels=(CodeLabel(CM, "R50.9"),))]
    coder = MentionLRCoder(MentionLRConfig(c_grid=(10.0,), min_df=1))
    coder.fit(train, dev)
    scores = dict(zip(coder.label_space.keys(), coder.predict_scores(dev)[0], strict=True))
    # only the fever sentence was cited for R50.9, so a note about fever alone scores it, not E11.9
    assert scores["ICD-10-CM:R50.9"] > 0.5 > scores["ICD-10-CM:E11.9"]
    assert coder.fit_stats["cited"] == 8 and coder.fit_stats["sentences"] == 14
    with pytest.raises(ValueError, match="evidence span"):
        MentionLRCoder().fit([Document(id="a", text="fever", labels=(CodeLabel(CM, "R50.9"),))], [])
