"""The index the coder walks: the Alphabetic Index plus the three CDC tables grafted onto it.

FY2025 main index (flattened CSV) + Neoplasm Table + Table of Drugs and Chemicals + External
Cause of Injuries Index (FY2026 XML), all from ``icd10cm_index`` in the shared data folder. Every
code they reach is continued in the FY2026 Tabular by ``alpha_index.resolve_code``.
"""

from __future__ import annotations

import functools

from medcoder.terminology.alpha_index import AlphaIndex, load_alpha_index
from medcoder.terminology.drug_table import graft_drug_table, load_drug_table
from medcoder.terminology.external_cause_index import graft_external_cause_index, load_external_cause_index
from medcoder.terminology.neoplasm_table import graft_neoplasm_table, load_neoplasm_table


@functools.cache
def load_coding_index() -> AlphaIndex:
    """The grafted index (FileNotFoundError names the first file missing from the shared folder)."""
    ix = graft_neoplasm_table(load_alpha_index(), load_neoplasm_table())
    ix = graft_drug_table(ix, load_drug_table())
    return graft_external_cause_index(ix, load_external_cause_index())
