"""Train the index coder (the default coder) and measure it on realistic notes.

Data (never CodiEsp test):
- reranker training: CodiEsp-D train (English) + the realistic dev notes whose id hashes into the
  "fit" part (two thirds);
- threshold selection: CodiEsp-D dev + the other third of the realistic dev notes ("tune");
- the realistic ``holdout`` split is scored only by ``medcoder evaluate-index --split holdout``.

``medcoder train-index --out training/out/index_coder`` writes the model directory;
``medcoder evaluate-index --model DIR`` prints (and writes as JSON) micro P/R/F1 on the realistic
notes, distractor rate, and CodiEsp-D dev MAP.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from medcoder.data.codiesp import load_codiesp
from medcoder.data.realistic import RealisticNote, load_realistic, realistic_dir
from medcoder.data.records import CodeSystem, Document
from medcoder.metrics.codiesp_map import codiesp_map
from medcoder.models.index_bundle import save_index_bundle
from medcoder.models.index_coder import IndexCoder
from medcoder.paths import codiesp_dir

log = logging.getLogger(__name__)


def realistic_part(note_id: str) -> str:
    """ "fit" (2/3) or "tune" (1/3) for a realistic dev note, fixed by its id's hash."""
    return "tune" if int(hashlib.sha256(note_id.encode()).hexdigest(), 16) % 3 == 0 else "fit"


def realistic_notes(split: str) -> list[RealisticNote]:
    root = realistic_dir()
    if not (root / "annotations").is_dir():
        return []
    return load_realistic(split)


def micro_prf(pairs: Sequence[tuple[set[str], set[str]]]) -> dict[str, float]:
    """Micro precision/recall/F1 over (predicted, gold) code sets."""
    tp = sum(len(p & g) for p, g in pairs)
    fp = sum(len(p - g) for p, g in pairs)
    fn = sum(len(g - p) for p, g in pairs)
    return {
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "f1": 2 * tp / max(1, 2 * tp + fp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def evaluate_realistic(coder: IndexCoder, notes: Sequence[RealisticNote]) -> dict:
    """Micro P/R/F1 (ICD-10-CM) and the share of distractor statements that got their wrong code."""
    pairs, distractor_hits, distractors = [], 0, 0
    for note in notes:
        preds = coder.predict(note.text)
        got = {p.code for p in preds}
        pairs.append((got, note.codes_of(CodeSystem.ICD10CM)))
        for d in note.distractors:
            if not d.code:
                continue
            distractors += 1
            hit = any(
                p.code == d.code.upper() and any(s.start < d.end and d.start < s.end for s in p.spans)
                for p in preds
            )
            distractor_hits += int(hit and d.code.upper() not in note.codes_of(CodeSystem.ICD10CM))
    out = micro_prf(pairs)
    out["notes"] = len(notes)
    out["distractors"] = distractors
    out["distractor_rate"] = distractor_hits / max(1, distractors)
    return out


def evaluate_codiesp(coder: IndexCoder, docs: Sequence[Document]) -> dict:
    gold = {d.id: [lab.code.lower() for lab in d.labels if lab.system is CodeSystem.ICD10CM] for d in docs}
    scored = {d.id: coder.score(d.text) for d in docs}
    ranked = {k: [p.code.lower() for p in v] for k, v in scored.items()}
    m = codiesp_map(gold, ranked)
    pairs = [({p.code for p in v if p.probability >= coder.threshold}, {c.upper() for c in gold[k]})
             for k, v in scored.items()]  # fmt: skip
    return {"map_official": m.official, "map_all_gold": m.all_gold, "docs": len(docs), **micro_prf(pairs)}


def train_index_coder(out: Path, codiesp: Path | None = None) -> tuple[IndexCoder, dict]:
    """Fit, tune and save the default coder; returns it with its dev metrics."""
    t0 = time.perf_counter()
    root = codiesp or codiesp_dir()
    train = load_codiesp(root, "train", tasks=("D",))
    dev = load_codiesp(root, "dev", tasks=("D",))
    real = realistic_notes("dev")
    fit_real = [n.document() for n in real if realistic_part(n.note_id) == "fit"]
    tune_real = [n for n in real if realistic_part(n.note_id) == "tune"]
    coder = IndexCoder().fit([*train, *fit_real])
    coder.tune_threshold([*dev, *(n.document() for n in tune_real)])
    metrics = {
        "trained_on": {"codiesp_train": len(train), "realistic_dev_fit": len(fit_real)},
        "threshold_tuned_on": {"codiesp_dev": len(dev), "realistic_dev_tune": len(tune_real)},
        "codiesp_dev": evaluate_codiesp(coder, dev),
        "realistic_dev_tune": evaluate_realistic(coder, tune_real) if tune_real else None,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    coder.metrics = metrics
    save_index_bundle(coder, out, metrics)
    return coder, metrics


def evaluate_index(model: Path, split: str) -> dict:
    """Metrics of the index coder in ``model`` on the realistic ``split`` ("dev": its tune part,
    "holdout": final numbers only) and on CodiEsp-D dev."""
    coder = IndexCoder.load(model)
    if split == "dev":
        notes = [n for n in realistic_notes("dev") if realistic_part(n.note_id) == "tune"]
    else:
        notes = realistic_notes("holdout")
    return {
        "split": split,
        "realistic": evaluate_realistic(coder, notes),
        "codiesp_dev": evaluate_codiesp(coder, load_codiesp(codiesp_dir(), "dev", tasks=("D",))),
    }
