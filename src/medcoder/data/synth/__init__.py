"""Synthetic clinical notes with gold codes and evidence spans, generated offline from a seed.

``generate_corpus(n, seed)`` writes office progress notes, ED notes, inpatient consults, discharge
summaries and procedure notes over a catalog of about 380 common billable ICD-10-CM codes (chronic
disease, infections, injuries with laterality and 7th characters, symptoms, Z codes, pregnancy with
trimester and weeks of gestation) plus E/M, preventive and procedure codes (CPT numbers, a few HCPCS),
with distractor mentions (negated, family history, resolved history, rule-out) that must not be coded.

What synthetic notes cannot show: real documentation variety, abbreviations and errors, copy-forward
text, the true co-occurrence of diagnoses, coder disagreement, and payer behaviour. Personal history
codes (Z85-Z87, except Z87.891 former smoker) and family history codes (Z80-Z84) are left out of the
default code set so that resolved-history and family-history mentions are never codable.
"""

from medcoder.data.synth.catalog import Catalog, CodeSpec, load_catalog
from medcoder.data.synth.config import DEFAULT_MIX, DOC_TYPES, SynthConfig
from medcoder.data.synth.generator import (
    KNOWN_LIMITS,
    NoteTruth,
    generate_corpus,
    generate_corpus_with_truth,
)
from medcoder.data.synth.writer import Mention

__all__ = [
    "DEFAULT_MIX",
    "DOC_TYPES",
    "KNOWN_LIMITS",
    "Catalog",
    "CodeSpec",
    "Mention",
    "NoteTruth",
    "SynthConfig",
    "generate_corpus",
    "generate_corpus_with_truth",
    "load_catalog",
]
