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
# # 03 Error analysis
#
# Where does a trained model go wrong on held-out documents?
#
# 1. False positives and misses by label-frequency bucket (codes frequent, few-shot or unseen in
#    train): rare codes are where coders will have to step in.
# 2. Confusions within an ICD-10-CM category: the model predicts a sibling (`E11.9` for `E11.65`),
#    the most common and most fixable error in clinical coding.
# 3. A few example snippets around the gold evidence of those confusions (synthetic data only).
#
# Inputs: the DVC outputs `training/out/calibrated` (the model directory `medcoder evaluate`
# scores), `data/synthetic/{train,test}.jsonl` and, when present, `eval/out/metrics.json`.
# Decisions use the per-label thresholds stored in the model directory (tuned on dev).

# %% tags=["parameters"]
# ruff: noqa: E402, B018  (notebook style: imports per cell, a bare expression displays a table)
import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("MEDCODER_NB_DATA", "data/synthetic"))
MODEL_DIR = Path(os.environ.get("MEDCODER_NB_MODEL", "training/out/calibrated"))
METRICS_PATH = Path(os.environ.get("MEDCODER_NB_METRICS", "eval/out/metrics.json"))
EVAL_SPLIT = os.environ.get("MEDCODER_NB_SPLIT", "test")
FEW_SHOT_MAX = 9  # same bucket edge as `medcoder evaluate`
TOP_PAIRS = 10
N_SNIPPETS = 3
SNIPPET_CHARS = 100

# %%
import json
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from medcoder.data.io import read_documents
from medcoder.evaluation.buckets import Bucket, train_label_counts
from medcoder.evaluation.model_eval import evaluate_model_dir
from medcoder.metrics.multilabel import precision_recall_f1
from medcoder.models.base import Label
from medcoder.models.bundle import ModelBundle
from medcoder.terminology.icd10cm import get_icd10cm

train_docs = read_documents(DATA_DIR / "train.jsonl")
eval_docs = read_documents(DATA_DIR / f"{EVAL_SPLIT}.jsonl")
model = ModelBundle.load(MODEL_DIR)
space = model.label_space
systems = set(model.scorer.config.labels.systems)
print(
    f"{len(eval_docs)} {EVAL_SPLIT} documents, {len(space)} labels, model {model.versions.get('model_name')}"
)

# %% [markdown]
# ## Headline figures
#
# From `eval/out/metrics.json` when the DVC `evaluate` stage has run, else computed here with the
# same function.

# %%
if METRICS_PATH.exists():
    report = json.loads(METRICS_PATH.read_text(encoding="utf-8"))
else:
    report = evaluate_model_dir(MODEL_DIR, eval_docs, train_docs, few_shot_max=FEW_SHOT_MAX)
headline = {k: v for k, v in report["test"].items() if isinstance(v, int | float)}
for name in ("at_global_threshold", "at_per_label_thresholds"):
    for k, v in (report["test"].get(name) or {}).items():
        if isinstance(v, int | float):
            headline[f"{name}.{k}"] = v
pd.Series(headline, name=EVAL_SPLIT).round(4)

# %% [markdown]
# ## Predictions as code sets
#
# Gold codes are restricted to the code systems the model predicts; gold codes outside its label
# space (never seen in train) can only be misses.

# %%
scores = model.predict_scores(eval_docs)
pred_matrix = scores >= model.threshold_vector[None, :]
keys = space.labels
gold_sets = [{Label(c.system, c.code) for c in d.labels if c.system in systems} for d in eval_docs]
pred_sets = [{keys[j] for j in np.flatnonzero(row)} for row in pred_matrix]
train_counts = train_label_counts(train_docs)


def bucket_of(label: Label) -> Bucket:
    """Frequency bucket by training-document count (same edges as `medcoder evaluate`)."""
    n = train_counts.get(label, 0)
    if n == 0:
        return Bucket.UNSEEN
    return Bucket.FEW_SHOT if n <= FEW_SHOT_MAX else Bucket.FREQUENT


# %% [markdown]
# ## False positives and misses by code frequency

# %%
tally: dict[Bucket, Counter[str]] = {b: Counter() for b in Bucket}
codes_in_bucket: dict[Bucket, set[Label]] = {b: set() for b in Bucket}
for gold, pred in zip(gold_sets, pred_sets, strict=True):
    for lab in gold | pred:
        b = bucket_of(lab)
        codes_in_bucket[b].add(lab)
        outcome = "tp" if lab in gold and lab in pred else ("fp" if lab in pred else "fn")
        tally[b][outcome] += 1
rows = []
for b in Bucket:
    tp, fp, fn = tally[b]["tp"], tally[b]["fp"], tally[b]["fn"]
    rows.append(
        {
            "bucket": str(b),
            "codes": len(codes_in_bucket[b]),
            "gold": tp + fn,
            "true positives": tp,
            "false positives": fp,
            "misses": fn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
        }
    )
by_bucket = pd.DataFrame(rows).set_index("bucket")
by_bucket.round(3)

# %%
ax = by_bucket[["true positives", "false positives", "misses"]].plot.bar(figsize=(6, 3), rot=0)
ax.set_ylabel("code decisions")
ax.set_title(f"Errors by train frequency ({EVAL_SPLIT})")
plt.tight_layout()
plt.show()

# %% [markdown]
# Cross-check: over the label space, the counts above give the same micro precision and recall as
# `medcoder.metrics.multilabel` on the gold matrix.

# %%
y_true = space.encode(eval_docs)
micro_p, micro_r, _ = precision_recall_f1(y_true, pred_matrix, "micro")
in_space = set(space.labels)
tp_s = sum(len(g & p) for g, p in zip(gold_sets, pred_sets, strict=True))
fp_s = sum(len(p - g) for g, p in zip(gold_sets, pred_sets, strict=True))
fn_s = sum(len((g & in_space) - p) for g, p in zip(gold_sets, pred_sets, strict=True))
assert np.isclose(micro_p, tp_s / (tp_s + fp_s) if tp_s + fp_s else 0.0), (micro_p, tp_s, fp_s)
assert np.isclose(micro_r, tp_s / (tp_s + fn_s) if tp_s + fn_s else 0.0), (micro_r, tp_s, fn_s)
print(f"micro precision {micro_p:.3f}, recall {micro_r:.3f} over the label space")

# %% [markdown]
# ## Confusions within an ICD-10-CM category
#
# A confusion is a missed gold code and a false-positive code of the same 3-character category in
# the same document (e.g. gold `E11.65`, predicted `E11.9`).

# %%
icd = get_icd10cm()


def category(code: str) -> str | None:
    """ICD-10-CM category, or None for codes outside the release."""
    return icd.category(code) if icd.is_valid(code) else None


pairs: Counter[tuple[str, str]] = Counter()
pair_docs: dict[tuple[str, str], list[int]] = {}
for i, (gold, pred) in enumerate(zip(gold_sets, pred_sets, strict=True)):
    missed = [lab.code for lab in gold - pred if lab.system.value == "ICD-10-CM"]
    extra = [lab.code for lab in pred - gold if lab.system.value == "ICD-10-CM"]
    for g in missed:
        for p in extra:
            if category(g) is not None and category(g) == category(p):
                pairs[(g, p)] += 1
                pair_docs.setdefault((g, p), []).append(i)
confusions = pd.DataFrame(
    [
        {
            "category": category(g),
            "gold (missed)": g,
            "predicted (false positive)": p,
            "documents": n,
            "gold description": icd.description(g),
            "predicted description": icd.description(p),
        }
        for (g, p), n in pairs.most_common(TOP_PAIRS)
    ],
    columns=[
        "category",
        "gold (missed)",
        "predicted (false positive)",
        "documents",
        "gold description",
        "predicted description",
    ],
)
print(f"{sum(pairs.values())} within-category confusions ({len(pairs)} distinct pairs)")
confusions

# %% [markdown]
# ## Example snippets
#
# The text around the gold evidence span of a confused code. Synthetic documents only: real
# clinical text is never printed here.

# %%
shown = 0
for (g, p), _ in pairs.most_common():
    for i in pair_docs[(g, p)]:
        doc = eval_docs[i]
        if shown >= N_SNIPPETS or doc.source != "synthetic":
            continue
        spans = [s for c in doc.labels if c.code == g for s in c.spans]
        start, end = (spans[0].start, spans[0].end) if spans else (0, 0)
        lo, hi = max(0, start - SNIPPET_CHARS), min(len(doc.text), end + SNIPPET_CHARS)
        snippet = " ".join(doc.text[lo:hi].split())
        print(f"[{doc.id}] gold {g} -> predicted {p}\n  ...{snippet}...\n")
        shown += 1
if shown == 0:
    print("no within-category confusion in synthetic documents")
