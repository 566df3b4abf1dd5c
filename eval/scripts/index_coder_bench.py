"""Speed (index coder vs the LAAT forward pass, same run) and CodiEsp-D test numbers of the index coder.

Run from the repository root after `dvc repro`: `.venv/bin/python eval/scripts/index_coder_bench.py [MODEL_DIR]`.
CodiEsp test is read for reporting only, never for choosing anything.
"""

from __future__ import annotations

import json
import sys
import time

import torch

from medcoder.coding.scoring import score_batch
from medcoder.data.codiesp import load_codiesp
from medcoder.models.bundle import ModelBundle
from medcoder.models.index_coder import IndexCoder, _gold
from medcoder.paths import codiesp_dir
from medcoder.training.index_coder import evaluate_codiesp


def main() -> None:
    torch.set_num_threads(1)
    train = load_codiesp(codiesp_dir(), "train", tasks=("D",))
    test = load_codiesp(codiesp_dir(), "test", tasks=("D",))
    texts = [d.text for d in test]
    coder = IndexCoder.load(sys.argv[1] if len(sys.argv) > 1 else "training/out/index_coder")
    t = time.perf_counter()
    for text in texts:
        coder.score(text)
    t_index = time.perf_counter() - t
    laat = ModelBundle.load("training/out/calibrated")
    t = time.perf_counter()
    score_batch(laat.scorer, texts, 16, keep_attention=True)
    t_laat = time.perf_counter() - t
    seen = set().union(*(_gold(d) for d in train))
    unseen = [(c, d) for d in test for c in _gold(d) - seen]
    found = sum(c in {p.code for p in coder.predict(d.text)} for c, d in unseen)
    print(json.dumps({
        "notes": len(texts),
        "index_coder_notes_per_s": len(texts) / t_index,
        "laat_forward_notes_per_s": len(texts) / t_laat,
        "codiesp_test": evaluate_codiesp(coder, test),
        "unseen_gold": len(unseen),
        "unseen_recall": found / max(1, len(unseen)),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
