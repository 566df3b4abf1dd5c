"""ModelBundle: the one owner of a model directory, everything needed to score, route and serve it.

Layout::

    weights.safetensors   net state dict
    config.yaml           resolved TrainConfig
    labels.json           [{key, system, code, description}] in column order
    tokenizer.json | tokenizer/   WordPiece (LAAT) or the encoder's tokenizer (PLM-ICD)
    encoder_config.json   PLM-ICD only: the encoder architecture (weights are in weights.safetensors)
    thresholds.json       DecisionThresholds (global + per-label), tuned on dev
    versions.json         model name/version (MLflow registry), code-set releases, medcoder version
    metrics.json          dev metrics and speed figures
    README.md             model-card stub pointing at the full card
    calibrators.json, router.safetensors, router.json, routing.json
                          after ``medcoder calibrate``: calibrators, router, certified policy

``save_bundle`` writes the model part (training), ``save_routing`` the routing part (calibration);
``ModelBundle.load`` reads both back into typed parts. Nothing else reads these files.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from safetensors.torch import load_file, save_file

from medcoder.data.records import CodeSystem, Document
from medcoder.metrics.thresholds import DecisionThresholds
from medcoder.models.base import Label, LabelSpace
from medcoder.models.config import TrainConfig, load_config
from medcoder.models.descriptions import code_set_versions
from medcoder.models.neural import NeuralScorer, build_net
from medcoder.models.text import ChunkedText, WordPieceText
from medcoder.routing.calibration import Calibrators
from medcoder.routing.policy import RoutingPolicy
from medcoder.routing.router import Router

log = logging.getLogger(__name__)

FILES = (
    "weights.safetensors",
    "config.yaml",
    "labels.json",
    "thresholds.json",
    "versions.json",
    "metrics.json",
)
ROUTING_FILES = ("calibrators.json", "router.safetensors", "router.json", "routing.json")


@dataclass(frozen=True, slots=True)
class CodeScore:
    """One suggested code with its model probability (calibration comes later in routing)."""

    system: CodeSystem
    code: str
    description: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system.value,
            "code": self.code,
            "description": self.description,
            "probability": round(self.probability, 6),
        }


@dataclass(frozen=True)
class RoutingParts:
    """What ``medcoder calibrate`` adds: per-code calibrators, the router and its certified policy.

    ``use_rules``: the router was fitted with rule-finding features, so serving must feed them too.
    ``summary`` is ``routing.json`` as written (guarantee evidence, split sizes, calibration figures).
    """

    calibrators: Calibrators
    router: Router
    policy: RoutingPolicy
    use_rules: bool
    summary: dict[str, Any]


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def tree_digest(folder: str | Path) -> str:
    """SHA-256 over relative paths and contents of every file in ``folder`` (sorted): the content
    identity of a model directory (weights, thresholds, calibrators, router: all of it)."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(folder)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def read_versions(path: str | Path) -> dict[str, Any]:
    """``versions.json`` of a model directory, without loading the weights."""
    return dict(_read_json(Path(path) / "versions.json"))


def model_identity(path: str | Path, versions: Mapping[str, Any] | None = None) -> str:
    """A model's unique version: ``<registered version>-<sha12>`` or ``sha-<sha12>`` of its files.

    The registered version alone is not unique: each checkout's local MLflow registry starts at 1.
    The content hash (:func:`tree_digest`) makes two different directories with the same registered
    number two identities, and the same files the same identity on every machine.
    """
    versions = read_versions(path) if versions is None else versions
    digest = tree_digest(path)[:12]
    registered = versions.get("model_version")
    return f"{registered}-{digest}" if registered else f"sha-{digest}"


def save_bundle(
    scorer: NeuralScorer,
    out: str | Path,
    thresholds: DecisionThresholds | Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    versions: Mapping[str, Any] | None = None,
) -> Path:
    """Write a fitted scorer to ``out`` (created; existing files are overwritten). Returns the folder."""
    if scorer.net is None or scorer.text is None:
        raise ValueError("save_bundle needs a fitted model")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in scorer.net.state_dict().items()}
    save_file(state, str(out / "weights.safetensors"))
    (out / "config.yaml").write_text(
        yaml.safe_dump(scorer.config.resolved(), sort_keys=False), encoding="utf-8"
    )
    _write_json(
        out / "labels.json",
        [
            {"key": lab.key, "system": lab.system.value, "code": lab.code, "description": desc}
            for lab, desc in zip(scorer.label_space.labels, scorer.label_descriptions, strict=True)
        ],
    )
    scorer.text.save(out)
    if isinstance(scorer.text, ChunkedText):
        _write_json(out / "encoder_config.json", scorer.net.encoder.config.to_dict())
    if thresholds is None:
        thresholds = DecisionThresholds(global_threshold=0.5)
    elif not isinstance(thresholds, DecisionThresholds):
        thresholds = DecisionThresholds.from_dict(thresholds)
    _write_json(out / "thresholds.json", thresholds.to_dict())
    base_versions = {
        "model_name": f"medcoder-{scorer.config.model}",
        "model_version": None,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "medcoder": pkg_version("medcoder"),
        "code_sets": code_set_versions(),
        "n_labels": len(scorer.label_space),
    }
    _write_json(out / "versions.json", {**base_versions, **dict(versions or {})})
    _write_json(out / "metrics.json", dict(metrics or {}))
    (out / "README.md").write_text(
        f"# medcoder {scorer.config.model} model\n\n"
        f"{len(scorer.label_space)} labels. Files: {', '.join(FILES)} and the tokenizer.\n"
        "The full model card is generated by `medcoder.evaluation` into `eval/reports/model_cards/`;\n"
        "metrics.json holds the dev figures it starts from.\n",
        encoding="utf-8",
    )
    return out


def save_routing(
    path: str | Path, calibrators: Calibrators, router: Router, summary: Mapping[str, Any]
) -> list[Path]:
    """Write the routing part into the model directory ``path``; returns the files written."""
    path = Path(path)
    calibrators.save(path / "calibrators.json")
    router.save(path)
    (path / "routing.json").write_text(
        json.dumps(dict(summary), indent=2, default=float) + "\n", encoding="utf-8"
    )
    return [path / f for f in ROUTING_FILES]


def load_routing(path: str | Path) -> RoutingParts:
    """The routing part saved by ``save_routing``; FileNotFoundError says which command writes it."""
    path = Path(path)
    if not (path / "routing.json").exists():
        raise FileNotFoundError(
            f"{path} has no routing.json: run `medcoder calibrate --model {path} ...` first"
        )
    summary = _read_json(path / "routing.json")
    return RoutingParts(
        calibrators=Calibrators.load(path / "calibrators.json"),
        router=Router.load(path),
        policy=RoutingPolicy.from_dict(summary["policy"]),
        use_rules=bool(summary.get("use_rules")),
        summary=summary,
    )


def _load_scorer(path: Path, config: TrainConfig, labels: list[dict[str, Any]]) -> NeuralScorer:
    scorer = NeuralScorer(config)
    scorer.label_space = LabelSpace.from_keys(row["key"] for row in labels)
    scorer.label_descriptions = [row["description"] for row in labels]
    state = load_file(str(path / "weights.safetensors"))
    if config.model == "laat":
        scorer.text = WordPieceText.load(path, config.laat.max_length)
        scorer.net = build_net(config, scorer.text, len(labels))
        scorer.net.desc_ids, scorer.net.desc_mask = state["desc_ids"], state["desc_mask"]
    else:
        scorer.text = ChunkedText.load(path / "tokenizer", config.plm.chunk_size, config.plm.max_chunks)
        enc_cfg = _read_json(path / "encoder_config.json")
        scorer.net = build_net(config, scorer.text, len(labels), encoder_config=enc_cfg)
    scorer.net.load_state_dict(state)
    scorer.net.eval()
    return scorer


class BundleInfo:
    """What every loaded model directory answers the same way, from ``versions.json`` and its files:
    name, unique identity, code-set releases, label space. Subclasses set ``path``, ``versions``,
    ``scorer`` (with ``label_space`` and ``label_descriptions``) and ``default_name``."""

    path: Path
    versions: dict[str, Any]
    scorer: Any

    @property
    def default_name(self) -> str:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return str(self.versions.get("model_name") or self.default_name)

    @functools.cached_property
    def identity(self) -> str:
        """Unique version string (registered version + content hash); see :func:`model_identity`."""
        return model_identity(self.path, self.versions)

    @property
    def code_sets(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.versions.get("code_sets") or {}).items()}

    @property
    def card_path(self) -> Path:
        """The model-card stub shipped in the directory."""
        return self.path / "README.md"

    @property
    def label_space(self) -> LabelSpace:
        return self.scorer.label_space

    @property
    def label_descriptions(self) -> list[str]:
        return self.scorer.label_descriptions


class ModelBundle(BundleInfo):
    """A loaded model directory: scorer, label space, thresholds, versions, metrics, routing.

    ``predict_scores`` gives raw probabilities; ``suggest`` the codes above their decision
    thresholds; ``routing`` is None until the model has been calibrated.
    """

    def __init__(
        self,
        scorer: NeuralScorer,
        thresholds: DecisionThresholds,
        versions: Mapping[str, Any],
        metrics: Mapping[str, Any],
        path: Path,
        routing: RoutingParts | None = None,
    ) -> None:
        self.scorer, self.path, self.routing = scorer, Path(path), routing
        self.thresholds = thresholds
        self.versions: dict[str, Any] = dict(versions)
        self.metrics: dict[str, Any] = dict(metrics)
        self.threshold_vector = thresholds.vector(scorer.label_space.keys()).astype(np.float32)

    @classmethod
    def load(cls, path: str | Path) -> ModelBundle:
        """Rebuild the model saved by ``save_bundle`` (no network, no pretrained download)."""
        path = Path(path)
        missing = [f for f in FILES if not (path / f).exists()]
        if missing:
            raise FileNotFoundError(f"{path} is not a medcoder model directory: missing {', '.join(missing)}")
        config = load_config(path / "config.yaml")
        scorer = _load_scorer(path, config, _read_json(path / "labels.json"))
        routing = load_routing(path) if (path / "routing.json").exists() else None
        return cls(
            scorer,
            DecisionThresholds.from_dict(_read_json(path / "thresholds.json")),
            _read_json(path / "versions.json"),
            _read_json(path / "metrics.json"),
            path,
            routing,
        )

    @property
    def default_name(self) -> str:
        return f"medcoder-{self.scorer.config.model}"

    # scoring ----------------------------------------------------------------------------------
    def add_labels(self, labels: Sequence[Label], descriptions: Mapping[str, str] | None = None) -> None:
        """Add codes scored from their descriptions alone (zero-shot), at the global threshold."""
        self.scorer.descriptions.update(descriptions or {})
        self.scorer.add_labels(labels)
        extra = len(self.scorer.label_space) - len(self.threshold_vector)
        glob = float(self.thresholds.global_threshold)
        self.threshold_vector = np.concatenate(
            [self.threshold_vector, np.full(extra, glob, dtype=np.float32)]
        )

    def predict_scores(self, docs: Sequence[Document] | Sequence[str]) -> np.ndarray:
        """Probabilities ``[len(docs), n_labels]`` for Documents or raw texts."""
        return self.scorer.predict_scores(docs)

    def suggest(
        self, text: str | Document, top_k: int | None = None, min_probability: float | None = None
    ) -> list[CodeScore]:
        """Codes whose probability passes their threshold (or ``min_probability``), best first; ``top_k`` caps it."""
        scores = self.predict_scores([text])[0]
        cut = self.threshold_vector if min_probability is None else np.full_like(scores, min_probability)
        idx = [int(j) for j in np.argsort(-scores, kind="stable") if scores[j] >= cut[j]]
        if top_k is not None:
            idx = idx[:top_k]
        labs, descs = self.scorer.label_space.labels, self.scorer.label_descriptions
        return [CodeScore(labs[j].system, labs[j].code, descs[j], float(scores[j])) for j in idx]
