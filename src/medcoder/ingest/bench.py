"""Intake timings on the shared example data, each beside a same-run baseline.

``python -m medcoder.ingest.bench`` prints best-of-N wall times (seconds) and ratios:
- Synthea HIV bundles (25 files, 1,088 notes): full intake vs. gzip + json.loads alone.
- C-CDA examples (33 files): full parse vs. a bare lxml parse (recovering parser).
- Sections for the 25 current Synthea notes: medspacy sectionizer vs. the header rules.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable

from lxml import etree

from medcoder.ingest.batch import ingest_paths
from medcoder.nlp.pipeline import clinical_pipeline, medspacy_sections
from medcoder.nlp.sections import rule_sections
from medcoder.paths import shared_data_dir


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """Fastest of ``repeats`` wall-clock runs, in seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(repeats: int = 3) -> dict[str, float]:
    """Measure the three comparisons above; returns seconds and ratios by name."""
    root = shared_data_dir()
    synthea = sorted((root / "synthea_fhir" / "hiv_module_r4").glob("*.json.gz"))
    ccda = sorted((root / "ccda_examples").glob("*/*.xml"))
    out: dict[str, float] = {}
    out["synthea_json_load_s"] = best_of(
        lambda: [json.loads(gzip.decompress(f.read_bytes())) for f in synthea], repeats
    )
    out["synthea_ingest_s"] = best_of(lambda: ingest_paths(synthea), repeats)
    parser = etree.XMLParser(recover=True)
    out["ccda_lxml_parse_s"] = best_of(
        lambda: [etree.fromstring(f.read_bytes(), parser) for f in ccda], repeats
    )
    out["ccda_ingest_s"] = best_of(lambda: ingest_paths(ccda), repeats)
    notes = [d.document.text for d in ingest_paths(synthea).ready]
    clinical_pipeline()  # load once, outside the timing
    out["sections_rules_s"] = best_of(lambda: [rule_sections(t) for t in notes], repeats)
    out["sections_medspacy_s"] = best_of(lambda: [medspacy_sections(t) for t in notes], repeats)
    out["synthea_ratio"] = out["synthea_ingest_s"] / out["synthea_json_load_s"]
    out["ccda_ratio"] = out["ccda_ingest_s"] / out["ccda_lxml_parse_s"]
    out["sections_ratio"] = out["sections_medspacy_s"] / out["sections_rules_s"]
    return out


def main() -> None:
    for k, v in run().items():
        print(f"{k}\t{v:.4f}")


if __name__ == "__main__":
    main()
