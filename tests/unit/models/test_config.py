"""Training configs: shipped YAMLs validate, unknown keys fail with their name, overrides nest."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from medcoder.models.config import TINY_CONFIG, load_config

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "model"


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_shipped_configs_validate(name):
    cfg = load_config(CONFIGS / name)
    assert cfg.model in name or name.startswith("codiesp_")


def test_unknown_key_is_named():
    with pytest.raises(ValidationError, match="leraning_rate"):
        load_config({"optim": {"leraning_rate": 0.1}})


def test_overrides_use_double_underscores():
    cfg = load_config(TINY_CONFIG, optim__lr=0.5, model="plm_icd")
    assert cfg.optim.lr == 0.5 and cfg.model == "plm_icd" and cfg.laat.emb_dim == 32


def test_params_section_becomes_overrides(tmp_path):
    from medcoder.training.cli import _params_overrides

    path = tmp_path / "params.yaml"
    path.write_text("train:\n  optim: {lr: 0.003}\n  labels: {systems: [ICD-10-CM]}\nother: {x: 1}\n")
    over = _params_overrides(path, "train")
    assert over == {"optim__lr": 0.003, "labels__systems": ["ICD-10-CM"]}
    assert load_config(TINY_CONFIG, **over).optim.lr == 0.003
