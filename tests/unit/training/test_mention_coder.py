"""Label-wise attention trained on cited sentences (MentionNeuralCoder) and length-bucketed batches."""

from __future__ import annotations

import random

import numpy as np
import pytest

from conftest import cited_document as cited
from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.mentions import aggregate_rows, doc_sentences, line_sentences
from medcoder.training.mention_coder import SCORING, MentionNeuralCoder, sentence_documents
from medcoder.training.module import LengthBucketSampler, doc_average_precision

CM = CodeSystem.ICD10CM


def test_sentence_documents_by_hand() -> None:
    doc = cited("a", ["vital signs stable", "essential hypertension", "", "follow up"], {"I10": [1]})
    got = sentence_documents([doc])
    assert [(d.id, d.text, [lab.code for lab in d.labels]) for d in got] == [
        ("a#0", "vital signs stable", []),
        ("a#1", "essential hypertension", ["I10"]),
        ("a#2", "follow up", []),
    ]
    # a code of another system is left out when systems are given
    assert all(not d.labels for d in sentence_documents([doc], systems=(CodeSystem.ICD10PCS,)))


def test_length_buckets_cover_every_example_once_and_vary_by_epoch() -> None:
    lengths = [random.Random(i).randint(1, 100) for i in range(103)]
    sampler = LengthBucketSampler(lengths, batch_size=4, seed=0, pool_batches=5)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler) == 26  # 5 pools of 20 = 25 batches of 4, + 3 left = 1 batch
    for epoch in (first, second):
        assert sorted(i for b in epoch for i in b) == list(range(103))
        assert all(len(b) <= 4 for b in epoch)
    assert first != second
    # within a batch, lengths come from one sorted run of a pool: spread far below the full range
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in first])
    assert spread < 30
    assert list(LengthBucketSampler(lengths, 4, seed=0, pool_batches=5)) == first  # seeded


def test_bad_scoring_and_missing_spans_are_clear_errors(tiny_config_path, tiny_descriptions) -> None:
    from medcoder.training.coder import build_coder

    coder = build_coder("laat", tiny_config_path, descriptions=tiny_descriptions)
    with pytest.raises(ValueError, match="scoring must be"):
        MentionNeuralCoder(coder, scoring=("mean",))
    plain = [Document(id="x", text="essential hypertension", labels=(CodeLabel(CM, "I10"),))]
    with pytest.raises(ValueError, match="evidence span"):
        MentionNeuralCoder(coder).fit(plain, [])


@pytest.mark.slow
def test_mention_laat_learns_from_sentences_and_scores_notes(
    tiny_config_path, tiny_descriptions, cited_train, cited_dev
) -> None:
    from medcoder.training.coder import build_coder

    train, dev = cited_train, cited_dev
    coder = MentionNeuralCoder(build_coder("laat", tiny_config_path, descriptions=tiny_descriptions))
    coder.fit(train, dev)
    assert coder.name == "mention_laat" and coder.scoring in SCORING
    assert coder.fit_stats["sentences"] == sum(len(d.text.split("\n")) for d in train)
    assert coder.fit_stats["cited"] == sum(len(d.labels) for d in train)
    assert {f"dev_map_{s}" for s in SCORING} <= set(coder.fit_stats)
    # the epoch kept is the best by dev notes scored by their best sentence: recompute that by hand
    texts, rows = doc_sentences(dev, line_sentences)
    by_doc = aggregate_rows(coder.coder.predict_scores(texts), rows, len(dev), "max")
    kept = doc_average_precision(by_doc, coder.label_space.encode(dev))
    assert kept == pytest.approx(coder.fit_stats["dev_map_label_space"], abs=1e-4)
    scores = coder.predict_scores(dev)
    assert scores.shape == (16, len(coder.label_space)) and np.isfinite(scores).all()
    # the gold code outranks the others in most dev notes
    top = [coder.label_space.labels[int(np.argmax(s))].code for s in scores]
    hits = sum(t in {lab.code for lab in d.labels} for t, d in zip(top, dev, strict=True))
    assert hits >= 12


def test_dev_groups_need_their_document_gold() -> None:
    import torch

    from medcoder.training.module import CoderModule

    with pytest.raises(ValueError, match="go together"):
        CoderModule(torch.nn.Linear(2, 2), lr=0.1, dev_groups=np.array([0, 0, 1]))
