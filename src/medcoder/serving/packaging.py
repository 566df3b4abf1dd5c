"""``medcoder package``: a model directory (or an MLflow registered version) -> a BentoML model.

The BentoML model gets an explicit version, never ``latest``: the model's identity
(``medcoder.models.bundle.model_identity``: registered MLflow version, if any, plus the first 12 hex
of the directory's content hash), so the same files always get the same tag and two different
models never share one, whichever checkout's MLflow registry numbered them. Metadata carries what an operator or auditor needs
without opening the files: model name/version, code-set versions, rule-pack versions, decision
thresholds (global and how many per-label), label count and the source it came from.
Packaging the same tag twice with identical files is a no-op; with different files it fails.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcoder.models.bundle import tree_digest
from medcoder.models.loading import is_index_model, load_model
from medcoder.rules import RuleSet

log = logging.getLogger(__name__)

_TAG_PART = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True)
class PackagedModel:
    tag: str
    path: Path
    metadata: dict[str, Any]
    created: bool


def tag_part(value: str) -> str:
    """A BentoML tag component: lower case, ``[a-z0-9_.-]``."""
    cleaned = _TAG_PART.sub("-", value.lower()).strip("-.")
    if not cleaned:
        raise ValueError(f"cannot make a BentoML tag part from {value!r}")
    return cleaned[:63]


def model_metadata(model_dir: Path, source: str) -> dict[str, Any]:
    """Metadata stored with the BentoML model (all JSON-simple values)."""
    bundle = load_model(model_dir)
    versions = bundle.versions
    return {
        "model_name": bundle.name,
        "model_version": bundle.identity,
        "code_sets": bundle.code_sets,
        "rule_packs": RuleSet.default(example_packs=True).versions(),
        "global_threshold": float(bundle.thresholds.global_threshold),
        "per_label_thresholds": len(bundle.thresholds.per_label),
        "n_labels": len(bundle.label_space),
        "medcoder": str(versions.get("medcoder", "")),
        "git_sha": str(versions.get("git_sha", "")),
        "source": source,
        "files_sha256": tree_digest(model_dir),
    }


def resolve_source(source: str, workdir: Path) -> Path:
    """A model directory path, or ``models:/<name>/<version>`` downloaded from the MLflow registry."""
    if source.startswith("models:/") or source.startswith("runs:/"):
        import mlflow

        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(workdir)))
        hits = [p.parent for p in local.rglob("weights.safetensors")]
        if len(hits) != 1:
            raise FileNotFoundError(
                f"{source}: expected one model directory in the artifacts, found {len(hits)}"
            )
        return hits[0]
    path = Path(source)
    if not (path / "weights.safetensors").exists() and not is_index_model(path):
        raise FileNotFoundError(
            f"{path} is not a medcoder model directory (no weights.safetensors or index_coder.json)"
        )
    return path


def package_model(source: str | Path, name: str | None = None) -> PackagedModel:
    """Copy the model directory into the BentoML model store as ``<name>:<version>`` (BENTOML_HOME)."""
    import bentoml
    from bentoml.exceptions import NotFound

    with tempfile.TemporaryDirectory(prefix="medcoder-package-") as tmp:
        model_dir = resolve_source(str(source), Path(tmp))
        meta = model_metadata(model_dir, str(source))
        tag = f"{tag_part(name or meta['model_name'])}:{tag_part(meta['model_version'])}"
        try:
            existing = bentoml.models.get(tag)
        except NotFound:
            existing = None
        if existing is not None:
            if existing.info.metadata.get("files_sha256") != meta["files_sha256"]:
                raise ValueError(f"BentoML model {tag} exists with different files; refusing to overwrite it")
            log.info("BentoML model %s already packaged", tag)
            return PackagedModel(tag, Path(existing.path), dict(existing.info.metadata), created=False)
        labels = {
            "model_name": tag.split(":")[0],
            "model_version": tag.split(":")[1],
            "framework": "medcoder",
        }
        with bentoml.models.create(tag, labels=labels, metadata=meta, module="medcoder.serving") as bm:
            shutil.copytree(model_dir, bm.path, dirs_exist_ok=True)
        stored = bentoml.models.get(tag)
        log.info("packaged %s -> BentoML model %s", source, tag)
        return PackagedModel(str(stored.tag), Path(stored.path), meta, created=True)
