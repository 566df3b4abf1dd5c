"""CodiEsp loader against the published counts (shared README, upstream paper) and raw files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.data.codiesp import (
    codiesp_mapping_report,
    load_codiesp,
    load_codiesp_splits,
    normalize_codiesp_code,
)
from medcoder.data.records import CodeSystem
from medcoder.data.stats import compute_stats

DOC = "S0004-06142005000700014-1"  # first article of the train split


@pytest.fixture(scope="module")
def root() -> Path:
    return require_shared("codiesp")


@pytest.fixture(scope="module")
def splits_en(root: Path) -> dict:
    return load_codiesp_splits(root)


@pytest.mark.parametrize(
    ("split", "docs", "d_rows", "p_rows", "d_codes", "p_codes", "docs_with_p"),
    [
        ("train", 500, 5639, 1550, 1767, 563, 435),
        ("dev", 250, 2677, 817, 1158, 375, 222),
        ("test", 250, 2842, 879, 1143, 371, 224),
    ],
)
def test_published_counts(splits_en, split, docs, d_rows, p_rows, d_codes, p_codes, docs_with_p) -> None:
    loaded = splits_en[split]
    assert len(loaded) == docs
    d = [c for doc in loaded for c in doc.codes(CodeSystem.ICD10CM)]
    p = [c for doc in loaded for c in doc.codes(CodeSystem.ICD10PCS)]
    assert (len(d), len(p)) == (d_rows, p_rows)
    assert (len(set(d)), len(set(p))) == (d_codes, p_codes)
    assert sum(1 for doc in loaded if doc.codes(CodeSystem.ICD10PCS)) == docs_with_p
    assert all(doc.codes(CodeSystem.ICD10CM) for doc in loaded)  # every document has a D code


def test_first_codes_match_the_raw_files_in_order(root: Path, splits_en) -> None:
    # Read the TSVs independently of the loader: ranked order must be kept for MAP.
    raw_d = [
        line.split("\t")[1].strip()
        for line in (root / "train/trainD.tsv").read_text().splitlines()
        if line.split("\t")[0] == DOC
    ]
    raw_p = [
        line.split("\t")[1].strip()
        for line in (root / "train/trainP.tsv").read_text().splitlines()
        if line.split("\t")[0] == DOC
    ]
    assert raw_d[0] == "n44.8" and raw_p[-1] == "bn20"
    doc = next(d for d in splits_en["train"] if d.id == DOC)
    assert doc.codes(CodeSystem.ICD10CM) == [c.upper() for c in raw_d]
    assert doc.codes(CodeSystem.ICD10CM)[0] == "N44.8"
    assert doc.codes(CodeSystem.ICD10PCS) == [c.upper() for c in raw_p]
    assert "BW03ZZZ" in doc.codes(CodeSystem.ICD10PCS) and "BN20" in doc.codes(CodeSystem.ICD10PCS)
    assert doc.text == (root / f"train/text_files_en/{DOC}.txt").read_text(encoding="utf-8")
    assert doc.language == "en" and all(not lab.spans for lab in doc.labels)  # English has no gold spans


def test_spanish_spans_point_at_the_mentions(root: Path) -> None:
    docs = {d.id: d for d in load_codiesp(root, "train", language="es")}
    doc = docs[DOC]
    by_code = {lab.code: lab for lab in doc.labels}
    # trainX.tsv: "n44.8  teste derecho aumentado de tamaño  1343 1376"
    assert [sp.text(doc.text) for sp in by_code["N44.8"].spans] == ["teste derecho aumentado de tamaño"]
    # discontinuous: "3e02329  Estreptomicina intramuscular  2787 2801;2810 2823"
    assert [sp.text(doc.text) for sp in by_code["3E02329"].spans] == ["Estreptomicina", "intramuscular"]
    assert by_code["3E02329"].system == CodeSystem.ICD10PCS


def test_codes_unseen_in_train_match_the_readme(root: Path) -> None:
    # Shared README: "dev has 427 and test 439 D codes never seen in train"; 2,557 distinct D codes.
    stats = compute_stats(load_codiesp_splits(root, tasks=("D",)))
    assert stats.splits["dev"].unseen_in_reference == 427
    assert stats.splits["test"].unseen_in_reference == 439
    assert stats.distinct_codes == 2557


def test_mapping_report_against_icd10cm_2026(splits_en) -> None:
    # Shared README: 2,459 of the 2,557 D codes exist in the US ICD-10-CM April-2026 list.
    report = codiesp_mapping_report(splits_en)
    assert report.d_codes_total == 2557
    assert len(report.unmapped_d) == 2557 - 2459
    assert report.splits["train"].d_rows == 5639 and report.splits["test"].p_rows == 879
    assert (
        "N44.8" not in report.unmapped_d
    )  # exists in ICD-10-CM (other specified noninflammatory disorders of testis)
    # W19.XXX (unspecified fall) is annotated without the 7th character that ICD-10-CM requires (W19.XXXA)
    assert "W19.XXX" in report.unmapped_d and "W19.XXX" in report.d_missing_seventh
    assert "BW03" not in report.unmapped_p  # 4-axis prefix of BW03ZZZ (plain radiography of chest)
    assert sum(report.unmapped_d.values()) == sum(s.d_unmapped_rows for s in report.splits.values())


def test_normalize_codiesp_code() -> None:
    assert normalize_codiesp_code(" n44.8 ", "D") == "N44.8"
    assert normalize_codiesp_code("r52", "D") == "R52"
    assert normalize_codiesp_code("bw03", "P") == "BW03"


def test_bad_arguments(root: Path) -> None:
    with pytest.raises(ValueError, match="unknown CodiEsp split"):
        load_codiesp(root, "validation")
    with pytest.raises(ValueError, match="language"):
        load_codiesp(root, "dev", language="fr")
