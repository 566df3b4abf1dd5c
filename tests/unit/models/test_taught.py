"""Coder-taught phrases: learning rules, matching in clauses, and the index coder carrying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import require_shared
from medcoder.models.index_match import Match
from medcoder.models.taught import TAUGHT_NODE, TaughtPhrase, TaughtPhrases, phrase_stems
from medcoder.nlp.mentions import clauses

CM = "ICD-10-CM"


def test_phrase_is_normalised_like_a_clause() -> None:
    # "of" and "the" are stop words; "necrosis" -> "necrosi", "tissues" -> "tissu" (suffix "es")
    assert phrase_stems("Necrosis of the tissues") == {"necrosi", "tissu"}
    assert phrase_stems("NECROSIS") == phrase_stems("necrosis")


def test_learn_keeps_phrases_with_support_and_drops_the_rest() -> None:
    pairs = [
        ("necrosis", CM, "I96"),
        ("Necrosis", CM, "i96"),  # same phrase, same code after normalising: support 2
        ("HCV", CM, "B19.20"),  # taught once: rare
        ("a b c d e f g h", CM, "R69"),  # one-letter words are dropped -> no words
        ("one two three four five six seven", CM, "R69"),  # 7 stems > max_words 6
        ("necrosis", "CPT", "11042"),  # not ICD-10-CM
    ]
    taught = TaughtPhrases.learn(pairs)
    assert taught.phrases == (TaughtPhrase(frozenset({"necrosi"}), "I96", 2),)
    assert taught.dropped == {"no_words": 1, "other_system": 1, "rare": 1, "too_long": 1}


def test_a_phrase_keeps_its_majority_code_and_a_tie_drops_it() -> None:
    pairs = [("slough", CM, "I96")] * 3 + [("slough", CM, "L98.9")]
    pairs += [("mass", CM, "R22.9")] * 2 + [("mass", CM, "R19.00")] * 2
    taught = TaughtPhrases.learn(pairs)
    assert [(sorted(p.stems), p.code, p.support) for p in taught.phrases] == [(["slough"], "I96", 3)]
    assert taught.dropped == {"conflicting": 4, "outvoted": 1}


def test_unknown_codes_are_dropped() -> None:
    taught = TaughtPhrases.learn([("necrosis", CM, "I96")] * 2, known=lambda c: c != "I96")
    assert len(taught) == 0 and taught.dropped == {"unknown_code": 2}


def test_matches_affirmed_clauses_only_with_word_offsets() -> None:
    text = "Skin necrosis of the left foot.\nNo necrosis of the toes."
    taught = TaughtPhrases.learn([("necrosis", CM, "I96")] * 2)
    parts = clauses(text)
    found = taught.matches(text, parts)
    assert len(found) == 1  # the second clause is negated ("No necrosis")
    m = found[0]
    assert (m.code, m.node, m.main, m.clause, m.start, m.end) == ("I96", TAUGHT_NODE, TAUGHT_NODE, 0, 5, 13)
    assert text[m.start : m.end] == "necrosis"


def test_two_word_phrase_needs_both_words_close_together() -> None:
    taught = TaughtPhrases.learn([("dry necrosis", CM, "I96")] * 2)
    near = "Dry necrosis of the heel."
    far = "Dry skin on the heel and later some necrosis."
    assert [(m.start, m.end) for m in taught.matches(near, clauses(near))] == [(0, 12)]
    assert taught.matches(far, clauses(far)) == []


def test_a_code_the_index_proposes_in_the_clause_is_not_proposed_again() -> None:
    text = "Skin necrosis of the left foot."
    taught = TaughtPhrases.learn([("necrosis", CM, "I96")] * 2)
    index = Match("I96", "I96", 7, 7, 0, 5, 13, 1, 0, 0, False, 1, frozenset({"necrosi"}))
    assert taught.matches(text, clauses(text), [index]) == []


def test_round_trip_to_dict() -> None:
    taught = TaughtPhrases.learn([("dry necrosis", CM, "I96")] * 2 + [("x y", CM, "I96")])
    again = TaughtPhrases.from_dict(json.loads(json.dumps(taught.to_dict())))
    assert again.phrases == taught.phrases and again.dropped == taught.dropped


# --- the index coder with taught phrases (needs the shared ICD-10-CM index) -----------------------


@pytest.fixture(scope="module")
def matcher():
    require_shared("icd10cm_index")
    from medcoder.models.index_match import IndexMatcher
    from medcoder.terminology.coding_index import load_coding_index

    return IndexMatcher(load_coding_index())


def _docs():
    from medcoder.data.records import CodeLabel, CodeSystem, Document

    def doc(i: int, text: str, *codes: str) -> Document:
        return Document(id=f"d{i}", text=text, labels=tuple(CodeLabel(CodeSystem.ICD10CM, c) for c in codes))

    return [
        doc(1, "Skin necrosis of the left foot. Hypertension.", "I96", "I10"),
        doc(2, "Necrosis of the heel. Fever.", "I96", "R50.9"),
        doc(3, "Hypertension. Fever.", "I10"),
        doc(4, "Anemia. Necrosis of the wound edge.", "D64.9"),
    ]


def test_index_coder_proposes_taught_codes_and_saves_them(matcher, tmp_path: Path) -> None:
    from medcoder.models.index_coder import IndexCoder

    plain = IndexCoder(matcher).fit(_docs())
    note = "Necrosis of the toe."
    assert "I96" not in {p.code for p in plain.score(note)}  # the index does not reach it from "necrosis"
    assert "taught" not in plain.to_dict()  # no phrases: the same JSON as before

    taught = TaughtPhrases.learn([("necrosis", CM, "I96")] * 2)
    coder = IndexCoder(matcher, taught=taught).fit(_docs())
    pred = {p.code: p for p in coder.score(note)}
    assert pred["I96"].index_path == "coder-taught phrase > Gangrene, not elsewhere classified"
    assert [(s.start, s.end) for s in pred["I96"].spans] == [(0, 8)]
    # the pooled taught path: proposed in d1, d2, d4 (the note of the test is not training data), right in 2
    assert coder.priors.path[TAUGHT_NODE] == [3, 2]

    coder.save(tmp_path)
    loaded = IndexCoder.load(tmp_path, matcher)
    assert loaded.taught is not None and loaded.taught.phrases == taught.phrases
    assert [(p.code, p.probability) for p in loaded.score(note)] == [
        (p.code, p.probability) for p in coder.score(note)
    ]

    plain.save(tmp_path / "old")  # a JSON written without phrases still loads
    assert IndexCoder.load(tmp_path / "old", matcher).taught is None
