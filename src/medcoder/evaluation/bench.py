"""The CodiEsp benchmark: train on train, choose on dev, report test once, for every model in one run.

For each model: ``fit(train, dev)`` (settings chosen on dev inside the coder), then scores for dev
and test. Decision thresholds are tuned on dev scores only; test metrics are computed once with
those thresholds. By default each model runs in its own process (``isolate``) so its peak
resident memory is its own, and a time budget can stop a model that overruns.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from medcoder.data.records import Document
from medcoder.evaluation.runs import (
    ENSEMBLE,
    ENSEMBLE_SKIP,
    MENTION_PREFIX,
    TASK_SYSTEM,
    BenchConfig,
    ModelRun,
    neural_arch,
)
from medcoder.evaluation.scoring import evaluate_run
from medcoder.models.base import Coder, LabelSpace

log = logging.getLogger(__name__)


def load_splits(cfg: BenchConfig) -> dict[str, list[Document]]:
    """train / dev / test documents of the task (English text), optionally cut to ``limit_docs``.

    Training labels carry evidence spans: the CodiEsp-X spans of the Spanish text, projected onto
    the aligned English lines (``medcoder.data.sentence_align``). Dev and test labels carry none.
    """
    from medcoder.data.codiesp import load_codiesp
    from medcoder.data.sentence_align import project_document_spans
    from medcoder.paths import codiesp_dir

    root = cfg.root or codiesp_dir()
    out = {s: load_codiesp(root, s, language="en", tasks=(cfg.task,)) for s in ("train", "dev", "test")}
    if cfg.limit_docs:
        out = {s: docs[: cfg.limit_docs] for s, docs in out.items()}
    spanish = {d.id: d for d in load_codiesp(root, "train", language="es", tasks=(cfg.task,))}
    out["train"] = [project_document_spans(spanish[d.id], d) for d in out["train"]]
    return out


def build_model(name: str, cfg: BenchConfig) -> Coder:
    """The coder for a model name, configured for the task's code system."""
    from medcoder.models.baselines import (
        KnnConfig,
        MostFrequentCoder,
        TfidfKnnCoder,
        TfidfLogRegCoder,
        TfidfLRConfig,
    )
    from medcoder.models.retrieval import DictionaryCoder, WeightedSumCoder

    system = TASK_SYSTEM[cfg.task]
    lr_cfg = TfidfLRConfig(systems=(system,), map_depth=cfg.map_depth)
    if name == "most_frequent":
        return MostFrequentCoder((system,))
    if name == "tfidf_lr":
        return TfidfLogRegCoder(lr_cfg)
    if name == "knn":
        return TfidfKnnCoder(KnnConfig(systems=(system,), map_depth=cfg.map_depth))
    if name == "mention_knn":
        from medcoder.models.mentions import MentionKnnCoder, MentionKnnConfig

        return MentionKnnCoder(MentionKnnConfig(systems=(system,), map_depth=cfg.map_depth))
    if name == "mention_knn_emb":  # same, with MiniLM sentence embeddings instead of TF-IDF
        from medcoder.models.mentions import MentionKnnCoder, MentionKnnConfig

        return MentionKnnCoder(
            MentionKnnConfig(systems=(system,), map_depth=cfg.map_depth, similarity="encoder")
        )
    if name == "mention_lr":
        from medcoder.models.mentions import MentionLRCoder, MentionLRConfig

        return MentionLRCoder(MentionLRConfig(systems=(system,), map_depth=cfg.map_depth))
    if name == "dict":
        return DictionaryCoder(system=system)
    if name == "tfidf_lr+dict":
        # dev search on CodiEsp-D: LR at C=1e5 gives small probabilities, so the dictionary helps
        # only at weights << 0.01 and when it keeps near-complete description matches
        dictionary = DictionaryCoder(system=system, min_coverage=cfg.combo_min_coverage)
        return WeightedSumCoder(TfidfLogRegCoder(lr_cfg), dictionary, cfg.combo_weights, cfg.map_depth)
    from medcoder.models.config import load_config
    from medcoder.training.coder import build_coder

    arch = neural_arch(name)
    if arch is None:
        raise ValueError(f"unknown model {name!r}")
    path = cfg.config_dir / f"codiesp_{name}.yaml"
    overrides: dict[str, object] = {"labels__systems": [system.value]}
    if cfg.max_minutes:
        overrides["optim__max_minutes"] = cfg.max_minutes
    config = load_config(path if path.exists() else None, model=arch, **overrides)
    coder = build_coder(arch, config)
    if name.startswith(MENTION_PREFIX):
        from medcoder.training.mention_coder import MentionNeuralCoder

        return MentionNeuralCoder(coder, map_depth=cfg.map_depth)
    return coder


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0


def fit_and_predict(name: str, cfg: BenchConfig, splits: dict[str, list[Document]] | None = None) -> ModelRun:
    """Fit one model on train (+dev for its own choices) and score dev and test; time each step."""
    splits = splits or load_splits(cfg)
    coder = build_model(name, cfg)
    t0 = time.perf_counter()
    coder.fit(splits["train"], splits["dev"])
    t1 = time.perf_counter()
    dev_scores = np.asarray(coder.predict_scores(splits["dev"]), dtype=np.float32)
    t2 = time.perf_counter()
    test_scores = np.asarray(coder.predict_scores(splits["test"]), dtype=np.float32)
    t3 = time.perf_counter()
    stats = {k: float(v) for k, v in getattr(coder, "fit_stats", {}).items() if isinstance(v, int | float)}
    return ModelRun(
        name=name,
        label_keys=tuple(coder.label_space.keys()),
        dev_scores=dev_scores,
        test_scores=test_scores,
        train_seconds=t1 - t0,
        dev_predict_seconds=t2 - t1,
        test_predict_seconds=t3 - t2,
        peak_rss_mb=_peak_rss_mb(),
        fit_stats=stats,
        created=_now(),
    )


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


_META = (
    "name",
    "train_seconds",
    "dev_predict_seconds",
    "test_predict_seconds",
    "peak_rss_mb",
    "fit_stats",
    "created",
)


def save_run(run: ModelRun, folder: Path) -> Path:
    """Write ``run`` as ``<folder>/<name>.npz`` (dev/test scores) + ``<name>.json`` (labels, costs)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"{run.name}.npz", dev=run.dev_scores, test=run.test_scores)
    meta = {k: getattr(run, k) for k in _META}
    meta["label_keys"] = list(run.label_keys)
    path = folder / f"{run.name}.json"
    path.write_text(json.dumps(meta), encoding="utf-8")
    return path


def load_run(folder: Path, name: str) -> ModelRun:
    """Read a run written by ``save_run``; a missing or inconsistent file raises with its path."""
    meta_path, npz_path = folder / f"{name}.json", folder / f"{name}.npz"
    if not meta_path.exists() or not npz_path.exists():
        raise FileNotFoundError(f"no saved run for {name!r} in {folder} (need {name}.json and {name}.npz)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    with np.load(npz_path) as z:
        dev, test = z["dev"], z["test"]
    keys = tuple(meta["label_keys"])
    if dev.shape[1] != len(keys) or test.shape[1] != len(keys):
        raise ValueError(f"{npz_path}: score columns {dev.shape[1]}/{test.shape[1]} != {len(keys)} labels")
    fields = {k: meta[k] for k in _META if k in meta}
    return ModelRun(label_keys=keys, dev_scores=dev, test_scores=test, **fields)


def check_run_rows(run: ModelRun, splits: dict[str, list[Document]], folder: Path) -> None:
    """Raise if a saved run scores a different number of dev/test documents than this run has
    (saved with another ``--task`` or ``limit_docs``), instead of mis-aligning scores and gold."""
    for split, scores in (("dev", run.dev_scores), ("test", run.test_scores)):
        if scores is None or len(scores) != len(splits[split]):
            got = "none" if scores is None else len(scores)
            raise ValueError(
                f"{folder}/{run.name}.npz scores {got} {split} documents, this run has {len(splits[split])}: "
                "it was saved by a different benchmark run; fit it again without --reuse-runs"
            )


def _child(name: str, cfg: BenchConfig, out: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    save_run(fit_and_predict(name, cfg), Path(out))


def fit_and_predict_isolated(name: str, cfg: BenchConfig, timeout_s: float | None = None) -> ModelRun:
    """``fit_and_predict`` in a fresh process (peak RSS of that process; killed after ``timeout_s``)."""
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix=f"medcoder-bench-{name}-") as tmp:
        proc = ctx.Process(target=_child, args=(name, cfg, tmp), name=f"bench-{name}")
        proc.start()
        proc.join(timeout_s)
        if proc.is_alive():
            proc.terminate()
            proc.join(10)
            return ModelRun(name=name, error=f"stopped after {timeout_s:.0f} s (time budget)")
        if proc.exitcode != 0 or not (Path(tmp) / f"{name}.json").exists():
            return ModelRun(
                name=name, error=f"model process failed (exit code {proc.exitcode}); see the log above"
            )
        return load_run(Path(tmp), name)


def valid_code_predicate(task: str, known: set[str]) -> Callable[[str], bool]:
    """Stand-in for the official CodiEsp code list (not available here): the current US code set
    (ICD-10-CM, or ICD-10-PCS codes and their 4-axis prefixes) plus every train/dev gold code.
    Compared lower-case, like the official script."""
    known_lc = {c.lower() for c in known}
    try:
        if task == "D":
            from medcoder.terminology.icd10cm import get_icd10cm

            cm = get_icd10cm()
            return lambda c: c in known_lc or cm.is_valid(c)
        from medcoder.terminology.icd10pcs import get_icd10pcs

        pcs = get_icd10pcs()
        return lambda c: c in known_lc or pcs.is_valid(c.upper()) or pcs.is_valid_prefix(c.upper())
    except Exception as exc:  # noqa: BLE001 - the code sets are optional for the benchmark
        log.warning("code set unavailable (%s): the valid-code filter keeps train/dev codes only", exc)
        return lambda c: c in known_lc


def run_bench(cfg: BenchConfig) -> dict[str, object]:
    """Run every model of ``cfg`` and return the report (see ``medcoder.evaluation.report``)."""
    splits = load_splits(cfg)
    system = TASK_SYSTEM[cfg.task]
    known = {cl.code for s in ("train", "dev") for d in splits[s] for cl in d.labels if cl.system == system}
    is_valid = valid_code_predicate(cfg.task, known)
    timeout = cfg.max_minutes * 60 * 1.5 + 300 if cfg.max_minutes else None
    results: dict[str, object] = {}
    runs: dict[str, ModelRun] = {}
    for name in cfg.models:
        if name == ENSEMBLE:
            continue
        log.info("bench codiesp-%s: %s", cfg.task, name)
        reused = bool(cfg.reuse_runs and cfg.runs_dir and (cfg.runs_dir / f"{name}.json").exists())
        if reused:
            run = load_run(cfg.runs_dir, name)  # type: ignore[arg-type]
            check_run_rows(run, splits, cfg.runs_dir)  # type: ignore[arg-type]
            log.info(
                "%s: reusing the run computed at %s (%s)", name, run.created or "unknown time", cfg.runs_dir
            )
        elif cfg.isolate:
            run = fit_and_predict_isolated(name, cfg, timeout)
        else:
            run = fit_and_predict(name, cfg, splits)
        if run.error:
            log.error("%s: %s", name, run.error)
            results[name] = {"error": run.error}
            continue
        if cfg.runs_dir and not reused:
            save_run(run, cfg.runs_dir)
        runs[name] = run
        results[name] = {**evaluate_run(run, splits, cfg, is_valid), "created": run.created, "reused": reused}
    if ENSEMBLE in cfg.models:
        wanted = cfg.ensemble_members or tuple(m for m in runs if m not in ENSEMBLE_SKIP)
        members = [m for m in wanted if m in runs]
        if len(members) < 2:
            results[ENSEMBLE] = {"error": f"needs two fitted member models, got {members}"}
        else:
            run = ensemble_run([runs[m] for m in members], splits["dev"], cfg)
            results[ENSEMBLE] = {**evaluate_run(run, splits, cfg, is_valid), "created": run.created}
    return {
        "task": cfg.task,
        "system": system.value,
        "documents": {s: len(d) for s, d in splits.items()},
        "map_depth": cfg.map_depth,
        "min_positives": cfg.min_positives,
        "few_shot_max": cfg.few_shot_max,
        "isolated_processes": cfg.isolate,
        "models": results,
    }


def ensemble_run(members: list[ModelRun], dev: list[Document], cfg: BenchConfig) -> ModelRun:
    """Fuse fitted runs: fusion and weights chosen by dev MAP, then test fused once with them.

    Cost figures add up (every member must run to score a document); peak memory is the largest
    member's, as each ran in its own process.
    """
    from medcoder.models.alignment import align_scores
    from medcoder.models.baselines import dev_map
    from medcoder.models.ensemble import choose_fusion, fuse, union_space

    spaces = [model_space(r) for r in members]
    space = union_space(spaces)
    dev_m = [align_scores(r.dev_scores, s, space) for r, s in zip(members, spaces, strict=True)]
    test_m = [align_scores(r.test_scores, s, space) for r, s in zip(members, spaces, strict=True)]
    choice = choose_fusion(
        dev_m,
        lambda f: dev_map(dev, f, space, cfg.map_depth),
        steps=cfg.ensemble_steps,
        depth=2 * cfg.map_depth,
    )
    names = [r.name for r in members]
    log.info(
        "ensemble of %s: %s weights %s, dev MAP %.4f (%d candidates)",
        names,
        choice.fusion,
        choice.weights,
        choice.dev_map,
        choice.tried,
    )
    stats: dict[str, float] = {
        "dev_map": choice.dev_map,
        "candidates": float(choice.tried),
        "fusion_rrf": float(choice.fusion == "rrf"),
    }
    stats.update({f"weight_{n}": w for n, w in zip(names, choice.weights, strict=True)})
    return ModelRun(
        name=ENSEMBLE,
        label_keys=tuple(space.keys()),
        dev_scores=fuse(dev_m, choice.weights, choice.fusion, depth=2 * cfg.map_depth),
        test_scores=fuse(test_m, choice.weights, choice.fusion, depth=2 * cfg.map_depth),
        train_seconds=sum(r.train_seconds for r in members),
        dev_predict_seconds=sum(r.dev_predict_seconds for r in members),
        test_predict_seconds=sum(r.test_predict_seconds for r in members),
        peak_rss_mb=max(r.peak_rss_mb for r in members),
        fit_stats=stats,
        created=_now(),
    )


def model_space(run: ModelRun) -> LabelSpace:
    return LabelSpace.from_keys(run.label_keys)


def parse_models(text: str) -> tuple[str, ...]:
    """``"tfidf_lr,dict"`` -> ("tfidf_lr", "dict"), keeping order and dropping repeats."""
    names = [m.strip() for m in text.split(",") if m.strip()]
    return tuple(dict.fromkeys(names))
