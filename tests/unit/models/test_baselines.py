"""Baselines fit and predict on documents written by hand; retrieval on a small real BM25 index."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.base import Coder, Label
from medcoder.models.baselines import MostFrequentCoder, TfidfLogRegCoder, TfidfLRConfig
from medcoder.models.retrieval import DictionaryCoder, WeightedSumCoder, split_sentences
from medcoder.terminology.search import IndexedDoc, SearchIndex

CM = CodeSystem.ICD10CM


def doc(i: str, text: str, *codes: str) -> Document:
    return Document(id=i, text=text, labels=tuple(CodeLabel(CM, c) for c in codes))


TOPICS = {
    "E11.9": ["type 2 diabetes on metformin, glucose high", "diabetic patient with poor glucose control"],
    "I10": [
        "blood pressure elevated, hypertension treated with lisinopril",
        "hypertension follow up, pressure 160/95",
    ],
    "R07.9": ["chest pain at rest, troponin negative", "acute chest pain radiating to the arm"],
}
TRAIN = [doc(f"t{c}{k}", text, c) for c, texts in TOPICS.items() for k, text in enumerate(texts)]
TRAIN += [doc("tmix", "diabetes and hypertension, glucose and blood pressure high", "E11.9", "I10")]
DEV = [doc("d1", "patient glucose high, diabetes", "E11.9"), doc("d2", "chest pain since morning", "R07.9")]


def test_most_frequent_scores_are_training_shares() -> None:
    coder = MostFrequentCoder()
    coder.fit(TRAIN, DEV)
    assert isinstance(coder, Coder)
    scores = coder.predict_scores(DEV)
    shares = dict(zip([lab.code for lab in coder.label_space.labels], scores[0], strict=True))
    assert shares == pytest.approx({"E11.9": 3 / 7, "I10": 3 / 7, "R07.9": 2 / 7})
    assert np.array_equal(scores[0], scores[1])


def test_tfidf_lr_ranks_the_topic_code_first() -> None:
    coder = TfidfLogRegCoder(TfidfLRConfig(min_df=1, c_grid=(1.0, 100.0)))
    coder.fit(TRAIN, DEV)
    assert isinstance(coder, Coder)
    test = [
        doc("x1", "chest pain, troponin pending"),
        doc("x2", "hypertension, lisinopril increased"),
        doc("x3", "metformin for diabetes, glucose"),
    ]
    scores = coder.predict_scores(test)
    assert scores.shape == (3, 3) and scores.min() >= 0.0 and scores.max() <= 1.0
    codes = [lab.code for lab in coder.label_space.labels]
    assert [codes[j] for j in scores.argmax(axis=1)] == ["R07.9", "I10", "E11.9"]
    assert coder.fit_stats["C"] in (1.0, 100.0) and "dev_map_C=100" in coder.fit_stats


def test_tfidf_lr_single_label_and_errors() -> None:
    coder = TfidfLogRegCoder(TfidfLRConfig(min_df=1, c_grid=(10.0,)))
    with pytest.raises(RuntimeError, match="before fit"):
        coder.predict_scores(DEV)
    train = [doc("a", "chest pain", "R07.9"), doc("b", "no complaints")]
    coder.fit(train, [])
    assert coder.predict_scores([doc("c", "chest pain")]).shape == (1, 1)
    with pytest.raises(ValueError, match="c_grid"):
        TfidfLRConfig(c_grid=())
    with pytest.raises(ValueError, match="no codes"):
        TfidfLogRegCoder(TfidfLRConfig(systems=(CodeSystem.CPT,))).fit(TRAIN, DEV)


def small_index() -> SearchIndex:
    return SearchIndex.build(
        [
            IndexedDoc(
                "E11.9",
                CM.value,
                "Type 2 diabetes mellitus without complications",
                "Type 2 diabetes mellitus without complications",
            ),  # fmt: skip
            IndexedDoc("I10", CM.value, "Essential (primary) hypertension", "Essential primary hypertension"),
            IndexedDoc("R07.9", CM.value, "Chest pain, unspecified", "Chest pain unspecified"),
            IndexedDoc(
                "0DTJ0ZZ", CodeSystem.ICD10PCS.value, "Resection of appendix, open", "Resection appendix open"
            ),
        ]
    )


def test_split_sentences() -> None:
    assert split_sentences("One. Two!\nThree") == ["One.", "Two!", "Three"]
    assert split_sentences("a b c d", max_chars=3) == ["a b", "c d"]


def test_dictionary_scores_description_coverage() -> None:
    coder = DictionaryCoder(small_index())
    coder.fit([], [])
    assert [lab.code for lab in coder.label_space.labels] == ["E11.9", "I10", "R07.9"]  # ICD-10-CM only
    docs = [
        doc("a", "History of essential primary hypertension.\nChest pain today."),
        doc("b", "Nothing relevant here."),
    ]
    s = coder.predict_scores(docs)
    assert s[0, 1] == pytest.approx(1.0)  # every word of the I10 description is in one sentence
    assert 0.0 < s[0, 2] < 1.0  # "chest pain" covers part of "chest pain unspecified"
    assert s[0, 0] == 0.0 and s[1].sum() == 0.0
    strict = DictionaryCoder(small_index(), min_coverage=0.99)
    assert strict.predict_scores(docs)[0].tolist() == [0.0, 1.0, 0.0]


def test_weighted_sum_adds_dictionary_codes() -> None:
    base = MostFrequentCoder()
    combo = WeightedSumCoder(base, DictionaryCoder(small_index(), min_coverage=0.99), weights=(0.5,))
    train = [doc("t1", "x", "I10"), doc("t2", "y", "I10"), doc("t3", "z", "Z00.00")]
    combo.fit(train, [])
    assert [lab.code for lab in combo.label_space.labels] == ["I10", "Z00.00", "E11.9", "R07.9"]
    s = combo.predict_scores([doc("n", "Chest pain unspecified.")])
    # I10: (2/3 + 0.5 x 0) / 1.5; Z00.00: (1/3) / 1.5; R07.9: (0 + 0.5 x 1) / 1.5
    assert s[0].tolist() == pytest.approx([(2 / 3) / 1.5, (1 / 3) / 1.5, 0.0, 0.5 / 1.5])
    assert Label(CM, "R07.9") in combo.label_space


def test_weighted_sum_picks_weight_on_dev() -> None:
    base = MostFrequentCoder()
    combo = WeightedSumCoder(base, DictionaryCoder(small_index(), min_coverage=0.99), weights=(0.0, 10.0))
    train = [doc("t1", "x", "I10"), doc("t2", "y", "I10"), doc("t3", "z", "R07.9")]
    dev = [doc("d", "Chest pain unspecified.", "R07.9")]
    combo.fit(train, dev)
    # weight 0 ranks I10 first (AP 1/2); weight 10 puts the matched R07.9 first (AP 1)
    assert combo.weight == 10.0
    assert combo.fit_stats["dev_map_w=0"] == pytest.approx(0.5)
    assert combo.fit_stats["dev_map_w=10"] == pytest.approx(1.0)
