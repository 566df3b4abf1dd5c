"""Deterministic train/dev/test splits that depend only on document ids and a seed.

Each document goes to the split whose cumulative-fraction interval holds
``u = sha256(f"{seed}:{id}")`` read as a number in ``[0, 1)``. The assignment of one document
therefore never depends on the other documents or on their order: adding documents later never
moves existing ones, and re-running on a shuffled file gives the same split.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

from medcoder.data.records import Document

DEFAULT_FRACTIONS: dict[str, float] = {"train": 0.8, "dev": 0.1, "test": 0.1}


def split_unit(doc_id: str, seed: int = 0) -> float:
    """The document's position in ``[0, 1)``: the first 8 bytes of ``sha256(f"{seed}:{doc_id}")``."""
    digest = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(doc_id: str, fractions: Mapping[str, float] = DEFAULT_FRACTIONS, seed: int = 0) -> str:
    """The split name of one document id (fractions are taken in their given order)."""
    _check_fractions(fractions)
    u = split_unit(doc_id, seed)
    cumulative = 0.0
    names = list(fractions)
    for name in names:
        cumulative += fractions[name]
        if u < cumulative:
            return name
    return names[-1]  # u lies in the rounding gap just below 1.0


def _check_fractions(fractions: Mapping[str, float]) -> None:
    if not fractions:
        raise ValueError("fractions must name at least one split")
    bad = {k: v for k, v in fractions.items() if not (isinstance(v, int | float) and v >= 0)}
    if bad:
        raise ValueError(f"split fractions must be non-negative numbers, got {bad}")
    total = sum(fractions.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"split fractions must sum to 1, got {total} from {dict(fractions)}")


def split_documents(
    docs: Sequence[Document], fractions: Mapping[str, float] | None = None, seed: int = 0
) -> dict[str, list[Document]]:
    """Assign every document to a split by hashing its id with ``seed``.

    Returns a dict with every split name of ``fractions`` (default 80/10/10 train/dev/test), in
    that order; within a split documents keep their input order. Duplicate ids are rejected, since
    two copies of a document would otherwise always land together and inflate one split.
    """
    fractions = DEFAULT_FRACTIONS if fractions is None else fractions
    _check_fractions(fractions)
    out: dict[str, list[Document]] = {name: [] for name in fractions}
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise ValueError(
                f"duplicate document id {doc.id!r}: ids must be unique to split deterministically"
            )
        seen.add(doc.id)
        out[assign_split(doc.id, fractions, seed)].append(doc)
    return out
