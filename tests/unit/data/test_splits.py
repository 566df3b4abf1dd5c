"""Deterministic, order-independent id-hash splits."""

from __future__ import annotations

import hashlib
import random

import pytest

from medcoder.data.records import Document
from medcoder.data.splits import assign_split, split_documents, split_unit


def _docs(n: int) -> list[Document]:
    return [Document(id=f"doc-{i}", text="x") for i in range(n)]


def _assignment(splits: dict[str, list[Document]]) -> dict[str, str]:
    return {d.id: name for name, docs in splits.items() for d in docs}


def test_same_ids_same_split_regardless_of_order() -> None:
    docs = _docs(500)
    shuffled = docs[:]
    random.Random(7).shuffle(shuffled)
    assert _assignment(split_documents(docs, seed=3)) == _assignment(split_documents(shuffled, seed=3))


def test_adding_documents_never_moves_existing_ones() -> None:
    small, large = _assignment(split_documents(_docs(100))), _assignment(split_documents(_docs(1000)))
    assert all(large[k] == v for k, v in small.items())


def test_fractions_are_approximately_met() -> None:
    splits = split_documents(_docs(10_000))
    assert list(splits) == ["train", "dev", "test"]
    sizes = {k: len(v) / 10_000 for k, v in splits.items()}
    # binomial sd for p=0.1, n=10,000 is 0.003; allow 4 sd
    assert sizes["train"] == pytest.approx(0.8, abs=0.012)
    assert sizes["dev"] == pytest.approx(0.1, abs=0.012)
    assert sizes["test"] == pytest.approx(0.1, abs=0.012)
    assert sum(len(v) for v in splits.values()) == 10_000


def test_seed_changes_the_split() -> None:
    a, b = _assignment(split_documents(_docs(300), seed=0)), _assignment(split_documents(_docs(300), seed=1))
    assert sum(a[k] != b[k] for k in a) > 30


def test_unit_is_the_documented_sha256_prefix() -> None:
    digest = hashlib.sha256(b"0:doc-1").hexdigest()
    assert split_unit("doc-1", 0) == int(digest[:16], 16) / 2**64
    # with fractions {a: u-ish, ...} the interval decides: a doc with u < 0.8 is train
    u = split_unit("doc-1", 0)
    assert assign_split("doc-1") == ("train" if u < 0.8 else "dev" if u < 0.9 else "test")


def test_custom_fractions_and_validation() -> None:
    splits = split_documents(_docs(50), {"a": 0.5, "b": 0.5}, seed=0)
    assert set(splits) == {"a", "b"}
    with pytest.raises(ValueError, match="sum to 1"):
        split_documents(_docs(5), {"train": 0.8, "test": 0.1})
    with pytest.raises(ValueError, match="duplicate document id"):
        split_documents(_docs(3) + _docs(1))
