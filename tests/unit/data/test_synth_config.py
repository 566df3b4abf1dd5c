"""Synthetic corpus configuration: code sets, document mix, catalog files and their errors."""

from __future__ import annotations

import datetime as dt

import pytest
import simple_icd_10_cm as icd

from medcoder.data.records import CodeSystem, Setting
from medcoder.data.synth import SynthConfig, generate_corpus, generate_corpus_with_truth, load_catalog
from medcoder.data.synth.catalog import parse_catalog
from medcoder.errors import InputFormatError


def test_default_catalog_is_a_few_hundred_billable_codes():
    cat = load_catalog()
    assert 200 <= len(cat.specs) <= 450
    assert len({s.code for s in cat.specs}) == len(cat.specs)
    for spec in cat.specs:
        assert icd.is_leaf(spec.code), spec.code
    # injuries with laterality and a 7th character, both encounters
    assert {"S52.521A", "S52.522A", "S52.521D", "S82.61XA", "S83.92XD"} <= set(cat.by_code)
    # bilateral entries read naturally
    assert any("both ears" in m for m in cat.by_code["H66.93"].mentions)
    # gestational hypertension (20+ weeks) has no first-trimester variant
    assert "O13.1" not in cat.by_code and "O13.2" in cat.by_code


def test_restricted_code_set_keeps_required_partners():
    cfg = SynthConfig(codes=("E11.22", "J18.9", "I10"), doc_type_mix={"progress_note": 1, "ed_note": 1})
    docs = generate_corpus(80, 3, cfg)
    icd_codes = {c for d in docs for c in d.codes(CodeSystem.ICD10CM)}
    assert {"E11.22", "J18.9", "I10"} <= icd_codes
    # E11.22 "use additional code to identify stage of chronic kidney disease (N18.1-N18.6)"
    extra = icd_codes - {"E11.22", "J18.9", "I10"}
    assert extra and all(c.startswith("N18.") for c in extra)
    assert {d.doc_type for d in docs} == {"progress_note", "ed_note"}


def test_codes_outside_the_catalog_use_their_tabular_description():
    cfg = SynthConfig(codes=("K35.30",), doc_type_mix={"progress_note": 1})
    docs, truths = generate_corpus_with_truth(5, 0, cfg)
    desc = icd.get_description("K35.30").lower()  # Acute appendicitis with localized peritonitis, ...
    for doc in docs:
        assert doc.codes(CodeSystem.ICD10CM) == ["K35.30"]
        lab = doc.labels[0]
        text = doc.text[lab.spans[0].start : lab.spans[0].end].lower()
        assert text.split(",")[0] in desc


def test_doc_type_mix_and_dates():
    cfg = SynthConfig(
        doc_type_mix={"ed_note": 1}, start_date=dt.date(2025, 2, 1), end_date=dt.date(2025, 2, 3)
    )
    docs = generate_corpus(20, 1, cfg)
    assert all(d.doc_type == "ed_note" and d.setting == Setting.EMERGENCY for d in docs)
    assert all(dt.date(2025, 2, 1) <= d.encounter_date <= dt.date(2025, 2, 3) for d in docs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"doc_type_mix": {"letter": 1.0}},
        {"doc_type_mix": {"ed_note": 0}},
        {"distractors": (3, 1)},
        {"time_statement_rate": 1.5},
        {"codes": ()},
    ],
)
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        SynthConfig(**kwargs)


def test_bad_codes_are_rejected():
    with pytest.raises(InputFormatError, match="not a billable"):
        generate_corpus(1, 0, SynthConfig(codes=("E11",)))  # a category, not billable
    with pytest.raises(InputFormatError, match="not a billable"):
        generate_corpus(1, 0, SynthConfig(codes=("Q99.99",)))


def test_config_from_yaml_with_code_file(tmp_path):
    (tmp_path / "codes.txt").write_text("# my code set\nI10\nE78.5  # lipids\n\n")
    (tmp_path / "synth.yaml").write_text(
        "codes: codes.txt\ndoc_type_mix: {progress_note: 1}\nstart_date: '2025-01-01'\nend_date: '2025-12-31'\n"
    )
    cfg = SynthConfig.from_yaml(tmp_path / "synth.yaml")
    assert cfg.codes == ("I10", "E78.5")
    assert cfg.start_date == dt.date(2025, 1, 1)
    docs = generate_corpus(10, 0, cfg)
    assert {c for d in docs for c in d.codes(CodeSystem.ICD10CM)} <= {"I10", "E78.5"}


def test_config_yaml_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("n_docs: 3\n")
    with pytest.raises(InputFormatError, match="bad.yaml.*unknown setting 'n_docs'"):
        SynthConfig.from_yaml(path)


def test_catalog_errors_name_the_line():
    text = (
        "version: test\n"
        "conditions:\n"
        "  - {c: I10, k: chronic, m: [hypertension]}\n"
        "  - {c: E11, k: chronic, m: [diabetes]}\n"
    )
    with pytest.raises(InputFormatError, match=r"<t>:4: 'E11' is not a billable"):
        parse_catalog(text, "<t>")
    text = (
        "conditions:\n  - {c: 'S52.52{s}A', sides: {right: '1', left: '2'}, k: injury, m: [wrist fracture]}\n"
    )
    with pytest.raises(InputFormatError, match=r":2: S52.521A: every mention must name the right side"):
        parse_catalog(text, "<t>")
    with pytest.raises(InputFormatError, match="kind 'sometimes'"):
        parse_catalog("conditions:\n  - {c: I10, k: sometimes}\n", "<t>")


def test_custom_catalog_file(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text(
        "version: mine\nconditions:\n"
        "  - {c: I10, k: chronic, w: 5, m: [hypertension], plan: ['Continue lisinopril.']}\n"
        "  - {c: 'M17.1{s}', sides: {right: '1', left: '2'}, k: chronic, p: knee_oa, age: [50, 90],\n"
        "     m: ['{side} knee osteoarthritis']}\n"
    )
    cfg = SynthConfig(catalog_path=path, doc_type_mix={"progress_note": 1, "procedure_note": 1})
    docs = generate_corpus(30, 2, cfg)
    codes = {c for d in docs for c in d.codes(CodeSystem.ICD10CM)}
    assert codes <= {"I10", "M17.11", "M17.12"}
    injections = [d for d in docs if d.doc_type == "procedure_note"]
    assert injections and all("20610" in d.codes(CodeSystem.CPT) for d in injections)


def test_every_catalog_entry_respects_sex_specific_chapters():
    """Hand-written entries agree with the sex/age the code itself implies (whole catalog, not a sample)."""
    for spec in load_catalog().specs:
        c = spec.code.replace(".", "")
        if c[0] == "O" or c[:3] in {"Z34", "Z3A"} or "N70" <= c[:3] <= "N98" or c[:3] == "E28":
            assert spec.sex is not None and spec.sex.value == "F" and spec.age[0] >= 12, spec.code
        if "N40" <= c[:3] <= "N53" or c[:3] == "C61" or c.startswith("R972"):
            assert spec.sex is not None and spec.sex.value == "M", spec.code
        if c[0] == "P":
            assert spec.age == (0, 0), spec.code
        if c.startswith("Z68") and not c.startswith("Z685"):
            assert spec.age[0] >= 20, spec.code  # adult BMI codes are for persons 20 years or older
