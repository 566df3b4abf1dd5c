"""Label-frequency buckets and the evaluation label space, on documents written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.evaluation.buckets import Bucket, bucket_masks, bucketed_report, train_label_counts
from medcoder.models.alignment import align_scores, evaluation_space
from medcoder.models.base import Label, LabelSpace

CM = CodeSystem.ICD10CM


def doc(i: int, *codes: str) -> Document:
    return Document(id=f"d{i}", text="x", labels=tuple(CodeLabel(CM, c) for c in codes))


TRAIN = [doc(i, "A00", "B00") for i in range(3)] + [doc(3, "A00", "A00")]  # A00: 4 docs, B00: 3 docs
A, B, C = Label(CM, "A00"), Label(CM, "B00"), Label(CM, "C00")


def test_train_counts_are_documents() -> None:
    assert train_label_counts(TRAIN) == {A: 4, B: 3}


def test_bucket_masks() -> None:
    space = LabelSpace([A, B, C])
    masks = bucket_masks(space, train_label_counts(TRAIN), few_shot_max=3)
    assert masks[Bucket.FREQUENT].tolist() == [True, False, False]
    assert masks[Bucket.FEW_SHOT].tolist() == [False, True, False]
    assert masks[Bucket.UNSEEN].tolist() == [False, False, True]
    with pytest.raises(ValueError):
        bucket_masks(space, {}, few_shot_max=0)


def test_evaluation_space_appends_unseen_gold_and_align_pads() -> None:
    model = LabelSpace([B, A])
    space = evaluation_space(model, [doc(9, "C00", "A00")])
    assert space.labels == (B, A, C)
    aligned = align_scores(np.array([[0.2, 0.7]]), model, space)
    assert aligned.tolist() == [[pytest.approx(0.2), pytest.approx(0.7), 0.0]]
    with pytest.raises(ValueError, match="expected"):
        align_scores(np.zeros((1, 3)), model, space)


def test_bucketed_report_recall_on_unseen() -> None:
    space = LabelSpace([A, B, C])
    y = np.array([[1, 0, 1], [0, 1, 1]])
    s = np.array([[0.9, 0.1, 0.6], [0.2, 0.4, 0.0]])
    masks = bucket_masks(space, train_label_counts(TRAIN), few_shot_max=3)
    rep = bucketed_report(y, s, np.array([0.5, 0.3, 0.5]), masks, ks=(1,))
    assert rep["unseen"]["micro_recall"] == pytest.approx(1 / 2)  # C00 found in d0 only
    assert rep["few_shot"]["micro_recall"] == pytest.approx(1.0)  # B00 0.4 > its own 0.3
    assert rep["frequent"]["micro_precision"] == pytest.approx(1.0)
