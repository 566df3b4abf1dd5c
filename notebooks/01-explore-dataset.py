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
# # 01 Explore a dataset
#
# What a prepared corpus looks like before any model sees it: split sizes, the statistics the
# data card is built from, how many codes a document carries, which codes dominate and how long
# the tail is. It reads the DVC `prepare` output (`data/synthetic/{train,dev,cal,test}.jsonl`);
# point `MEDCODER_NB_DATA` at another folder of splits to explore that instead.
#
# Run it with `jupytext --to notebook --execute notebooks/01-explore-dataset.py` (after `dvc repro prepare`),
# or open the `.py` in JupyterLab with jupytext installed.

# %% tags=["parameters"]
# ruff: noqa: E402, B018  (notebook style: imports per cell, a bare expression displays a table)
import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("MEDCODER_NB_DATA", "data/synthetic"))
SPLITS = ("train", "dev", "cal", "test")
FREQUENT_MIN = int(os.environ.get("MEDCODER_NB_FREQUENT_MIN", "10"))  # data-card bucket edge
TOP_N = 15

# %%
from collections import Counter

import matplotlib.pyplot as plt
import pandas as pd

from medcoder.data.io import read_documents
from medcoder.data.stats import compute_stats
from medcoder.terminology.icd10cm import get_icd10cm

splits = {
    name: read_documents(DATA_DIR / f"{name}.jsonl")
    for name in SPLITS
    if (DATA_DIR / f"{name}.jsonl").exists()
}
if "train" not in splits:
    raise FileNotFoundError(
        f"{DATA_DIR}/train.jsonl not found: run `dvc repro prepare` or set MEDCODER_NB_DATA"
    )
print({name: len(docs) for name, docs in splits.items()})

# %% [markdown]
# ## Split statistics
#
# The same `compute_stats` the data card uses: tokens, codes per document and how many codes of
# each split are frequent, few-shot or unseen in train.

# %%
stats = compute_stats(splits, reference_split="train", frequent_min=FREQUENT_MIN)
split_table = pd.DataFrame(
    {
        name: {
            "documents": s.documents,
            "tokens/doc": round(s.tokens_per_doc_mean, 1),
            "codes/doc (mean)": round(s.codes_per_doc_mean, 2),
            "codes/doc (max)": s.codes_per_doc_max,
            "distinct codes": s.distinct_codes,
            "unseen in train": s.unseen_in_reference,
            **{f"codes {b}": n for b, n in s.bucket_codes.items()},
        }
        for name, s in stats.splits.items()
    }
).T
split_table

# %% [markdown]
# ## Codes per system and per document

# %%
system_table = pd.DataFrame({name: s.system_labels for name, s in stats.splits.items()}).fillna(0).astype(int)
system_table

# %%
codes_per_doc = [len({(c.system, c.code) for c in d.labels}) for d in splits["train"]]
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(codes_per_doc, bins=range(0, max(codes_per_doc) + 2), color="tab:blue", edgecolor="white")
ax.set_xlabel("distinct codes in the document")
ax.set_ylabel("train documents")
ax.set_title("Codes per document (train)")
plt.show()

# %% [markdown]
# ## Most frequent codes and the long tail
#
# Counts are documents (a code repeated in one note counts once), as in the evaluation buckets.

# %%
icd = get_icd10cm()


def describe(system: str, code: str) -> str:
    """ICD-10-CM description when the code is in the release, else empty."""
    if system == "ICD-10-CM" and icd.is_valid(code):
        return icd.description(code)
    return ""


doc_counts: Counter[tuple[str, str]] = Counter()
for doc in splits["train"]:
    doc_counts.update({(c.system.value, c.code) for c in doc.labels})
top_codes = pd.DataFrame(
    [
        {"system": s, "code": c, "train docs": n, "description": describe(s, c)}
        for (s, c), n in doc_counts.most_common(TOP_N)
    ]
)
top_codes

# %%
counts_sorted = sorted(doc_counts.values(), reverse=True)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(range(1, len(counts_sorted) + 1), counts_sorted, marker=".", linestyle="none")
ax.set_yscale("log")
ax.set_xlabel("code rank")
ax.set_ylabel("train documents (log)")
ax.axhline(FREQUENT_MIN, color="grey", linestyle="--", label=f"frequent >= {FREQUENT_MIN}")
ax.legend()
ax.set_title("Label frequency: a few common codes, a long tail")
plt.show()
tail_share = sum(1 for n in counts_sorted if n < FREQUENT_MIN) / max(len(counts_sorted), 1)
print(
    f"{len(counts_sorted)} distinct codes in train; {tail_share:.0%} seen in fewer than {FREQUENT_MIN} documents"
)

# %% [markdown]
# ## Sections and one example note
#
# Section names found by the generator (or the ingest step), then the start of one training
# document with its gold codes. Only synthetic documents are shown in full: never print real
# clinical text in a notebook that may be shared.

# %%
section_counts = Counter(s.name for d in splits["train"] for s in d.sections)
pd.Series(section_counts, name="train documents").sort_values(ascending=False).head(TOP_N)

# %%
example = splits["train"][0]
if example.source == "synthetic":
    print(example.id, [f"{c.system.value}:{c.code}" for c in example.labels])
    print(example.text[:800])
else:
    print(f"{example.id}: not synthetic ({example.source}), text not shown")
