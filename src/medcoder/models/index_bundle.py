"""A model directory holding the index coder, loaded with the interface the coding pipeline uses.

Layout: ``index_coder.json`` (reranker, priors, threshold; see ``models.index_coder``),
``versions.json``, ``metrics.json``, ``README.md``. The label space is every billable FY2026
ICD-10-CM code (74,719 columns): the coder may suggest any of them, not only codes seen in
training. Probabilities are dense vectors over that space (zeros where nothing was proposed), so
calibration, thresholds, alternatives and routing see the same shapes as for a neural model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.data.records import CodeSystem, Span
from medcoder.metrics.thresholds import DecisionThresholds
from medcoder.models.base import Label, LabelSpace
from medcoder.models.bundle import BundleInfo
from medcoder.models.descriptions import code_set_versions
from medcoder.models.index_coder import IndexCoder
from medcoder.routing.chart import FILE as CHART_FILE
from medcoder.routing.chart import ChartCertificate
from medcoder.terminology.icd10cm import get_icd10cm

MARKER = IndexCoder.FILE


@dataclass(frozen=True)
class IndexScored:
    """One note's index-coder output in label-space columns: probabilities and evidence spans."""

    probs: np.ndarray
    spans: dict[int, list[Span]]
    paths: dict[int, str]
    attention: None = None


class IndexScorer:
    """Adapts ``IndexCoder`` to column vectors over all billable ICD-10-CM codes."""

    def __init__(self, coder: IndexCoder) -> None:
        self.coder = coder
        codes = get_icd10cm().billable_codes()
        self.label_space = LabelSpace(Label(CodeSystem.ICD10CM, c) for c in codes)
        self._column = {c: j for j, c in enumerate(codes)}
        cm = get_icd10cm()
        self.label_descriptions = [cm.description(c) for c in codes]

    def score_texts(self, texts: Sequence[str]) -> list[IndexScored]:
        out = []
        for text in texts:
            probs = np.zeros(len(self.label_space), dtype=np.float32)
            spans: dict[int, list[Span]] = {}
            paths: dict[int, str] = {}
            for pred in self.coder.score(text):
                j = self._column.get(pred.code)
                if j is None:
                    continue
                probs[j] = pred.probability
                spans[j] = list(pred.spans)
                paths[j] = pred.index_path
            out.append(IndexScored(probs, spans, paths))
        return out

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([s.probs for s in self.score_texts(texts)])


def save_index_bundle(coder: IndexCoder, out: str | Path, metrics: Mapping[str, Any] | None = None) -> Path:
    """Write a fitted index coder as a model directory."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    coder.save(out)
    versions = {
        "model_name": "medcoder-index-coder",
        "model_version": None,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "medcoder": pkg_version("medcoder"),
        "code_sets": code_set_versions(),
        "kind": "index_coder",
    }
    (out / "versions.json").write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
    (out / "metrics.json").write_text(json.dumps(dict(metrics or {}), indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(
        "# medcoder index coder\n\nAlphabetic Index candidates over all billable ICD-10-CM FY2026 codes, "
        "scored by a logistic reranker (index_coder.json). Model card: model_card.md (written by `medcoder certify-charts`, with the chart routing it certifies: chart_routing.json).\n",
        encoding="utf-8",
    )
    return out


class IndexBundle(BundleInfo):
    """A loaded index-coder directory, with the attributes ``CodingPipeline`` reads."""

    def __init__(
        self, coder: IndexCoder, path: Path, versions: Mapping[str, Any], metrics: Mapping[str, Any]
    ):
        self.path = Path(path)
        self.scorer = IndexScorer(coder)
        self.versions = dict(versions)
        self.metrics = dict(metrics)
        self.routing = None
        self.chart_routing: ChartCertificate | None = (
            ChartCertificate.load(self.path) if (self.path / CHART_FILE).exists() else None
        )
        self.thresholds = DecisionThresholds(global_threshold=coder.threshold)
        self.threshold_vector = np.full(len(self.scorer.label_space), coder.threshold, dtype=np.float32)

    @classmethod
    def load(cls, path: str | Path) -> IndexBundle:
        path = Path(path)
        if not (path / MARKER).exists():
            raise FileNotFoundError(f"{path} is not an index-coder directory: no {MARKER}")
        read = lambda name: json.loads((path / name).read_text(encoding="utf-8"))  # noqa: E731
        return cls(IndexCoder.load(path), path, read("versions.json"), read("metrics.json"))

    default_name = "medcoder-index-coder"

    def predict_scores(self, docs: Sequence[Any]) -> np.ndarray:
        return self.scorer.predict_scores([d if isinstance(d, str) else d.text for d in docs])
