"""The index coder: Alphabetic Index candidates for every clause, scored by a learned reranker.

candidates (``index_match``: any billable FY2026 ICD-10-CM code the index reaches, not only codes
seen in training) -> one feature row per (mention, code) pair -> logistic-regression reranker ->
a code's probability is the best of its mentions' -> coding conventions (``conventions``) ->
codes at or above the decision threshold, each with the mention spans that support it.

Features (``FEATURES``): how much of the index path the clause matched (required and nonessential
words, depth, words of the main term, whether a "with" link reached outside the clause, the share
of the clause the match covers), the clause's section and assertion cues, the code's chapter
group (symptom R, factor Z, injury S/T), whether the index code had to be continued in the
Tabular, how often the note mentions the code, and two smoothed priors learned on training
notes: how often this code and this index path were right when proposed. The priors are computed
out of fold on the training notes (two folds) so the reranker does not learn from its own labels.

The reranker is a plain logistic regression stored as JSON (weights with feature names): anyone
can read what it learned, and loading it runs no pickled code.

Optional ``taught`` phrases (``models.taught``, learned from coders' reviews) add candidates the
index does not reach; without them the coder behaves exactly as before and saves the same JSON.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcoder.data.records import CodeSystem, Document, Span
from medcoder.models.conventions import CodePrediction, apply_conventions
from medcoder.models.index_match import IndexMatcher, Match
from medcoder.models.taught import TAUGHT_NODE, TaughtPhrases
from medcoder.nlp.mentions import CUE_KINDS, SECTIONS, Clause
from medcoder.terminology.coding_index import load_coding_index

log = logging.getLogger(__name__)

FEATURES: tuple[str, ...] = (
    "bias_one",
    "n_required",
    "n_optional",
    "depth",
    "main_words",
    "outside_clause",
    "coverage",
    "log_clause_words",
    *(f"cue_{k}" for k in CUE_KINDS),
    *(f"section_{s}" for s in SECTIONS),
    "chapter_R",
    "chapter_Z",
    "chapter_ST",
    "chapter_VY",
    "drug_table",
    "continued_in_tabular",
    "log_mentions_of_code",
    "code_prior",
    "code_seen",
    "path_prior",
    "path_seen",
)
PRIOR_WEIGHT = 2.0  # pseudo-counts pulling an unseen code's or path's precision to the global rate


@dataclass
class Priors:
    """Per-code and per-index-path (proposed, correct) counts from training notes."""

    code: dict[str, list[int]] = field(default_factory=dict)
    path: dict[int, list[int]] = field(default_factory=dict)
    base: float = 0.3

    def add(self, code: str, node: int, correct: bool) -> None:
        for table, key in ((self.code, code), (self.path, node)):
            row = table.setdefault(key, [0, 0])  # type: ignore[attr-defined]
            row[0] += 1
            row[1] += int(correct)

    def rate(self, table: dict, key: object) -> tuple[float, float]:
        proposed, correct = table.get(key, (0, 0))
        return (correct + PRIOR_WEIGHT * self.base) / (proposed + PRIOR_WEIGHT), math.log1p(proposed)

    def to_dict(self) -> dict:
        return {"base": self.base, "code": self.code, "path": {str(k): v for k, v in self.path.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> Priors:
        return cls({k: list(v) for k, v in d["code"].items()}, {int(k): list(v) for k, v in d["path"].items()},
                   float(d["base"]))  # fmt: skip


def _gold(doc: Document) -> set[str]:
    return {lab.code.upper() for lab in doc.labels if lab.system is CodeSystem.ICD10CM}


def feature_rows(matches: Sequence[Match], parts: Sequence[Clause], priors: Priors) -> np.ndarray:
    """The ``FEATURES`` matrix, one row per match."""
    counts: dict[str, int] = {}
    for m in matches:
        counts[m.code] = counts.get(m.code, 0) + 1
    rows = np.zeros((len(matches), len(FEATURES)), dtype=np.float64)
    col = {name: k for k, name in enumerate(FEATURES)}
    for r, m in enumerate(matches):
        c = parts[m.clause]
        x = rows[r]
        x[col["bias_one"]] = 1.0
        x[col["n_required"]] = m.n_required
        x[col["n_optional"]] = m.n_optional
        x[col["depth"]] = m.depth
        x[col["main_words"]] = m.main_words
        x[col["outside_clause"]] = float(m.outside)
        x[col["coverage"]] = m.n_required / max(1, len(c.words))
        x[col["log_clause_words"]] = math.log1p(len(c.words))
        for k in c.cues:
            x[col[f"cue_{k}"]] = 1.0
        x[col[f"section_{c.section}"]] = 1.0
        x[col["chapter_R"]] = float(m.code[0] == "R")
        x[col["chapter_Z"]] = float(m.code[0] == "Z")
        x[col["chapter_ST"]] = float(m.code[0] in "ST")
        x[col["chapter_VY"]] = float(m.code[0] in "VWXY")
        x[col["drug_table"]] = float(m.table == "drug")
        x[col["continued_in_tabular"]] = float(m.code != m.index_code.rstrip("-"))
        x[col["log_mentions_of_code"]] = math.log(counts[m.code])
        x[col["code_prior"]], x[col["code_seen"]] = priors.rate(priors.code, m.code)
        x[col["path_prior"]], x[col["path_seen"]] = priors.rate(priors.path, m.node)
    return rows


@dataclass
class LogisticReranker:
    """Standardised logistic regression; ``weights`` by feature name (JSON-serialisable)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, c: float = 1.0) -> LogisticReranker:
        from sklearn.linear_model import LogisticRegression  # scikit-learn only when training

        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=c, max_iter=2000, random_state=0)
        lr.fit((x - mean) / scale, y)
        return cls(mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]))

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, d: dict) -> LogisticReranker:
        if list(d["features"]) != list(FEATURES):
            raise ValueError(
                "reranker was trained with other features; retrain it with this medcoder version"
            )
        return cls(
            np.asarray(d["mean"]), np.asarray(d["scale"]), np.asarray(d["coef"]), float(d["intercept"])
        )


class IndexCoder:
    """Index candidates + reranker over the whole ICD-10-CM code set. ``fit`` learns the priors and
    reranker from coded notes; ``predict`` codes one note; ``save``/``load`` use one JSON file."""

    FILE = "index_coder.json"

    def __init__(self, matcher: IndexMatcher | None = None, taught: TaughtPhrases | None = None) -> None:
        self.matcher = matcher or IndexMatcher(load_coding_index())
        self.taught = taught
        self.priors = Priors()
        self.reranker: LogisticReranker | None = None
        self.threshold = 0.5
        self.metrics: dict = {}

    # training ---------------------------------------------------------------------------------
    def _matches(self, text: str) -> tuple[list[Clause], list[Match]]:
        """The note's clauses and candidates: index matches, then taught-phrase matches."""
        parts, ms = self.matcher.matches(text)
        if self.taught:
            ms = ms + self.taught.matches(text, parts, ms)
        return parts, ms

    def _path_text(self, m: Match) -> str:
        if m.node == TAUGHT_NODE:
            return f"coder-taught phrase > {self.matcher.cm.description(m.code)}"
        return self.matcher.ix.path_text(m.node)

    def _proposals(self, docs: Sequence[Document]) -> list[tuple[list[Clause], list[Match]]]:
        return [self._matches(d.text) for d in docs]

    def fit(self, docs: Sequence[Document], c: float = 1.0, folds: int = 2) -> IndexCoder:
        """Learn priors (all notes) and the reranker (on out-of-fold priors)."""
        props = self._proposals(docs)
        golds = [_gold(d) for d in docs]
        labels = [
            np.array([m.code in g for m in ms], dtype=np.int64)
            for (_, ms), g in zip(props, golds, strict=True)
        ]
        n_pos = sum(int(y.sum()) for y in labels)
        n_all = sum(len(y) for y in labels)
        base = n_pos / max(1, n_all)
        xs, ys = [], []
        for f in range(folds):
            prior = Priors(base=base)
            for i, ((_, ms), y) in enumerate(zip(props, labels, strict=True)):
                if i % folds != f:
                    for m, ok in zip(ms, y, strict=True):
                        prior.add(m.code, m.node, bool(ok))
            for i, ((parts, ms), y) in enumerate(zip(props, labels, strict=True)):
                if i % folds == f and ms:
                    xs.append(feature_rows(ms, parts, prior))
                    ys.append(y)
        self.reranker = LogisticReranker.fit(np.vstack(xs), np.concatenate(ys), c=c)
        self.priors = Priors(base=base)
        for (_, ms), y in zip(props, labels, strict=True):
            for m, ok in zip(ms, y, strict=True):
                self.priors.add(m.code, m.node, bool(ok))
        log.info("index coder: %d notes, %d proposals, %.2f correct", len(docs), n_all, base)
        return self

    # inference --------------------------------------------------------------------------------
    def score(self, text: str, conventions: bool = True) -> list[CodePrediction]:
        """Every proposed code with its probability, best first. With ``conventions`` the codes at
        or above the threshold are passed through ``apply_conventions`` (combination codes,
        most specific code, Z79 status, symptoms); codes below it are kept as they are."""
        parts, preds = self._score(text)
        if not conventions:
            return preds
        above = [p for p in preds if p.probability >= self.threshold]
        family = [(m.code, Span(m.start, m.end)) for m in self.matcher.family_matches(text, parts)]
        out = apply_conventions(text, parts, above, self.matcher.cm, family)
        kept = {c.code for c in out}
        out += [p for p in preds if p.probability < self.threshold and p.code not in kept]
        out.sort(key=lambda c: (-c.probability, c.code))
        return out

    def _score(self, text: str) -> tuple[list[Clause], list[CodePrediction]]:
        if self.reranker is None:
            raise RuntimeError("IndexCoder is not fitted: call fit() or load()")
        parts, ms = self._matches(text)
        if not ms:
            return parts, []
        p = self.reranker.predict(feature_rows(ms, parts, self.priors))
        best: dict[str, list[tuple[float, Match]]] = {}
        for prob, m in zip(p, ms, strict=True):
            best.setdefault(m.code, []).append((float(prob), m))
        out = []
        for code, items in best.items():
            items.sort(key=lambda t: -t[0])
            spans, seen = [], set()
            for prob, m in items:
                if (m.start, m.end) not in seen:
                    seen.add((m.start, m.end))
                    spans.append(Span(m.start, m.end, prob))
            out.append(CodePrediction(code, items[0][0], tuple(spans), self._path_text(items[0][1])))
        out.sort(key=lambda c: (-c.probability, c.code))
        return parts, out

    def predict(self, text: str, threshold: float | None = None) -> list[CodePrediction]:
        cut = self.threshold if threshold is None else threshold
        return [c for c in self.score(text) if c.probability >= cut]

    def tune_threshold(
        self, docs: Sequence[Document], grid: Iterable[float] = np.arange(0.05, 0.95, 0.01)
    ) -> float:
        """The threshold maximising micro-F1 on ``docs`` (a dev split, never test); sets ``self.threshold``.

        Scored before conventions (they depend on the threshold itself)."""
        scored = [(self.score(d.text, conventions=False), _gold(d)) for d in docs]
        best = (-1.0, 0.5)
        for t in grid:
            tp = fp = fn = 0
            for preds, gold in scored:
                got = {c.code for c in preds if c.probability >= t}
                tp += len(got & gold)
                fp += len(got - gold)
                fn += len(gold - got)
            f1 = 2 * tp / max(1, 2 * tp + fp + fn)
            if f1 > best[0]:
                best = (f1, float(t))
        self.threshold = round(best[1], 4)
        return self.threshold

    # persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        if self.reranker is None:
            raise RuntimeError("nothing to save: the IndexCoder is not fitted")
        out = {
            "kind": "index_coder",
            "index_source": self.matcher.ix.source,
            "threshold": self.threshold,
            "reranker": self.reranker.to_dict(),
            "priors": self.priors.to_dict(),
            "metrics": self.metrics,
        }
        if self.taught:
            out["taught"] = self.taught.to_dict()
        return out

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.FILE
        path.write_text(json.dumps(self.to_dict(), sort_keys=True) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path, matcher: IndexMatcher | None = None) -> IndexCoder:
        d = json.loads((Path(folder) / cls.FILE).read_text(encoding="utf-8"))
        coder = cls(matcher)
        coder.reranker = LogisticReranker.from_dict(d["reranker"])
        coder.priors = Priors.from_dict(d["priors"])
        coder.threshold = float(d["threshold"])
        coder.metrics = dict(d.get("metrics", {}))
        coder.taught = TaughtPhrases.from_dict(d["taught"]) if "taught" in d else None
        return coder
