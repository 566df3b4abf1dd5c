"""Tiny hand-made corpora for training tests: each code's notes use words of its real ICD-10-CM description."""

from __future__ import annotations

import random

import pytest

from medcoder.data.records import CodeLabel, CodeSystem, Document
from medcoder.models.config import TINY_CONFIG

# (code, phrases a note about it uses); descriptions are the official ICD-10-CM titles.
CODES = {
    "E11.9": ["type 2 diabetes mellitus", "diabetes mellitus type 2 on metformin"],
    "I10": ["essential hypertension", "primary hypertension, blood pressure high"],
    "N39.0": ["urinary tract infection", "infection of the urinary tract with dysuria"],
    "J18.9": ["pneumonia", "community acquired pneumonia, organism unspecified"],
    "K35.80": ["acute appendicitis", "appendicitis, acute, right lower quadrant pain"],
    "F32.9": ["major depressive disorder", "depressive disorder, single episode"],
}
# Official ICD-10-CM April 2026 titles (+ inclusion terms), keyed like LabelSpace keys.
DESCRIPTIONS = {
    "ICD-10-CM:E11.9": "Type 2 diabetes mellitus without complications",
    "ICD-10-CM:I10": "Essential (primary) hypertension",
    "ICD-10-CM:N39.0": "Urinary tract infection, site not specified",
    "ICD-10-CM:J18.9": "Pneumonia, unspecified organism",
    "ICD-10-CM:K35.80": "Unspecified acute appendicitis; Acute appendicitis NOS",
    "ICD-10-CM:F32.9": "Major depressive disorder, single episode, unspecified; Major depression NOS",
    "ICD-10-CM:J45.909": "Unspecified asthma, uncomplicated; Asthma NOS",  # never in the tiny training notes
}
FILLER = [
    "patient seen today",
    "vital signs stable",
    "follow up in two weeks",
    "no acute distress",
    "labs reviewed",
    "plan discussed with family",
]


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


def make_cited_docs(n: int, seed: int) -> list[Document]:
    """Notes of filler lines and one 'assessment' line per code, each code citing its line."""
    from conftest import cited_document  # tests/conftest.py

    rng = random.Random(seed)
    docs = []
    for i in range(n):
        lines, codes = [rng.choice(FILLER)], {}
        for c in rng.sample(sorted(CODES), rng.randint(1, 2)):
            codes[c] = [len(lines)]
            lines.append(f"assessment: {rng.choice(CODES[c])}")
        lines.append(rng.choice(FILLER))
        docs.append(cited_document(f"n{seed}-{i}", lines, codes))
    return docs


@pytest.fixture(scope="session")
def cited_train() -> list[Document]:
    return make_cited_docs(48, seed=1)


@pytest.fixture(scope="session")
def cited_dev() -> list[Document]:
    return make_cited_docs(16, seed=2)


@pytest.fixture(scope="session")
def tiny_train() -> list[Document]:
    return make_docs(48, seed=1)


@pytest.fixture(scope="session")
def tiny_dev() -> list[Document]:
    return make_docs(16, seed=2)


@pytest.fixture(scope="session")
def tiny_descriptions() -> dict[str, str]:
    return dict(DESCRIPTIONS)


@pytest.fixture(scope="session")
def tiny_config_path():

    return TINY_CONFIG


@pytest.fixture(scope="session")
def fitted_laat(tiny_train, tiny_dev, tiny_config_path):
    """A tiny LAAT fitted once per session (a few seconds on one core)."""
    from medcoder.training.coder import build_coder

    coder = build_coder("laat", tiny_config_path, descriptions=DESCRIPTIONS)
    coder.fit(tiny_train, tiny_dev)
    return coder
