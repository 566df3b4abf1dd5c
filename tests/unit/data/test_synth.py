"""Synthetic corpus: determinism, exact spans, distractors never labelled, code-set conventions.

Expected values are ICD-10-CM / CPT facts written out by hand here (sex-specific chapters, the AMA
office E/M time ranges, trimester week ranges, 7th characters), not the generator's own tables.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import simple_icd_10_cm as icd

from medcoder.data.records import CodeSystem, Setting, Sex
from medcoder.data.synth import generate_corpus, generate_corpus_with_truth

N = 600


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus_with_truth(N, 0)


def _icd_labels(doc):
    return [lab for lab in doc.labels if lab.system == CodeSystem.ICD10CM]


def test_same_seed_same_corpus_and_prefix_stable():
    a = generate_corpus(40, 7)
    b = generate_corpus(40, 7)
    assert a == b
    assert generate_corpus(15, 7) == a[:15]
    c = generate_corpus(40, 8)
    assert [d.text for d in a] != [d.text for d in c]
    assert len({d.id for d in a}) == 40


def test_every_label_span_is_its_mention(corpus):
    docs, truths = corpus
    for doc, truth in zip(docs, truths, strict=True):
        assert truth.doc_id == doc.id
        for m in truth.mentions:
            assert doc.text[m.span.start : m.span.end] == m.text
            assert m.text.strip() == m.text and m.text
        present = {(m.system, m.code): [] for m in truth.mentions if m.assertion == "present"}
        for m in truth.mentions:
            if m.assertion == "present":
                present[(m.system, m.code)].append(m.span)
        assert {(lab.system, lab.code) for lab in doc.labels} == set(present)
        for lab in doc.labels:
            assert lab.spans, f"{doc.id} {lab.code} has no evidence"
            assert list(lab.spans) == present[(lab.system, lab.code)]


def test_distractor_codes_never_labelled(corpus):
    docs, truths = corpus
    kinds = Counter()
    for doc, truth in zip(docs, truths, strict=True):
        labelled = set(doc.codes())
        for m in truth.mentions:
            if m.assertion != "present":
                kinds[m.assertion] += 1
                assert m.code not in labelled, (
                    f"{doc.id}: {m.assertion} mention {m.text!r} of {m.code} is labelled"
                )
    for kind in ("negated", "family", "historical", "hypothetical"):
        assert kinds[kind] >= 20, kinds


def test_distractors_carry_their_cue(corpus):
    """The words around a distractor make it non-codable: a negation, a relative, 'resolved', 'rule out'."""
    docs, truths = corpus
    cues = {
        "negated": re.compile(r"(denie[sd]|negative for|\bno\b|without evidence|ruled out)", re.I),
        "family": re.compile(r"(mother|father|sister|brother|grandmother|grandfather)", re.I),
        "historical": re.compile(r"(resolved|history)", re.I),
        "hypothetical": re.compile(r"(rule out|differential|cannot exclude|consider)", re.I),
    }
    for doc, truth in zip(docs, truths, strict=True):
        for m in truth.mentions:
            if m.assertion == "present":
                continue
            line_start = doc.text.rfind("\n", 0, m.span.start) + 1
            line_end = doc.text.find("\n", m.span.end)
            line = doc.text[line_start : line_end if line_end >= 0 else None]
            assert cues[m.assertion].search(line), f"{doc.id}: {m.assertion} {m.text!r} in {line!r}"


def test_codes_are_billable_and_in_known_sets(corpus):
    docs, truths = corpus
    em_and_procedures = {
        "99202",
        "99203",
        "99204",
        "99205",
        "99212",
        "99213",
        "99214",
        "99215",
        "99221",
        "99222",
        "99223",
        "99238",
        "99239",
        "99282",
        "99283",
        "99284",
        "99285",
        "99406",
        "99381",
        "99382",
        "99383",
        "99384",
        "99385",
        "99386",
        "99387",
        "99391",
        "99392",
        "99393",
        "99394",
        "99395",
        "99396",
        "99397",
        "10060",
        "12001",
        "20610",
        "45378",
        "66984",
    }
    for doc, truth in zip(docs, truths, strict=True):
        for lab in doc.labels:
            if lab.system == CodeSystem.ICD10CM:
                assert icd.is_valid_item(lab.code) and icd.is_leaf(lab.code), lab.code
            elif lab.system == CodeSystem.CPT:
                assert lab.code in em_and_procedures, lab.code
            else:
                assert lab.system == CodeSystem.HCPCS and lab.code in {"G0439", "G0101", "G0121"}, lab
        for code in truth.distractor_codes():
            assert icd.is_valid_item(code) and icd.is_leaf(code), code


def test_sex_and_age_fit_the_codes(corpus):
    docs, _ = corpus
    for doc in docs:
        age, sex = doc.patient.age, doc.patient.sex
        for code in doc.codes(CodeSystem.ICD10CM):
            c = code.replace(".", "")
            if c[0] == "O" or c[:3] in {"Z34", "Z3A"}:
                assert sex == Sex.FEMALE and 12 <= age <= 55, (doc.id, code, age, sex)
            if "N40" <= c[:3] <= "N53" or c[:3] == "C61" or c.startswith("R972"):
                assert sex == Sex.MALE, (doc.id, code)
            if "N70" <= c[:3] <= "N98" or c.startswith("Z014") or c.startswith("Z301"):
                assert sex == Sex.FEMALE, (doc.id, code)
            if c[0] == "P":
                assert age == 0, (doc.id, code)
            if c.startswith("Z0012"):
                assert age < 18, (doc.id, code)
            if c.startswith("Z000"):
                assert age >= 18, (doc.id, code)
            if c.startswith("Z685"):
                assert 2 <= age <= 19, (doc.id, code)
            elif c.startswith("Z68"):
                assert age >= 20, (doc.id, code)
            if c.startswith("O0951") or c.startswith("O0952"):  # elderly primigravida / multigravida
                assert age >= 35, (doc.id, code)
        bands = {
            "99381": (0, 0),
            "99391": (0, 0),
            "99382": (1, 4),
            "99392": (1, 4),
            "99383": (5, 11),
            "99393": (5, 11),
            "99384": (12, 17),
            "99394": (12, 17),
            "99385": (18, 39),
            "99395": (18, 39),
            "99386": (40, 64),
            "99396": (40, 64),
            "99387": (65, 130),
            "99397": (65, 130),
        }
        for code in doc.codes(CodeSystem.CPT):
            if code in bands:
                lo, hi = bands[code]
                assert lo <= age <= hi, (doc.id, code, age)


def test_laterality_of_mentions_matches_the_code(corpus):
    _, truths = corpus
    word = {s: re.compile(rf"\b{s}\b", re.I) for s in ("left", "right")}
    checked = 0
    for truth in truths:
        for m in truth.mentions:
            if m.system != CodeSystem.ICD10CM:
                continue
            desc = icd.get_description(m.code)
            for side, rx in word.items():
                if rx.search(desc):
                    checked += 1
                    assert rx.search(m.text), f"{m.code} ({desc}) mentioned as {m.text!r}"
                elif rx.search(m.text):
                    raise AssertionError(f"{m.text!r} names the {side} side but {m.code} is {desc!r}")
    assert checked > 50


def test_seventh_character_follows_the_setting(corpus):
    docs, _ = corpus
    seen = Counter()
    for doc in docs:
        for code in doc.codes(CodeSystem.ICD10CM):
            if code[0] in "ST" and len(code.replace(".", "")) == 7:
                seventh = code[-1]
                seen[seventh] += 1
                if seventh == "A":  # initial encounter: active treatment
                    assert (
                        doc.setting in (Setting.EMERGENCY, Setting.INPATIENT)
                        or doc.doc_type == "procedure_note"
                    )
                elif seventh == "D":  # subsequent encounter: routine healing, follow-up visit
                    assert doc.setting == Setting.OUTPATIENT, (doc.id, code)
    assert seen["A"] > 10 and seen["D"] > 3


def test_sections_tile_the_text(corpus):
    docs, truths = corpus
    for doc, truth in zip(docs, truths, strict=True):
        secs = doc.sections
        assert secs[0].start == 0 and secs[-1].end == len(doc.text)
        for a, b in zip(secs, secs[1:], strict=False):
            assert a.end == b.start and a.start < a.end
        names = [s.name for s in secs]
        assert len(names) == len(set(names)), names
        for m in truth.mentions:
            inside = [s for s in secs if s.start <= m.span.start and m.span.end <= s.end]
            assert len(inside) == 1 and inside[0].name == m.section
    office = next(d for d in docs if d.doc_type == "progress_note")
    by_name = {s.name: s for s in office.sections}
    for name in ("chief_complaint", "history_of_present_illness", "medications", "assessment_and_plan"):
        assert name in by_name
    hpi = by_name["history_of_present_illness"]
    assert office.text[hpi.start : hpi.end].lower().startswith(("history of present illness:", "hpi:"))


def test_em_level_agrees_with_documented_time(corpus):
    docs, _ = corpus
    office_minutes = {
        "99202": (15, 29),
        "99203": (30, 44),
        "99204": (45, 59),
        "99205": (60, 74),
        "99212": (10, 19),
        "99213": (20, 29),
        "99214": (30, 39),
        "99215": (40, 54),
    }
    timed = 0
    for doc in docs:
        for lab in doc.labels:
            span_text = doc.text[lab.spans[0].start : lab.spans[0].end]
            minutes = re.search(r"(\d+) minutes", span_text)
            if lab.code in office_minutes and minutes:
                timed += 1
                lo, hi = office_minutes[lab.code]
                assert lo <= int(minutes.group(1)) <= hi, (doc.id, lab.code, span_text)
            if lab.code in ("99238", "99239"):
                assert doc.doc_type == "discharge_summary"
                assert (int(minutes.group(1)) <= 30) == (lab.code == "99238"), span_text
            if lab.code in ("99282", "99283", "99284", "99285"):
                assert doc.setting == Setting.EMERGENCY
        em = [c for c in doc.codes(CodeSystem.CPT) if c.startswith("992")]
        if doc.doc_type in ("ed_note", "consult", "discharge_summary"):
            assert len(em) == 1, (doc.id, em)
    assert timed > 20


def test_use_additional_code_pairs_and_exclusive_groups(corpus):
    docs, _ = corpus
    for doc in docs:
        codes = doc.codes(CodeSystem.ICD10CM)
        if "E11.22" in codes or "I12.9" in codes:
            assert any(c.startswith("N18.") for c in codes), (doc.id, codes)  # "use additional code ... CKD"
        if "G30.9" in codes:
            assert "F02.80" in codes
        if "J12.82" in codes:
            assert "U07.1" in codes
        if "E66.01" in codes:
            assert any(c.startswith("Z68.4") for c in codes)
        assert sum(c.startswith("N18.") for c in codes) <= 1
        assert sum(c[:3] in ("E10", "E11") for c in codes) <= 1
        if "Z79.4" in codes or "Z79.84" in codes:
            assert any(c.startswith("E11.") for c in codes), (doc.id, codes)
        if "Z79.4" in codes:
            assert "insulin" in doc.text.lower()
        if "Z79.01" in codes:
            assert re.search(r"apixaban|warfarin|rivaroxaban", doc.text), doc.id
        if "Z00.00" in codes:  # "without abnormal findings": nothing else is diagnosed
            assert codes == ["Z00.00"] or set(codes) <= {
                "Z00.00",
                "Z23",
                "Z88.0",
                "Z88.2",
                "Z72.0",
                "Z87.891",
            }


def test_pregnancy_weeks_match_trimester(corpus):
    docs, _ = corpus
    seen = 0
    for doc in docs:
        codes = doc.codes(CodeSystem.ICD10CM)
        weeks = [int(c.split(".")[1]) for c in codes if c.startswith("Z3A.")]
        if not any(c[0] == "O" or c.startswith("Z34.") for c in codes):
            assert not weeks
            continue
        seen += 1
        assert len(weeks) == 1
        for code in codes:
            if code.startswith(("Z34.", "O09.5", "O13.")):  # last character is the trimester
                lo, hi = {1: (0, 13), 2: (14, 27), 3: (28, 42)}[int(code[-1])]
                assert lo <= weeks[0] <= hi, (doc.id, codes)
        assert doc.doc_type == "progress_note" and not doc.codes(CodeSystem.CPT)  # global OB package
    assert seen >= 3


def test_code_frequencies_are_long_tailed(corpus):
    docs, _ = corpus
    freq = Counter(c for d in docs for c in d.codes(CodeSystem.ICD10CM))
    counts = sorted(freq.values(), reverse=True)
    assert counts[0] >= 10 * counts[len(counts) // 2]
    assert sum(1 for c in counts if c >= 20) >= 5 and sum(1 for c in counts if c <= 2) >= 20
    assert len(freq) >= 150


def test_document_types_and_settings(corpus):
    docs, _ = corpus
    types = Counter(d.doc_type for d in docs)
    assert set(types) == {"progress_note", "ed_note", "discharge_summary", "consult", "procedure_note"}
    setting = {
        "progress_note": {Setting.OUTPATIENT},
        "ed_note": {Setting.EMERGENCY},
        "discharge_summary": {Setting.INPATIENT},
        "consult": {Setting.INPATIENT},
        "procedure_note": {Setting.OUTPATIENT, Setting.EMERGENCY},
    }
    for d in docs:
        assert d.setting in setting[d.doc_type]
        assert d.encounter_date is not None and d.payer and d.source == "synthetic"
        if d.payer.startswith("Medicare"):
            assert d.patient.age >= 18


@pytest.mark.slow
def test_output_does_not_depend_on_the_process_hash_seed(tmp_path):
    """Byte-identical output across interpreter runs (set/dict order must not leak into the text)."""
    import hashlib
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, json, dataclasses\n"
        "from medcoder.data.synth import generate_corpus\n"
        "docs = generate_corpus(60, 11)\n"
        "blob = json.dumps([dataclasses.asdict(d) for d in docs], default=str, sort_keys=True)\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    import dataclasses
    import json

    here = json.dumps([dataclasses.asdict(d) for d in generate_corpus(60, 11)], default=str, sort_keys=True)
    assert hashlib.sha256(here.encode()).hexdigest() in digests
