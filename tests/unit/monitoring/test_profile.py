"""Note descriptors recorded for input-drift reports: hand-counted values, no text kept."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.audit.events import NoteProfile
from medcoder.data.records import Document, Setting
from medcoder.monitoring.profile import (
    EMBEDDING_COLUMNS,
    category,
    note_profile,
    profile_columns,
    projection_matrix,
    text_descriptors,
)


def test_text_descriptors_by_hand() -> None:
    text = "HPI:\nPain x2 days. No fever!\n\nPlan: rest."
    d = text_descriptors(text)
    assert d["chars"] == len(text) == 41
    # words: HPI Pain x2 days No fever Plan rest
    assert d["words"] == 8
    # sentences: "HPI:", "Pain x2 days.", "No fever!", "Plan: rest."
    assert d["sentences"] == 4
    assert d["lines"] == 3
    assert d["mean_word_length"] == pytest.approx((3 + 4 + 2 + 4 + 2 + 5 + 4 + 4) / 8)
    # visible characters: HPI: Pain x2 days. No fever! Plan: rest. = 4+4+2+5+2+6+5+5 = 33;
    # letters 27; non-letters : 2 . ! : . = 6; digits 1; capitals H P I P N P = 6
    assert d["digit_share"] == round(1 / 33, 4)
    assert d["non_letter_share"] == round(6 / 33, 4)
    assert d["upper_share"] == round(6 / 27, 4)


def test_empty_text_has_zero_shares() -> None:
    d = text_descriptors("")
    assert d == {"chars": 0, "words": 0, "sentences": 0, "lines": 0, "mean_word_length": 0.0,
                 "digit_share": 0.0, "non_letter_share": 0.0, "upper_share": 0.0}  # fmt: skip


def test_note_profile_fields_and_categories() -> None:
    doc = Document(id="d1", text="ASSESSMENT:\nType 2 diabetes.\nPLAN:\nMetformin.", setting=Setting.OUTPATIENT,
                   doc_type="Discharge Summary", source="fhir")  # fmt: skip
    p = note_profile(doc)
    assert p.setting == "outpatient" and p.doc_type == "discharge_summary" and p.source == "fhir"
    assert p.sections == 2  # two header lines recognised by the rule sectioniser
    assert p.embedding == ()
    assert category("  ") == "unknown" and category("C-CDA v2.1") == "c_cda_v2_1"


def test_projection_is_orthonormal_and_fixed() -> None:
    q = projection_matrix()
    assert q.shape == (384, 16)
    np.testing.assert_allclose(q.T @ q, np.eye(16), atol=1e-10)
    np.testing.assert_array_equal(q, projection_matrix.__wrapped__())  # same seed, same matrix
    unit = np.zeros(384)
    unit[0] = 1.0
    assert np.linalg.norm(unit @ q) <= 1.0 + 1e-12


def test_profile_columns_flatten_embedding_and_fill_missing() -> None:
    doc = Document(id="d1", text="Cough.")
    p = note_profile(doc, np.full(16, 0.25))
    row = profile_columns(p.model_dump())
    assert row["emb_00"] == 0.25 and row["emb_15"] == 0.25 and row["chars"] == 6.0
    empty = profile_columns({})
    assert all(np.isnan(empty[c]) for c in EMBEDDING_COLUMNS) and empty["setting"] == "unknown"


def test_profile_refuses_text_like_values() -> None:
    with pytest.raises(ValueError):
        NoteProfile(chars=1, words=1, sentences=1, lines=1, sections=0, mean_word_length=1, digit_share=0,
                    non_letter_share=0, upper_share=0, setting="Patient John Smith", doc_type="note",
                    source="text")  # fmt: skip
    with pytest.raises(ValueError):
        NoteProfile(chars=1, words=1, sentences=1, lines=1, sections=0, mean_word_length=1, digit_share=0,
                    non_letter_share=0, upper_share=0, setting="x", doc_type="note", source="text",
                    embedding=(2.0,))  # fmt: skip
