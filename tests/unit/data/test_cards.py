"""Card statistics on a hand-made corpus, checked against numbers computed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.data.cards import CARD_METADATA, compute_stats, render_card, write_card
from medcoder.data.records import CodeLabel, CodeSystem, Document

CM, PCS = CodeSystem.ICD10CM, CodeSystem.ICD10PCS


def _doc(doc_id: str, text: str, *codes: tuple[CodeSystem, str]) -> Document:
    return Document(id=doc_id, text=text, labels=tuple(CodeLabel(s, c) for s, c in codes))


# train: t1 (4 tokens, 2 codes), t2 (2 tokens, 3 codes; E11.9 twice counts once), t3 (3 tokens, no codes)
TRAIN = [
    _doc("t1", "diabetes and  hypertension\ttoday", (CM, "E11.9"), (CM, "I10")),
    _doc("t2", "knee replacement", (CM, "E11.9"), (PCS, "0SRC0J9"), (CM, "M17.11"), (CM, "E11.9")),
    _doc("t3", "no findings here"),
]
# test: one doc with a train code (E11.9, in 2 train docs), one unseen code (J18.9)
TEST = [_doc("s1", "pneumonia in a diabetic", (CM, "E11.9"), (CM, "J18.9"))]


@pytest.fixture
def stats():
    return compute_stats({"train": TRAIN, "test": TEST}, frequent_min=2)


def test_size_numbers(stats) -> None:
    tr = stats.splits["train"]
    assert tr.documents == 3
    assert tr.tokens == 4 + 2 + 3
    assert tr.tokens_per_doc_mean == pytest.approx(9 / 3)
    assert tr.chars == len("diabetes and  hypertension\ttoday") + len("knee replacement") + len(
        "no findings here"
    )
    assert tr.labels == 2 + 3 + 0
    assert tr.codes_per_doc_mean == pytest.approx(5 / 3)
    assert tr.codes_per_doc_median == 2.0
    assert tr.codes_per_doc_max == 3
    assert tr.docs_without_codes == 1
    assert tr.distinct_codes == 4  # E11.9, I10, 0SRC0J9, M17.11
    assert tr.system_labels == {"ICD-10-CM": 4, "ICD-10-PCS": 1}
    assert tr.system_codes == {"ICD-10-CM": 3, "ICD-10-PCS": 1}
    assert stats.distinct_codes == 5
    assert stats.documents == 4


def test_frequency_buckets(stats) -> None:
    tr, te = stats.splits["train"], stats.splits["test"]
    # train doc counts: E11.9 -> 2 (frequent at threshold 2), I10, 0SRC0J9, M17.11 -> 1 (few-shot)
    assert tr.bucket_codes == {"frequent": 1, "few_shot": 3, "unseen": 0}
    assert tr.bucket_labels == {"frequent": 2, "few_shot": 3, "unseen": 0}
    assert te.bucket_codes == {"frequent": 1, "few_shot": 0, "unseen": 1}
    assert te.unseen_in_reference == 1
    assert te.codes_per_doc_median == 2.0


def test_default_threshold_is_ten_train_documents() -> None:
    s = compute_stats({"train": TRAIN, "test": TEST})
    assert s.frequent_min == 10
    assert s.splits["train"].bucket_codes == {"frequent": 0, "few_shot": 4, "unseen": 0}


def test_single_split_is_its_own_reference() -> None:
    s = compute_stats({"all": TRAIN + TEST})
    assert s.reference_split == "all" and s.splits["all"].unseen_in_reference == 0


def test_card_markdown(stats, tmp_path: Path) -> None:
    text = render_card("synthetic", stats, CARD_METADATA["synthetic"])
    assert text.startswith("# Data card: medcoder synthetic corpus")
    assert "| documents | 3 | 1 |" in text
    assert "| codes per document (mean) | 1.7 | 2.0 |" in text
    assert "| test | 1 (1) | 0 (0) | 1 (1) |" in text
    assert "## Known caveats" in text and "documentation gaps" in text.lower()
    path = write_card("synthetic", stats, out_dir=tmp_path)
    assert path == tmp_path / "synthetic.md" and path.read_text(encoding="utf-8") == text


def test_codiesp_card_names_license_and_source(stats) -> None:
    text = render_card("codiesp", stats, CARD_METADATA["codiesp"])
    assert "CC BY 4.0" in text and "10.5281/zenodo.3837305" in text
