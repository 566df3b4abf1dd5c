"""`medcoder package`: explicit version tag, metadata, idempotence, refusal to overwrite."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

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


def test_package_uses_the_weights_hash_as_version(tiny_model, bentoml_home, tmp_path) -> None:
    import bentoml

    digest = hashlib.sha256((tiny_model / "weights.safetensors").read_bytes()).hexdigest()[:12]
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
    with pytest.raises(ValueError, match="different files"):
        package_model(changed)


def test_registered_version_wins(tiny_model, bentoml_home, tmp_path) -> None:
    copy = tmp_path / "registered"
    shutil.copytree(tiny_model, copy)
    versions = json.loads((copy / "versions.json").read_text())
    versions["model_version"] = "7"
    (copy / "versions.json").write_text(json.dumps(versions))
    assert package_model(copy, name="My Coder").tag == "my-coder:7"


def test_tag_part() -> None:
    assert tag_part("Medcoder LAAT/v2") == "medcoder-laat-v2"
    with pytest.raises(ValueError):
        tag_part("///")
