"""Laterality from side words around a mention (hand-labelled sentences)."""

from __future__ import annotations

import pytest

from medcoder.data.records import Span
from medcoder.nlp.laterality import Laterality, laterality, laterality_mentions


def at(text: str, phrase: str) -> Span:
    i = text.index(phrase)
    return Span(i, i + len(phrase))


@pytest.mark.parametrize(
    ("text", "phrase", "side"),
    [
        ("Fracture of the left distal radius.", "distal radius", Laterality.LEFT),
        ("Right knee effusion noted.", "knee effusion", Laterality.RIGHT),
        ("Bilateral lower extremity edema.", "lower extremity edema", Laterality.BILATERAL),
        ("Cataract in both eyes.", "Cataract", Laterality.BILATERAL),
        ("Pain in knee (L).", "knee", Laterality.LEFT),
        ("Lt. shoulder pain. Right hip is normal.", "shoulder pain", Laterality.LEFT),
        ("Right hip is normal. Shoulder pain.", "Shoulder pain", Laterality.UNSPECIFIED),
        ("Knee pain, will call right away.", "Knee pain", Laterality.UNSPECIFIED),
        ("Left knee pain and right hip pain.", "hip pain", Laterality.RIGHT),
    ],
)
def test_laterality(text: str, phrase: str, side: Laterality) -> None:
    assert laterality(text, at(text, phrase)) is side


def test_mentions_in_order() -> None:
    text = "left arm, right leg, bilateral feet"
    assert [(s.start, side.value) for s, side in laterality_mentions(text)] == [
        (0, "left"),
        (10, "right"),
        (21, "bilateral"),
    ]
