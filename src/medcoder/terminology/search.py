"""BM25 text search over code descriptions (+ ICD-10-CM inclusion terms), for candidate retrieval.

The index is a sparse document-term matrix whose entries are the BM25 term weights
``idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg_len))``; a query's scores are the
sum of its terms' columns (one sparse column slice), so a search costs well under a millisecond
over the 74,731 billable ICD-10-CM codes. Text is lower-cased, split on non-alphanumerics, common
clinical abbreviations are expanded (``ckd`` -> ``chronic kidney disease``) and a light suffix
stripper folds ``diabetes``/``diabetic`` and ``hypertension``/``hypertensive`` together.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from medcoder.terminology.abbreviations import abbreviations
from medcoder.terminology.systems import CodeSystem

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = "a an and as at by for from in into is of on or the to with"
STOPWORDS = frozenset(_STOP.split())
ABBREVIATIONS: dict[str, str] = abbreviations()  # the curated list in terminology/data
_SUFFIXES = ("ically", "ations", "ation", "ities", "ness", "ment", "ions", "ion", "ive", "ing", "ies",
             "ic", "es", "ed", "al", "s")  # fmt: skip


def stem(word: str) -> str:
    """Light suffix stripping: diabetes/diabetic -> diabet, hypertension/hypertensive -> hypertens."""
    if word.isdigit() or len(word) <= 4:
        return word
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 4:
            return word[: -len(suf)] + ("y" if suf == "ies" else "")
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without stop words, abbreviations expanded."""
    out: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        for word in ABBREVIATIONS.get(tok, tok).split():
            if word not in STOPWORDS:
                out.append(stem(word))
    return out


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """One searchable entry: ``text`` is what is matched, ``description`` what is shown."""

    code: str
    system: str
    description: str
    text: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    code: str
    system: str
    description: str
    score: float


class SearchIndex:
    """A built BM25 index; build with :meth:`build`, persist with :meth:`save` / :meth:`load`."""

    def __init__(self, weights: sp.csc_matrix, vocab: dict[str, int], codes: list[str], systems: list[str],
                 descriptions: list[str], meta: dict[str, object]) -> None:  # fmt: skip
        self._w = weights.tocsc()
        self._vocab = vocab
        self.codes, self.systems, self.descriptions = codes, systems, descriptions
        self.meta = meta
        self._system_arr = np.array(systems)

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def build(cls, docs: Sequence[IndexedDoc], k1: float = 1.2, b: float = 0.75,
              meta: dict[str, object] | None = None) -> SearchIndex:  # fmt: skip
        """Build the BM25 weight matrix from documents (about 2 s for all billable ICD-10-CM codes)."""
        if not docs:
            raise ValueError("cannot build a search index from no documents")
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        lengths = np.zeros(len(docs), dtype=np.float64)
        for i, d in enumerate(docs):
            toks = tokenize(d.text)
            lengths[i] = len(toks)
            for t in toks:
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
        tf = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(docs), len(vocab))
        )  # duplicate (row, col) pairs are summed: term frequencies
        tf.sum_duplicates()
        df = np.bincount(tf.indices, minlength=len(vocab))
        idf = np.log1p((len(docs) - df + 0.5) / (df + 0.5))
        avg = max(lengths.mean(), 1e-9)
        norm = k1 * (1 - b + b * lengths / avg)
        row_of = np.repeat(np.arange(len(docs)), np.diff(tf.indptr))
        data = tf.data * (k1 + 1) / (tf.data + norm[row_of]) * idf[tf.indices]
        weights = sp.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape)
        info = {"k1": k1, "b": b, "documents": len(docs), "terms": len(vocab), **(meta or {})}
        return cls(weights, vocab, [d.code for d in docs], [d.system for d in docs],
                   [d.description for d in docs], info)  # fmt: skip

    def self_scores(self) -> np.ndarray:
        """Each document's total BM25 weight (shape [n_docs]): the score a query equal to the
        document's own distinct terms would get, used to normalise match scores to [0, 1]."""
        return np.asarray(self._w.sum(axis=1)).ravel()

    def _query_vector(self, query: str) -> np.ndarray:
        idx = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        return np.asarray(idx, dtype=np.int64)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (shape [n_docs])."""
        idx = self._query_vector(query)
        if idx.size == 0:
            return np.zeros(len(self.codes))
        return np.asarray(self._w[:, idx].sum(axis=1)).ravel()

    def search(self, query: str, k: int = 10, system: str | CodeSystem | None = None) -> list[SearchHit]:
        """The ``k`` best-scoring codes (score > 0), optionally of one system, best first."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        s = self.scores(query)
        if system is not None:
            s = np.where(self._system_arr == str(system), s, 0.0)
        n_pos = int(np.count_nonzero(s > 0))
        if n_pos == 0:
            return []
        k = min(k, n_pos)
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.lexsort((top, -s[top]))]  # by score, ties by index order
        return [SearchHit(self.codes[i], self.systems[i], self.descriptions[i], float(s[i])) for i in top]

    def save(self, directory: str | Path) -> Path:
        """Write ``weights.npz`` and ``index.json`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        sp.save_npz(out / "weights.npz", self._w.tocsr())
        payload = {"meta": self.meta, "vocab": self._vocab, "codes": self.codes, "systems": self.systems,
                   "descriptions": self.descriptions}  # fmt: skip
        (out / "index.json").write_text(json.dumps(payload), encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> SearchIndex:
        """Read an index written by :meth:`save`."""
        d = Path(directory)
        payload = json.loads((d / "index.json").read_text(encoding="utf-8"))
        weights = sp.load_npz(d / "weights.npz")
        return cls(weights, payload["vocab"], payload["codes"], payload["systems"], payload["descriptions"],
                   payload["meta"])  # fmt: skip


def icd10cm_documents(billable_only: bool = True) -> list[IndexedDoc]:
    """One document per ICD-10-CM code: description plus its inclusion terms."""
    from medcoder.terminology.icd10cm import get_icd10cm

    cm = get_icd10cm()
    codes = cm.billable_codes() if billable_only else [c for c in _all_cm_codes(cm)]
    docs = []
    for c in codes:
        desc = cm.description(c)
        docs.append(IndexedDoc(c, CodeSystem.ICD10CM.value, desc, " ".join([desc, *cm.inclusion_terms(c)])))
    return docs


def _all_cm_codes(cm: object) -> Iterable[str]:
    import simple_icd_10_cm as sicd

    return list(dict.fromkeys(c for c in sicd.get_all_codes() if cm.is_valid(c)))  # type: ignore[attr-defined]


def other_documents(systems: Iterable[str]) -> list[IndexedDoc]:
    """Documents for ICD-10-PCS and the built-in CPT set (HCPCS needs a release file: see hcpcs_documents)."""
    docs: list[IndexedDoc] = []
    for system in systems:
        if system == CodeSystem.ICD10PCS.value:
            from medcoder.terminology.icd10pcs import get_icd10pcs

            pcs = get_icd10pcs()
            docs += [IndexedDoc(c, system, d, d) for c in pcs.all_codes() for d in [pcs.description(c)]]
        elif system == CodeSystem.CPT.value:
            from medcoder.terminology.cpt import builtin_cpt

            docs += [IndexedDoc(e.code, system, e.descriptor, e.descriptor) for e in builtin_cpt().entries]
        elif system != CodeSystem.ICD10CM.value:
            raise ValueError(f"no built-in documents for system {system!r}")
    return docs


def hcpcs_documents(release: object) -> list[IndexedDoc]:
    """Documents for the codes (not modifiers) of a loaded :class:`~medcoder.terminology.hcpcs.HCPCSRelease`."""
    return [
        IndexedDoc(r.code, CodeSystem.HCPCS.value, r.long_description, r.long_description)
        for r in release.records  # type: ignore[attr-defined]
        if not r.is_modifier
    ]


def build_index(
    systems: Sequence[str] = (CodeSystem.ICD10CM.value,), hcpcs_release: object | None = None
) -> SearchIndex:
    """An index over the given systems (ICD-10-CM billable codes, ICD-10-PCS, built-in CPT, HCPCS)."""
    docs: list[IndexedDoc] = []
    if CodeSystem.ICD10CM.value in systems:
        docs += icd10cm_documents()
    docs += other_documents(s for s in systems if s not in (CodeSystem.ICD10CM.value, CodeSystem.HCPCS.value))
    if CodeSystem.HCPCS.value in systems:
        if hcpcs_release is None:
            raise ValueError("HCPCS search needs a loaded release (load_hcpcs(path))")
        docs += hcpcs_documents(hcpcs_release)
    log.info("building search index over %d codes (%s)", len(docs), ", ".join(systems))
    return SearchIndex.build(docs, meta={"systems": list(systems)})
