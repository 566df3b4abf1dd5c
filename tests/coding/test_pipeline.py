"""The in-process pipeline on a tiny trained model: structure, offsets, suppression, batching."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.coding.config import PipelineConfig
from medcoder.coding.context import EncounterContext
from medcoder.coding.pipeline import CodingPipeline
from medcoder.data.records import Document, Patient, Setting, Sex

pytestmark = pytest.mark.slow

NOTE = (
    "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus with hyperglycemia: increase metformin.\n"
    "2. Essential hypertension: continue lisinopril.\n"
)
FAMILY_ONLY = (
    "Mother had type 2 diabetes mellitus and essential hypertension; father had the same diabetes.\n"
)


def doc(text: str, **kw) -> Document:
    return Document(id="t-1", text=text, setting=Setting.OUTPATIENT, patient=Patient(70, Sex.FEMALE), **kw)


def test_result_has_every_part_and_evidence_quotes_the_note(pipeline) -> None:
    r = pipeline.code(doc(NOTE), EncounterContext(em_code="99213"))
    assert r.document_id == "t-1" and len(r.request_id) == 32
    assert r.suggestions, "the tiny model should suggest something for a diabetes note"
    cut = pipeline.model.threshold_vector
    keys = pipeline.model.label_space.keys()
    for s in r.suggestions:
        assert s.probability >= cut[keys.index(f"{s.system}:{s.code}")]
        for e in s.evidence:
            assert NOTE[e.start : e.end] == e.text and e.end > e.start
        assert all(a.code[:3] == s.code[:3] for a in s.alternatives)
    probs = [s.probability for s in r.suggestions]
    assert probs == sorted(probs, reverse=True)
    assert r.em is not None and r.em.billed == "99213"
    assert r.route.decision.value in {"auto", "review", "escalate"} and r.route.reasons
    assert r.versions.model_version.startswith("sha-") and r.versions.evidence_method == "attention"
    assert "ICD-10-CM" in r.versions.code_sets and r.versions.rule_packs


def test_family_history_only_codes_are_suppressed(tiny_model, pipeline) -> None:
    """Every sentence of the note is about the mother or father, so no code has affirmed evidence."""
    off = CodingPipeline(pipeline.model, PipelineConfig(assertion_policy="off"))
    unfiltered = off.code(doc(FAMILY_ONLY))
    assert unfiltered.suggestions, "the tiny model should score diabetes codes above threshold here"
    filtered = pipeline.code(doc(FAMILY_ONLY))
    assert filtered.suggestions == []
    assert {s.code for s in filtered.suppressed} == {s.code for s in unfiltered.suggestions}
    assert all(s.assertion.value == "family" for s in filtered.suppressed)
    assert filtered.route.decision.value == "review"


def test_downweight_policy_scales_probabilities(pipeline) -> None:
    down = CodingPipeline(
        pipeline.model, PipelineConfig(assertion_policy="downweight", downweight_factor=0.5)
    )
    off = CodingPipeline(pipeline.model, PipelineConfig(assertion_policy="off"))
    base = {s.code: s.probability for s in off.code(doc(FAMILY_ONLY)).suggestions}
    r = down.code(doc(FAMILY_ONLY))
    for s in [*r.suggestions, *r.suppressed]:
        assert s.probability == pytest.approx(base[s.code] * 0.5, rel=1e-5)


def test_batched_call_equals_single_calls(pipeline) -> None:
    texts = [NOTE, FAMILY_ONLY, "Acute bronchitis. Cough for five days.", NOTE * 3]
    items = [(Document(id=f"b-{i}", text=t), EncounterContext()) for i, t in enumerate(texts)]
    batched = pipeline.code_many(items)
    for item, r in zip(items, batched, strict=True):
        single = pipeline.code_many([item])[0]
        assert r.document_id == item[0].id
        assert [s.code for s in r.suggestions] == [s.code for s in single.suggestions]
        np.testing.assert_allclose([s.probability for s in r.suggestions],
                                   [s.probability for s in single.suggestions], rtol=1e-4)  # fmt: skip
