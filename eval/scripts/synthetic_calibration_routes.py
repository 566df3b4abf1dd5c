"""How a model calibrated on synthetic notes only routes real notes (issue 14's first target).

Run from the repository root after `dvc repro`:
`.venv/bin/python eval/scripts/synthetic_calibration_routes.py [MODEL_DIR]` (default
training/out/calibrated, the LAAT model whose routing was certified on data/synthetic/cal.jsonl).
Per split: auto / review / escalate shares and, where there is gold, how many auto charts were
exactly right (ICD-10-CM set equal to the gold's). CodiEsp test is read for reporting only.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from medcoder.coding.chart_certify import dated, gold_icd
from medcoder.coding.cli import report_docs
from medcoder.coding.pipeline import CodingPipeline
from medcoder.routing.guarantee import clopper_pearson_interval


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "training/out/calibrated"
    pipe = CodingPipeline.from_model_dir(model)
    out = {"model": model, "routing": pipe.versions.routing, "splits": {}}
    for name in ("codiesp_test", "mtsamples", "realistic_dev", "synthetic_test"):
        docs = report_docs(name)
        routes: Counter[str] = Counter()
        auto = auto_exact = 0
        for doc in docs:
            r = pipe.code(dated(doc))
            routes[r.route.decision.value] += 1
            if r.route.decision.value == "auto" and name != "mtsamples":
                auto += 1
                auto_exact += {s.code for s in r.suggestions if s.system == "ICD-10-CM"} == gold_icd(doc)
        row = {k: round(v / len(docs), 4) for k, v in sorted(routes.items())} | {"charts": len(docs)}
        if name != "mtsamples":
            row |= {"auto_charts": auto, "auto_exact": auto_exact,
                    "auto_exact_ci95": [round(x, 4) for x in clopper_pearson_interval(auto_exact, auto)]}  # fmt: skip
        out["splits"][name] = row
        print(name, row, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
