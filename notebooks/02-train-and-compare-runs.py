# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 Train and compare runs from MLflow
#
# Trains two small variants of one config with `medcoder.training.pipeline.train_model` (the
# function behind `medcoder train` and the DVC `train` stage), logging both to the MLflow store,
# then reads back every run of the experiment with `mlflow.search_runs` and compares them in a
# table and a plot. With `MEDCODER_NB_TRAIN=0` it only reads the runs already in the store
# (for example those of `dvc exp run`).
#
# Inputs: the DVC `prepare` output (`data/synthetic`) and the MLflow store `training/mlflow`
# (`sqlite:///training/mlflow/mlflow.db`, see `medcoder.training.tracking`).

# %% tags=["parameters"]
# ruff: noqa: E402, B018  (notebook style: imports per cell, a bare expression displays a table)
import os
from pathlib import Path

from medcoder.models.config import TINY_CONFIG

DATA_DIR = Path(os.environ.get("MEDCODER_NB_DATA", "data/synthetic"))
MLFLOW_DIR = Path(os.environ.get("MEDCODER_NB_MLFLOW", "training/mlflow"))
OUT_DIR = Path(os.environ.get("MEDCODER_NB_OUT", "training/out/notebook_runs"))
CONFIG = Path(os.environ.get("MEDCODER_NB_CONFIG", str(TINY_CONFIG)))
EXPERIMENT = os.environ.get("MEDCODER_NB_EXPERIMENT", "medcoder-notebook")
TRAIN = os.environ.get("MEDCODER_NB_TRAIN", "1") == "1"
MAX_EPOCHS = int(os.environ.get("MEDCODER_NB_MAX_EPOCHS", "10"))
# The two variants differ in learning rate and hidden size; everything else comes from CONFIG.
VARIANTS = {
    "lr0.01-h32": {"optim__lr": 0.01, "laat__hidden": 32},
    "lr0.003-h16": {"optim__lr": 0.003, "laat__hidden": 16},
}
METRICS = ("dev_map", "dev_matrix_map", "dev_micro_f1", "dev_macro_f1", "train_docs_per_s")

# %%
import logging

import matplotlib.pyplot as plt
import mlflow
import pandas as pd

from medcoder.data.io import read_documents
from medcoder.models.config import TrackingParams, load_config
from medcoder.training.pipeline import train_model
from medcoder.training.tracking import tracking_uri

for name in ("lightning", "lightning.pytorch", "lightning.pytorch.utilities.rank_zero"):
    logging.getLogger(name).setLevel(logging.WARNING)
tracking = TrackingParams(enabled=True, dir=str(MLFLOW_DIR), experiment=EXPERIMENT)
uri = tracking_uri(tracking)
mlflow.set_tracking_uri(uri)
print("MLflow store:", uri)

# %% [markdown]
# ## Train two variants
#
# Each run logs its resolved config as params, the dev metrics, lineage tags (git commit, data
# hashes, code-set releases) and registers the model directory. The run is named after its
# variant so the comparison below is readable.

# %%
if TRAIN:
    train_docs = read_documents(DATA_DIR / "train.jsonl")
    dev_docs = read_documents(DATA_DIR / "dev.jsonl")
    client = mlflow.MlflowClient(uri)
    for name, overrides in VARIANTS.items():
        config = load_config(
            CONFIG,
            optim__max_epochs=MAX_EPOCHS,
            tracking=tracking.model_dump(mode="json"),
            **overrides,
        )
        result = train_model(config, train_docs, dev_docs, OUT_DIR / name, track=True)
        client.set_tag(result.tracking["run_id"], "mlflow.runName", name)
        print(f"{name}: dev_map={result.metrics['dev_map']:.3f} run={result.tracking['run_id']}")

# %% [markdown]
# ## Compare the runs in MLflow
#
# `mlflow.search_runs` returns one row per run with `params.*`, `metrics.*` and `tags.*`
# columns; keep the knobs that differ between variants and the headline dev metrics.

# %%
runs = mlflow.search_runs(experiment_names=[EXPERIMENT], order_by=["attributes.start_time ASC"])
if runs.empty:
    raise RuntimeError(f"no runs in experiment {EXPERIMENT!r} at {uri}: set MEDCODER_NB_TRAIN=1")
param_cols = [c for c in ("params.optim.lr", "params.laat.hidden", "params.optim.max_epochs") if c in runs]
metric_cols = [f"metrics.{m}" for m in METRICS if f"metrics.{m}" in runs]
names = runs.get("tags.mlflow.runName", runs["run_id"]).fillna(runs["run_id"].str[:8])
# A rerun of the notebook adds runs with the same names: tell them apart by run id.
runs["run"] = names.where(~names.duplicated(keep=False), names + "@" + runs["run_id"].str[:6])
comparison = runs.set_index("run")[["run_id", *param_cols, *metric_cols]]
comparison.columns = [c.split(".", 1)[1] if "." in c else c for c in comparison.columns]
comparison.round(4)

# %%
plotted = [m for m in ("dev_map", "dev_matrix_map", "dev_micro_f1", "dev_macro_f1") if m in comparison]
ax = comparison[plotted].plot.bar(figsize=(7, 3.5), rot=0)
ax.set_ylabel("dev score")
ax.set_ylim(0, 1)
ax.set_title(f"Runs in MLflow experiment {EXPERIMENT!r}")
ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Best run
#
# Pick by dev MAP (the metric threshold tuning does not touch). Its model directory is registered
# in the MLflow model registry; `medcoder calibrate --model <dir>` continues the pipeline from it.

# %%
best = comparison["dev_map"].astype(float).idxmax()
print(f"best run by dev_map: {best} ({float(comparison.loc[best, 'dev_map']):.3f})")
pd.Series({k: v for k, v in comparison.loc[best].items()}, name=best)
