"""CPT/HCPCS micro-P/R/F1, modifier and J-code unit accuracy on the realistic dev set (JSON on stdout).

    .venv/bin/python eval/scripts/procedure_eval.py [--model-dir training/out/index_coder] [--errors]

Codes every dev note with ``CodingPipeline.from_model_dir`` (the default index coder) and scores
its CPT/HCPCS suggestions against the gold, per dev part ("fit": where the lexicon was tuned,
"tune": held apart) and overall. The holdout split is never read.

- ``codes``: code-level micro P/R/F1 over (note, code) pairs. E/M leveling codes (99202-99499
  other than 99401-99429 counselling) are left out of the gold because E/M is coded by
  ``rules.em``, not by the procedure step; ``codes_with_em`` keeps them.
- ``modifiers_exact``: over gold lines the coder found, whether its modifier set equals the gold
  one (59 and XS count as the same). The gold has no modifier field: modifiers are those the
  annotators wrote in each note's ``comment`` (transcribed in GOLD_MODIFIERS below); ``stated``
  scores only lines whose comment names a modifier, ``all`` treats every other line as "none".
  QW is payer-driven and never written in the comments, so it is ignored in both.
- ``jcode_units_exact``: over gold J-code lines found, units equal to the units the comment gives.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from medcoder.coding.context import EncounterContext
from medcoder.data.records import CodeSystem
from medcoder.training.index_coder import micro_prf, realistic_notes, realistic_part

DEFAULT_MODEL = Path("training/out/index_coder")
SYSTEMS = (CodeSystem.CPT, CodeSystem.HCPCS)

# Modifiers the dev annotations' comments state (note, code) -> modifiers; quoted from the comment.
GOLD_MODIFIERS: dict[tuple[str, str], frozenset[str]] = {
    ("rd-a-m02", "27540"): frozenset({"LT"}),  # "CPT 27540 (...), LT modifier"
    ("rd-a-m10", "49505"): frozenset({"LT"}),  # "-> 49505 (LT)"
    ("rd-a-m16", "25000"): frozenset({"LT"}),  # "CPT 25000-LT"
    ("rd-a-m28", "60650"): frozenset({"RT"}),  # "CPT 60650-RT, query"
    ("rd-a-t10", "25605"): frozenset({"RT"}),  # "25605-RT"
    ("rd-b-m13", "20605"): frozenset({"50"}),  # "20605 bilateral (modifier 50)"
    ("rd-b-t14", "45380"): frozenset({"XS"}),  # "45380 cold forceps on a different lesion (modifier 59/XS)"
}
# J-code units the comments state; rd-b-m13 J3301 is left out ("units ambiguous (40 mg total vs
# per elbow)") and rd-b-m10 J1212 states none.
GOLD_UNITS: dict[tuple[str, str], float] = {
    ("rd-b-m10", "J2270"): 1.0,  # "drug J2270 x1 reported"
    ("rd-b-t01", "J3301"): 4.0,  # "J3301 x4 units (40 mg)"
}


def is_em_level(code: str) -> bool:
    return code.isdigit() and 99202 <= int(code) <= 99499 and not 99401 <= int(code) <= 99429


def _norm_mods(mods: list[str] | frozenset[str]) -> frozenset[str]:
    return frozenset("XS" if m == "59" else m for m in mods if m != "QW")


def score(rows: list[dict]) -> dict:
    """Figures for a list of per-note rows (pred/gold code sets, modifiers, units)."""
    out = {
        "notes": len(rows),
        "gold_codes": sum(len(r["gold"]) for r in rows),
        "codes": micro_prf([(r["pred"], r["gold"]) for r in rows]),
        "codes_with_em": micro_prf([(r["pred"], r["gold_all"]) for r in rows]),
    }
    stated = [(r["mods"].get(c, frozenset()), GOLD_MODIFIERS[(r["id"], c)])
              for r in rows for c in r["pred"] & r["gold"] if (r["id"], c) in GOLD_MODIFIERS]  # fmt: skip
    every = [(r["mods"].get(c, frozenset()), GOLD_MODIFIERS.get((r["id"], c), frozenset()))
             for r in rows for c in r["pred"] & r["gold"]]  # fmt: skip
    out["modifiers_exact"] = {
        "stated": sum(p == g for p, g in stated) / max(1, len(stated)),
        "stated_lines": len(stated),
        "all": sum(p == g for p, g in every) / max(1, len(every)),
        "all_lines": len(every),
    }
    units = [(r["units"].get(c), GOLD_UNITS[(r["id"], c)]) for r in rows for c in r["pred"] & r["gold"]
             if (r["id"], c) in GOLD_UNITS]  # fmt: skip
    gold_j = sum(1 for r in rows for c in r["gold"] if (r["id"], c) in GOLD_UNITS)
    out["jcode_units_exact"] = {"exact": sum(p == g for p, g in units) / max(1, len(units)),
                                "lines_found": len(units), "gold_lines_with_units": gold_j}  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--errors", action="store_true", help="also list false positives and negatives")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from medcoder.coding.pipeline import CodingPipeline

    pipe = CodingPipeline.from_model_dir(args.model_dir)
    notes = realistic_notes("dev")
    results = pipe.code_many([(n.document(), EncounterContext()) for n in notes])
    rows = []
    for n, res in zip(notes, results, strict=True):
        procs = [s for s in res.suggestions if s.system in ("CPT", "HCPCS")]
        gold_all = {c.code for c in n.codes if c.system in SYSTEMS}
        rows.append({
            "id": n.note_id,
            "part": realistic_part(n.note_id),
            "pred": {s.code for s in procs},
            "gold": {c for c in gold_all if not is_em_level(c)},
            "gold_all": gold_all,
            "mods": {s.code: _norm_mods(s.modifiers) for s in procs},
            "units": {s.code: s.units for s in procs},
        })  # fmt: skip
    report = {
        "model_dir": str(args.model_dir),
        "split": "dev",
        "fit": score([r for r in rows if r["part"] == "fit"]),
        "tune": score([r for r in rows if r["part"] == "tune"]),
        "dev": score(rows),
    }
    if args.errors:
        report["errors"] = {
            r["id"]: {
                "fp": sorted(r["pred"] - r["gold_all"]),
                "fn": sorted(r["gold"] - r["pred"]),
                "part": r["part"],
            }
            for r in rows
            if r["pred"] - r["gold_all"] or r["gold"] - r["pred"]
        }
    json.dump(report, sys.stdout, indent=2, default=sorted)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
