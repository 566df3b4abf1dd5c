"""`medcoder package`: explicit version tag, metadata, idempotence, refusal to overwrite."""

from __future__ import annotations

import json
import shutil

import pytest

from medcoder.models.bundle import tree_digest
from medcoder.serving.packaging import package_model, tag_part

pytestmark = pytest.mark.slow


@pytest.fixture
def bentoml_home(tmp_path, monkeypatch):
    import bentoml
    from bentoml._internal.configuration.containers import BentoMLContainer

    home = tmp_path / "bentoml"
    monkeypatch.setenv("BENTOML_HOME", str(home))
    BentoMLContainer.bentoml_home.set(str(home))
    BentoMLContainer.model_store.reset()
    yield home
    BentoMLContainer.model_store.reset()
    assert bentoml  # imported for its side effects on the container


def test_package_uses_the_content_hash_as_version(tiny_model, bentoml_home, tmp_path) -> None:
    import bentoml

    digest = tree_digest(tiny_model)[:12]
    out = package_model(tiny_model)
    assert out.tag == f"medcoder-laat:sha-{digest}"
    assert out.created
    stored = bentoml.models.get(out.tag)
    meta = stored.info.metadata
    thresholds = json.loads((tiny_model / "thresholds.json").read_text())
    assert meta["global_threshold"] == pytest.approx(thresholds["global_threshold"])
    assert meta["per_label_thresholds"] == len(thresholds["per_label"])
    assert "ICD-10-CM" in meta["code_sets"] and "icd10cm-conventions" in meta["rule_packs"]
    from pathlib import Path

    assert Path(stored.path_of("labels.json")).read_bytes() == (tiny_model / "labels.json").read_bytes()
    assert Path(stored.path_of("weights.safetensors")).exists()
    assert "latest" not in out.tag

    again = package_model(tiny_model)
    assert (again.tag, again.created) == (out.tag, False)

    changed = tmp_path / "changed"
    shutil.copytree(tiny_model, changed)
    (changed / "thresholds.json").write_text(json.dumps({"global_threshold": 0.9, "per_label": {}}))
    other = package_model(changed)  # other files: another identity, packaged next to the first
    assert other.created and other.tag != out.tag and other.tag.startswith("medcoder-laat:sha-")


def _register(src, dst, version: str, threshold: float):
    shutil.copytree(src, dst)
    versions = json.loads((dst / "versions.json").read_text())
    versions["model_version"] = version
    (dst / "versions.json").write_text(json.dumps(versions))
    (dst / "thresholds.json").write_text(json.dumps({"global_threshold": threshold, "per_label": {}}))
    return dst


def test_registered_version_and_content_hash_make_the_tag(tiny_model, bentoml_home, tmp_path) -> None:
    first = _register(tiny_model, tmp_path / "a", "7", 0.4)
    tag = package_model(first, name="My Coder").tag
    assert tag == f"my-coder:7-{tree_digest(first)[:12]}"
    # A second checkout's MLflow registry also starts numbering at 1 (here: 7 again) for another model:
    second = _register(tiny_model, tmp_path / "b", "7", 0.6)
    again = package_model(second, name="My Coder")
    assert again.created and again.tag.startswith("my-coder:7-") and again.tag != tag


def test_same_tag_with_other_files_is_refused(tiny_model, bentoml_home, tmp_path, monkeypatch) -> None:
    from medcoder.serving import packaging

    real = packaging.model_metadata
    monkeypatch.setattr(packaging, "model_metadata", lambda d, s: {**real(d, s), "model_version": "fixed"})
    package_model(tiny_model)
    changed = _register(tiny_model, tmp_path / "c", "1", 0.9)
    with pytest.raises(ValueError, match="different files"):
        package_model(changed)


def test_tag_part() -> None:
    assert tag_part("Medcoder LAAT/v2") == "medcoder-laat-v2"
    with pytest.raises(ValueError):
        tag_part("///")
