"""CodiEsp MAP rules, checked on a small example computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medcoder.errors import InputFormatError
from medcoder.metrics.codiesp_map import (
    average_precision,
    codiesp_map,
    ranked_codes,
    read_codiesp_tsv,
    write_codiesp_tsv,
)

VALID = {"a10.1", "b20", "c30", "d40", "e50", "f60", "z00", "q11"}
GOLD = {
    "d1": ["A10.1", "b20", "c30", "b20"],  # repeated gold pair merged
    "d2": ["d40"],
    "d3": ["e50"],  # only an invalid prediction -> counts as "no predictions"
    "d5": ["f60"],
}
PRED = {
    # x99 is not a valid code (dropped, rest re-ranked); the second B20 is a repeat (ignored)
    "d1": ["B20", "x99", "Z00", "a10.1", "B20"],  # -> b20 (hit 1/1), z00, a10.1 (hit 2/3)
    "d2": ["q11", "D40"],  # -> hit at rank 2: 1/2
    "d3": ["x99"],
    "d4": ["a10.1"],  # predicted, no gold -> 0
    "d5": ["F60"],  # -> 1
    "d6": ["b20", "c30"],  # predicted, no gold -> 0
}


def test_official_map_by_hand() -> None:
    m = codiesp_map(GOLD, PRED, VALID)
    ap1 = (1 + 2 / 3) / 3
    # official: documents with valid predictions d1 d2 d4 d5 d6 (d3's only code is invalid)
    assert m.n_predicted_docs == 5
    assert m.official == pytest.approx((ap1 + 1 / 2 + 0 + 1 + 0) / 5)
    # all gold documents d1 d2 d3 d5; d3 has no valid prediction -> 0
    assert m.n_gold_docs == 4
    assert m.all_gold == pytest.approx((ap1 + 1 / 2 + 0 + 1) / 4)
    assert m.average_precision["d1"] == pytest.approx(5 / 9)


def test_without_valid_list_every_code_counts() -> None:
    m = codiesp_map(GOLD, PRED, None)
    # d1 keeps x99: b20 (1/1), x99, z00, a10.1 (2/4) -> (1 + 1/2)/3; d3 now predicted: 0
    assert m.average_precision["d1"] == pytest.approx(0.5)
    assert m.n_predicted_docs == 6


def test_depth_cuts_after_filtering() -> None:
    m = codiesp_map({"d1": ["a", "b"]}, {"d1": ["x", "b", "a"]}, valid_codes={"a", "b"}, depth=1)
    assert m.official == pytest.approx((1 / 1) / 2)  # x dropped first, then only "b" is kept


def test_codes_compare_lower_cased_and_verbatim() -> None:
    assert codiesp_map({"d": ["N44.8"]}, {"d": ["n44.8"]}).official == 1.0
    assert codiesp_map({"d": ["N44.8"]}, {"d": ["n448"]}).official == 0.0
    assert codiesp_map({"d": ["N44.8"]}, {"d": ["N44"]}).official == 0.0  # no parent credit


def test_average_precision_divides_by_gold_count() -> None:
    assert average_precision(["a"], {"a", "b", "c", "d"}) == pytest.approx(1 / 4)
    assert average_precision(["a"], set()) == 0.0


def test_ranked_codes_orders_and_cuts() -> None:
    scores = np.array([[0.1, 0.9, 0.0, 0.5], [0.2, 0.2, 0.3, 0.0]])
    out = ranked_codes(["x", "y"], scores, ["A", "B", "C", "D"], top_k=3)
    assert out == {"x": ["B", "D", "A"], "y": ["C", "A", "B"]}  # tie A/B keeps column order
    assert ranked_codes(["x"], scores[:1], ["A", "B", "C", "D"], top_k=10) == {"x": ["B", "D", "A"]}


def test_tsv_round_trip_and_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "run.tsv"
    write_codiesp_tsv({"d1": ["b20", "a10.1"], "d2": ["q11"]}, path)
    assert path.read_text() == "d1\tb20\nd1\ta10.1\nd2\tq11\n"
    assert read_codiesp_tsv(path) == {"d1": ["b20", "a10.1"], "d2": ["q11"]}
    bad = tmp_path / "bad.tsv"
    bad.write_text("d1\tb20\nd2 q11\n")
    with pytest.raises(InputFormatError, match="bad.tsv:2"):
        read_codiesp_tsv(bad)
