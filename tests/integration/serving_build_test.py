"""`medcoder package` then `bentoml build` with serving/bentofile.yaml: the Bento references that exact model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from medcoder.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def test_package_then_bentoml_build(tmp_path_factory) -> None:
    from medcoder.training.testing import tiny_model_dir

    model = tiny_model_dir(tmp_path_factory.getbasetemp())
    work = tmp_path_factory.mktemp("bento_build")
    ctx = work / "serving"
    ctx.mkdir()
    for name in ("service.py", "bentofile.yaml"):
        shutil.copy(REPO_ROOT / "serving" / name, ctx / name)
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(ctx / "wheels"), str(REPO_ROOT)]
    subprocess.run(pip, check=True, capture_output=True, timeout=180)
    env = {**os.environ, "BENTOML_HOME": str(work / "bentoml"), "BENTOML_DO_NOT_TRACK": "True"}
    cli = [sys.executable, "-m", "medcoder.serving.cli"]
    out = work / "packaged.json"
    subprocess.run([*cli, "package", str(model), "--out", str(out)], check=True, env=env, capture_output=True,
                   timeout=180)  # fmt: skip
    tag = yaml.safe_load(out.read_text())["tag"]
    assert tag.startswith("medcoder-laat:sha-")
    bentoml = Path(sys.executable).with_name("bentoml")
    done = subprocess.run([str(bentoml), "build", ".", "-f", "bentofile.yaml"], cwd=ctx,
                          env={**env, "MEDCODER_BENTO_MODEL": tag}, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (bento_yaml,) = (work / "bentoml" / "bentos" / "medcoder").glob("*/bento.yaml")
    info = yaml.safe_load(bento_yaml.read_text())
    model_tags = [m["tag"] for svc in info["services"] for m in svc.get("models", [])]
    assert model_tags == [tag]
