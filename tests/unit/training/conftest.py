"""Tiny hand-made corpora for training tests: each code's notes use words of its real ICD-10-CM description."""

from __future__ import annotations

import random

import pytest

from medcoder.data.records import CodeLabel, CodeSystem, Document

# (code, phrases a note about it uses); descriptions are the official ICD-10-CM titles.
CODES = {
    "E11.9": ["type 2 diabetes mellitus", "diabetes mellitus type 2 on metformin"],
    "I10": ["essential hypertension", "primary hypertension, blood pressure high"],
    "N39.0": ["urinary tract infection", "infection of the urinary tract with dysuria"],
    "J18.9": ["pneumonia", "community acquired pneumonia, organism unspecified"],
    "K35.80": ["acute appendicitis", "appendicitis, acute, right lower quadrant pain"],
    "F32.9": ["major depressive disorder", "depressive disorder, single episode"],
}
FILLER = ["patient seen today", "vital signs stable", "follow up in two weeks", "no acute distress",
          "labs reviewed", "plan discussed with family"]


def make_docs(n: int, seed: int, codes: dict[str, list[str]] = CODES) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    keys = sorted(codes)
    for i in range(n):
        chosen = rng.sample(keys, rng.randint(1, 2))
        parts = [rng.choice(FILLER)]
        for c in chosen:
            parts.append(f"assessment: {rng.choice(codes[c])}.")
        parts.append(rng.choice(FILLER))
        labels = tuple(CodeLabel(CodeSystem.ICD10CM, c) for c in chosen)
        docs.append(Document(id=f"d{seed}-{i}", text=" ".join(parts), labels=labels))
    return docs


@pytest.fixture(scope="session")
def tiny_train() -> list[Document]:
    return make_docs(48, seed=1)


@pytest.fixture(scope="session")
def tiny_dev() -> list[Document]:
    return make_docs(16, seed=2)
