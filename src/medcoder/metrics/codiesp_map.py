"""CodiEsp-D/P MAP exactly as the organisers' script computes it, and the all-gold variant.

The official script (TeMU-BSC/codiesp-evaluation-script ``codiespD_P_evaluation.py``, which hands a
ranked run to trectools 0.0.42 ``get_map(trec_eval=False)``) does, in order:

1. gold: lower-case codes, merge repeated (document, code) pairs;
2. predictions: lower-case, keep the first occurrence of a code in a document, drop codes that are
   not in the valid code list, and rank what is left in file order;
3. keep the first 1,000 codes per document;
4. average precision per document = sum of precision at each correct code / gold count;
5. the mean divides by the number of documents with (valid) predictions: a gold document without
   predictions is ignored, a predicted document without gold scores 0.

``all_gold`` is the usual IR mean over every gold document instead (a gold document without
predictions scores 0, documents without gold are left out). Codes are compared verbatim after
lower-casing: ``n44.8`` is not ``n448`` and a parent code earns nothing for its child.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcoder.errors import InputFormatError

OFFICIAL_DEPTH = 1000


@dataclass(frozen=True)
class CodiespMap:
    """MAP under the official denominator and over all gold documents, with per-document AP."""

    official: float
    all_gold: float
    n_predicted_docs: int
    n_gold_docs: int
    average_precision: Mapping[str, float] = field(default_factory=dict)


ValidCodes = Collection[str] | Callable[[str], bool]


def _clean_predictions(codes: Iterable[str], valid: ValidCodes | None, depth: int) -> list[str]:
    seen: dict[str, None] = {}
    for code in codes:
        c = code.strip().lower()
        if not c or c in seen:
            continue
        seen[c] = None
    if valid is None:
        kept = list(seen)
    elif callable(valid):
        kept = [c for c in seen if valid(c)]
    else:
        kept = [c for c in seen if c in valid]
    return kept[:depth]


def average_precision(ranked: Sequence[str], gold: Collection[str]) -> float:
    """Sum of precision at each rank holding a gold code, divided by the gold count (0 if no gold)."""
    if not gold:
        return 0.0
    hits = 0
    total = 0.0
    for rank, code in enumerate(ranked, start=1):
        if code in gold:
            hits += 1
            total += hits / rank
    return total / len(gold)


def codiesp_map(
    gold: Mapping[str, Iterable[str]],
    predictions: Mapping[str, Iterable[str]],
    valid_codes: ValidCodes | None = None,
    depth: int = OFFICIAL_DEPTH,
) -> CodiespMap:
    """CodiEsp MAP of ranked ``predictions`` (document id -> codes, best first) against ``gold``.

    ``valid_codes`` is the task's code list (compared lower-cased) or a predicate called with the
    lower-cased code; ``None`` keeps every prediction.
    """
    valid: ValidCodes | None = valid_codes
    if valid_codes is not None and not callable(valid_codes):
        valid = {c.strip().lower() for c in valid_codes}
    gold_sets = {doc: {c.strip().lower() for c in codes if c.strip()} for doc, codes in gold.items()}
    gold_sets = {doc: codes for doc, codes in gold_sets.items() if codes}
    runs = {doc: _clean_predictions(codes, valid, depth) for doc, codes in predictions.items()}
    runs = {doc: codes for doc, codes in runs.items() if codes}
    ap: dict[str, float] = {}
    for doc in sorted(set(runs) | set(gold_sets)):
        ap[doc] = average_precision(runs.get(doc, []), gold_sets.get(doc, set()))
    official = float(np.mean([ap[d] for d in runs])) if runs else 0.0
    all_gold = float(np.mean([ap[d] for d in gold_sets])) if gold_sets else 0.0
    return CodiespMap(
        official=official,
        all_gold=all_gold,
        n_predicted_docs=len(runs),
        n_gold_docs=len(gold_sets),
        average_precision=ap,
    )


def ranked_codes(
    doc_ids: Sequence[str],
    scores: np.ndarray,
    codes: Sequence[str],
    top_k: int = 50,
    min_score: float = 0.0,
) -> dict[str, list[str]]:
    """Each document's ``top_k`` codes by descending score, keeping only scores ``> min_score``.

    Ties keep column order (stable sort), so the ranking is reproducible.
    """
    s = np.asarray(scores)
    if s.shape != (len(doc_ids), len(codes)):
        raise ValueError(f"scores {s.shape} do not match {len(doc_ids)} documents x {len(codes)} codes")
    k = min(top_k, len(codes))
    out: dict[str, list[str]] = {}
    for row, doc in enumerate(doc_ids):
        if k == 0:
            out[doc] = []
            continue
        part = np.argpartition(-s[row], k - 1)[:k] if k < len(codes) else np.arange(len(codes))
        order = part[np.lexsort((part, -s[row, part]))]
        out[doc] = [codes[j] for j in order if s[row, j] > min_score]
    return out


def read_codiesp_tsv(path: str | Path) -> dict[str, list[str]]:
    """A CodiEsp ``articleID<TAB>code`` file as document -> codes in file order (no header)."""
    out: dict[str, list[str]] = {}
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise InputFormatError(
                    f"expected 'articleID<TAB>code', got {len(parts)} fields", path=p, line=n
                )
            out.setdefault(parts[0], []).append(parts[1])
    return out


def write_codiesp_tsv(predictions: Mapping[str, Sequence[str]], path: str | Path) -> None:
    """Write ranked predictions in the official submission format (one ``doc<TAB>code`` per line)."""
    lines = [f"{doc}\t{code}" for doc, codes in predictions.items() for code in codes]
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
