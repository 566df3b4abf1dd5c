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
# # 04 Monitoring
#
# How has each model version behaved in production, window by window?
#
# 1. Every saved monitoring report as one table (one row per model version x window): charts,
#    drifted note descriptors, embedding drift, code drift, coder acceptance and overrides, denials
#    and the thresholds each window breached (`medcoder.monitoring.trends.load_summaries`).
# 2. Trends across windows per model version: override rate and embedding classifier AUC, with
#    the windows that breached a threshold marked.
# 3. The per-column drift p-values of each version's newest window.
# 4. One Evidently snapshot loaded back from the local Evidently workspace.
#
# Inputs: `monitoring/reports/<model-version>/<window>/` as written by `medcoder monitor report`
# or the DVC `monitor` stage (`medcoder.monitoring.run.run_monitor`), the thresholds of
# `configs/monitoring.yaml`, and the Evidently workspace `monitoring/workspace` when present.
# Reports hold codes, numbers and opaque ids only, never note text.

# %% tags=["parameters"]
# ruff: noqa: E402, B018  (notebook style: imports per cell, a bare expression displays a table)
import os
from pathlib import Path

REPORTS_DIR = Path(os.environ.get("MEDCODER_NB_MONITORING_REPORTS", "monitoring/reports"))
WORKSPACE_DIR = Path(os.environ.get("MEDCODER_NB_MONITORING_WORKSPACE", "monitoring/workspace"))
CONFIG_PATH = Path(os.environ.get("MEDCODER_NB_MONITORING_CONFIG", "configs/monitoring.yaml"))
RENDER_SNAPSHOT = os.environ.get("MEDCODER_NB_MONITORING_RENDER", "1") == "1"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from medcoder.monitoring.config import load_monitor_config
from medcoder.monitoring.trends import latest_p_values, load_summaries, workspace_snapshot

config = load_monitor_config(CONFIG_PATH)
reports = load_summaries(REPORTS_DIR, config.drift_p_value)
HAVE_REPORTS = not reports.empty
if HAVE_REPORTS:
    print(
        f"{len(reports)} windows of {reports['model_version'].nunique()} model version(s) under "
        f"{REPORTS_DIR}; drifted means p < {config.drift_p_value}"
    )
else:
    print(
        f"No monitoring reports under {REPORTS_DIR}. Make some with `dvc repro monitor` (simulated "
        "traffic for the default coder) or `medcoder monitor report --model-version NAME:ID "
        "--since 2026-12-01 --until 2026-12-02 --audit-db audit.db`, then run this notebook again."
    )

# %% [markdown]
# ## Windows
#
# `n_drifted_input` of `n_input_columns` note descriptors drifted (K-S / chi-square); the
# embedding AUC is the classifier telling window from reference embeddings apart (0.5: alike);
# rates are over decided suggested codes (coder feedback) and remitted lines (denials, NaN
# without a claims store).

# %%
if HAVE_REPORTS:
    shown = reports.drop(columns=["folder", "end"]).assign(breaches=reports["breaches"].map(", ".join))
    with pd.option_context("display.precision", 4, "display.max_columns", None):
        display(shown.set_index(["model_version", "window"]))

# %% [markdown]
# ## Trends per model version
#
# Red crosses mark windows that breached any threshold (see the table above for which); dashed
# lines are the limits of `configs/monitoring.yaml`. A window under `min_charts` charts never breaches.

# %%
if HAVE_REPORTS:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharex=True)
    panels = (
        ("override_rate", "override rate", config.quality.max_override_rate),
        ("embedding_auc", "embedding drift ROC AUC", config.input.max_embedding_auc),
    )
    for ax, (column, label, limit) in zip(axes, panels, strict=True):
        for version, rows in reports.groupby("model_version"):
            ax.plot(rows["start"], rows[column], marker="o", label=version)
        breached = reports[reports["breaches"].map(len) > 0]
        ax.scatter(breached["start"], breached[column], marker="x", s=80, color="red", zorder=3,
                   label="breach")  # fmt: skip
        ax.axhline(limit, linestyle="--", color="grey", linewidth=1)
        ax.set_title(label)
        ax.set_xlabel("window start (UTC)")
        ax.tick_params(axis="x", rotation=30)
    axes[0].legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Drift p-values of the newest window
#
# One column per model version; NaN means the column was not tested (constant or not recorded).

# %%
if HAVE_REPORTS:
    p_values = latest_p_values(reports, config.drift_p_value)
    p_table = p_values.pivot(index=["kind", "column"], columns="model_version", values="p_value")
    print(
        f"{int(p_values['drifted'].sum())} drifted column(s) over {p_values['model_version'].nunique()} version(s)"
    )
    display(p_table.map(lambda p: f"{p:.3g}"))

# %% [markdown]
# ## One Evidently snapshot, loaded back
#
# The drift snapshot of the newest window. `drift.json` beside each `summary.json` is Evidently's
# results export (`Snapshot.save_json`: the metric values), so it is read as plain JSON; the full
# snapshot, which `Snapshot.load` / `Snapshot.load_model` turn back into a renderable report, lives
# in the Evidently workspace (`medcoder monitor report --workspace monitoring/workspace`; the DVC
# `monitor` stage fills it). Browse every window there with:
#
# ```bash
# evidently ui --workspace monitoring/workspace
# ```
#
# Each report folder also has `drift.html`, `embeddings.html` and `outcomes.html` to open in a browser.

# %%
import json

snapshot = None
if HAVE_REPORTS:
    newest = reports.sort_values(["start", "model_version"]).iloc[-1]
    folder = Path(newest["folder"])
    snapshot = workspace_snapshot(WORKSPACE_DIR, newest["model_version"], newest["window"])
    if snapshot is not None:
        results = snapshot.dict()
        print(f"{newest['model_version']} {newest['window']}: snapshot loaded from {WORKSPACE_DIR}")
    elif (folder / "drift.json").is_file():
        results = json.loads((folder / "drift.json").read_text(encoding="utf-8"))
        print(f"no workspace snapshot in {WORKSPACE_DIR}; metric values from {folder / 'drift.json'}")
    else:
        results = {"metrics": []}
        print(f"{folder} has no drift report (a window without charts)")
    metrics = pd.DataFrame(
        [{"metric": m["metric_name"], "value": m["value"]} for m in results["metrics"]],
        columns=["metric", "value"],
    )
    display(metrics)
    print(f"HTML report: {folder / 'drift.html'}")

# %%
if snapshot is not None and RENDER_SNAPSHOT:
    display(snapshot)  # the Evidently report, rendered inline
