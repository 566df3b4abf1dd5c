"""Medical necessity and payer packs: the shipped EXAMPLE packs and validation errors."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from medcoder.errors import InputFormatError
from medcoder.rules.findings import Severity
from medcoder.rules.packs import check_packs, load_pack, load_packaged_pack, packaged_packs
from medcoder.rules.packs.loader import parse_pack


@pytest.fixture(scope="module")
def packs():
    return [load_packaged_pack(n) for n in packaged_packs()]


def test_packaged_packs_load_and_are_labelled_examples(packs):
    assert packaged_packs() == ["example_lcd_vitamin_d.yaml", "example_payer_rules.yaml"]
    assert all("EXAMPLE" in p.pack.title for p in packs)


def test_vitamin_d_covered_and_not_covered(enc, packs):
    medicare = {"payer": "MEDICARE", "patient": {"age": 70, "sex": "F"}}
    assert check_packs(enc(["E55.9"], [("82306",)], **medicare), packs) == []
    assert check_packs(enc(["N18.4"], [("82306",)], **medicare), packs) == []  # N18.3-N18.6 range
    (f,) = check_packs(enc(["Z00.00"], [("82306",)], **medicare), packs)
    assert f.rule_id == "MN.VITD-25OH" and f.severity is Severity.ERROR and "not covered" in f.message
    (f,) = check_packs(enc(["I10"], [("82306",)], **medicare), packs)
    assert "no reported diagnosis is on the covered list" in f.message
    # Other payers and dates before the pack's effective date are out of scope.
    assert check_packs(enc(["I10"], [("82306",)], payer="ACME"), packs) == []
    assert check_packs(enc(["I10"], [("82306",)], payer="MEDICARE", day=dt.date(2025, 12, 31)), packs) == []


def test_payer_rules(enc, packs):
    acme = {"payer": "ACME", "patient": {"age": 45, "sex": "M"}}
    (f,) = check_packs(enc(["M54.50"], [("97110", (), 2)], **acme), packs)
    assert f.rule_id == "PAYER.ACME-PT-GP" and f.severity is Severity.ERROR
    assert check_packs(enc(["M54.50"], [("97110", ("GP",), 2)], **acme), packs) == []
    over = check_packs(enc(["M54.50"], [("97110", ("GP",), 5)], **acme), packs)
    assert [x.rule_id for x in over] == ["PAYER.ACME-UNITS-97110"]
    pap = check_packs(enc(["Z01.411"], [("88175",)], **acme), packs)
    assert [(x.rule_id, x.severity) for x in pap] == [("PAYER.ACME-PAP-SEX", Severity.WARNING)]
    tele = check_packs(enc(["I10"], [("99213",)], place_of_service="10", **acme), packs)
    assert [x.rule_id for x in tele] == ["PAYER.ACME-TELEHEALTH-POS"]


def test_frequency_rule_counts_prior_services(enc, packs):
    kw = {"payer": "ACME", "patient": {"age": 60, "sex": "F"}}
    recent = [{"code": "45378", "date": "2020-03-01"}]
    old = [{"code": "45378", "date": "2014-03-01"}]
    fired = check_packs(enc(["Z12.11"], [("45378",)], prior_services=recent, **kw), packs)
    assert [x.rule_id for x in fired] == ["PAYER.ACME-SCREEN-COLON-FREQ"]
    assert check_packs(enc(["Z12.11"], [("45378",)], prior_services=old, **kw), packs) == []


def _bad(body: str) -> str:
    with pytest.raises(InputFormatError) as e:
        parse_pack(textwrap.dedent(body), "bad_pack.yaml")
    return str(e.value)


HEADER = """
    pack: {id: p1, kind: medical_necessity, title: t, source: s, version: "1", effective_from: 2026-01-01}
"""


def test_bad_code_range_names_file_rule_and_problem():
    msg = _bad(
        HEADER
        + """
    coverage:
      - id: R1
        procedures: ["82306"]
        covered_diagnoses: ["E55", "not-a-code"]
    """
    )
    assert msg.startswith("bad_pack.yaml: rule R1: coverage.0.covered_diagnoses")
    assert "'not-a-code' is not an ICD-10-CM code or range" in msg


def test_bad_packs_other_problems():
    assert "rule R2: rules.0.action" in _bad("""
    pack: {id: p, kind: payer_rules, title: t, source: s, version: "1", effective_from: 2026-01-01}
    rules:
      - {id: R2, when: {procedures_any: ["97110"]}, action: reject, message: m}
    """)
    assert "needs at least one condition" in _bad("""
    pack: {id: p, kind: payer_rules, title: t, source: s, version: "1", effective_from: 2026-01-01}
    rules:
      - {id: R3, when: {}, action: deny, message: m}
    """)
    assert "duplicate rule id(s): R1" in _bad(
        HEADER
        + """
    coverage:
      - {id: R1, procedures: ["82306"], covered_diagnoses: ["E55"]}
      - {id: R1, procedures: ["82652"], covered_diagnoses: ["E55"]}
    """
    )
    assert "effective_to 2025-01-01 is before effective_from" in _bad("""
    pack: {id: p, kind: medical_necessity, title: t, source: s, version: "1", effective_from: 2026-01-01, effective_to: 2025-01-01}
    coverage: [{id: R1, procedures: ["82306"], covered_diagnoses: ["E55"]}]
    """)
    assert "rule R4: coverage.0.typo" in _bad(
        HEADER
        + """
    coverage: [{id: R4, procedures: ["82306"], covered_diagnoses: ["E55"], typo: 1}]
    """
    )
    assert "invalid YAML" in _bad("pack: [unclosed")


def test_load_pack_from_disk(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(
        textwrap.dedent(HEADER) + "coverage: [{id: R1, procedures: ['82306'], covered_diagnoses: ['E55']}]\n"
    )
    assert load_pack(p).coverage[0].id == "R1"
    with pytest.raises(InputFormatError, match="pack file not found"):
        load_pack(tmp_path / "missing.yaml")
