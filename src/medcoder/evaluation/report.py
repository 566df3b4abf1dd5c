"""Write benchmark reports: ``eval/reports/codiesp_<task>.json`` / ``.md`` and docs/BENCHMARKS.md rows.

docs/BENCHMARKS.md is shared: this module only rewrites the block between
``<!-- codiesp:<task>:start -->`` and ``<!-- codiesp:<task>:end -->`` inside the ``## CodiEsp``
section, adding the section (at the end of the file) or the block when missing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECTION = "## CodiEsp"

_COLUMNS = (
    ("model", "model"),
    ("dev MAP", "dev.map_official"),
    ("test MAP (official)", "test.map_official"),
    ("test MAP (all gold)", "test.map_all_gold"),
    ("x tfidf_lr", "ratio"),
    ("micro-F1", "test.at_global_threshold.micro_f1"),
    ("macro-F1", "test.at_global_threshold.macro_f1"),
    ("micro-F1 per-code t", "test.at_per_label_thresholds.micro_f1"),
    ("P@5", "test.at_global_threshold.precision_at_5"),
    ("micro-AUC", "test.at_global_threshold.micro_auc"),
    ("unseen recall@t", "test.unseen_recall_at_threshold"),
    ("unseen recall top-k", "test.unseen_recall_topk"),
    ("train s", "train_seconds"),
    ("infer docs/s", "inference_docs_per_s"),
    ("peak RSS MB", "peak_rss_mb"),
)


def _get(row: Mapping[str, Any], dotted: str) -> Any:
    node: Any = row
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _fmt(value: Any, key: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, str):
        return value
    if key in ("train_seconds", "inference_docs_per_s", "peak_rss_mb"):
        return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"
    if key == "ratio":
        return f"{value:.2f}"
    return f"{value:.3f}"


def table_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat row per model with the table's values (test MAP ratio to tfidf_lr from the same run)."""
    models: Mapping[str, Any] = report["models"]
    base = _get(models.get("tfidf_lr", {}), "test.map_official")
    depth = report.get("map_depth", 50)
    rows = []
    for name, res in models.items():
        if "error" in res:
            rows.append({"model": f"{name} (failed: {res['error']})"})
            continue
        row = dict(res)
        row["model"] = name
        mo = _get(res, "test.map_official")
        row["ratio"] = mo / base if base and mo is not None else None
        row.setdefault("test", {})
        row["test"] = {**res["test"], "unseen_recall_topk": res["test"].get(f"unseen_recall_top{depth}")}
        rows.append(row)
    return rows


def markdown_table(report: Mapping[str, Any]) -> str:
    """The results table in GitHub markdown."""
    head = "| " + " | ".join(h for h, _ in _COLUMNS) + " |"
    sep = "|" + "|".join("---" if k == "model" else "---:" for _, k in _COLUMNS) + "|"
    lines = [head, sep]
    for row in table_rows(report):
        cells = [
            _fmt(_get(row, key) if key != "model" else row["model"], key.split(".")[-1])
            for _, key in _COLUMNS
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_notes(report: Mapping[str, Any]) -> list[str]:
    """Lines saying what the table cannot: the ensemble's chosen fusion, and runs reused from disk."""
    notes = []
    for name, res in report["models"].items():
        stats = res.get("fit_stats", {}) if isinstance(res, Mapping) else {}
        weights = {k.removeprefix("weight_"): v for k, v in stats.items() if k.startswith("weight_")}
        if name == "ensemble" and weights:
            fusion = "reciprocal-rank" if stats.get("fusion_rrf") else "probability-mean"
            parts = ", ".join(f"{m} {w:.2f}" for m, w in weights.items())
            notes.append(
                f"- ensemble: {fusion} fusion of {parts} (chosen by dev MAP among "
                f"{stats.get('candidates', 0):.0f} candidates); train s and docs/s add up the members."
            )
        if isinstance(res, Mapping) and res.get("reused"):
            notes.append(f"- {name}: scores reused from the saved run computed at {res.get('created')}.")
    return notes


def markdown_report(report: Mapping[str, Any]) -> str:
    """The whole ``codiesp_<task>.md``: how it was run, the table, and what each column means."""
    docs = report["documents"]
    depth = report["map_depth"]
    lines = [
        f"### CodiEsp-{report['task']} ({report['system']}), English text",
        "",
        f"Command: `{report.get('command', '')}`  ",
        f"Machine: {report.get('machine', '')}; date {report.get('date', '')}; "
        f"documents train/dev/test {docs['train']}/{docs['dev']}/{docs['test']}.",
        "",
        markdown_table(report),
        "",
        *([*notes, ""] if (notes := run_notes(report)) else []),
        f"MAP: CodiEsp official semantics on each document's top {depth} codes (official = mean over documents "
        "with predictions; all gold = mean over documents with gold codes). Valid-code filter: current US code "
        "set plus train/dev codes (the official list is not available). F1 and P@5 over the evaluation label "
        "space (model labels + every test gold code) at the decision threshold tuned on dev (global, "
        f"100-value grid, micro-F1; 'per-code t' adds per-code thresholds for codes with >= "
        f"{report.get('min_positives')} dev positives). Macro-F1 over labels with a test gold positive. "
        f"Unseen = codes in no training document; recall@t at the global threshold, top-k in the top {depth}. "
        "x tfidf_lr = test MAP ratio to TF-IDF+LR in the same run. Peak RSS = the model's own process "
        "(data, libraries and model).",
    ]
    return "\n".join(lines) + "\n"


def write_reports(report: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``codiesp_<task>.json`` and ``.md`` into ``out_dir``; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"codiesp_{report['task']}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=_json_default) + "\n", encoding="utf-8")
    md_path.write_text(markdown_report(report), encoding="utf-8")
    return json_path, md_path


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def update_benchmarks_md(path: str | Path, task: str, block: str) -> None:
    """Replace (or add) this task's block inside the ``## CodiEsp`` section of ``path``."""
    p = Path(path)
    text = p.read_text(encoding="utf-8") if p.exists() else "# Benchmarks\n"
    start, end = f"<!-- codiesp:{task}:start -->", f"<!-- codiesp:{task}:end -->"
    new_block = f"{start}\n{block.rstrip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: new_block, text, flags=re.S)
    elif SECTION in text:
        i = text.index(SECTION) + len(SECTION)
        nxt = re.search(r"^## ", text[i:], flags=re.M)
        at = i + nxt.start() if nxt else len(text)
        text = text[:at].rstrip("\n") + "\n\n" + new_block + "\n\n" + text[at:].lstrip("\n")
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{new_block}\n"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
