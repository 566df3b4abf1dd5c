"""The envelope parser (x12.py) on bad input: each error names the segment and its position."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.claims.x12 import Delimiters, X12Error, parse_interchange, undeclared_component

OFFICE = Path(__file__).parent / "data" / "office_visit.837"


def _text() -> str:
    return OFFICE.read_text()


def test_good_file_parses() -> None:
    ic = parse_interchange(_text())
    assert [t.code for t in ic.transactions] == ["837"]
    assert ic.isa[13] == "000000101"


def test_non_x12_text() -> None:
    with pytest.raises(X12Error, match=r"segment ISA at position 1: not an X12 interchange"):
        parse_interchange("hello, this is not an EDI file")


def test_truncated_isa() -> None:
    with pytest.raises(X12Error, match=r"segment ISA at position 1: .*truncated"):
        parse_interchange(_text()[:60])


def test_truncated_body_has_no_iea() -> None:
    text = _text()
    cut = text[: text.index("LX*2")]
    with pytest.raises(X12Error) as info:
        parse_interchange(cut)
    assert "does not end with IEA" in str(info.value)
    assert info.value.segment == "DTP" and info.value.position == 25


def test_wrong_segment_terminator() -> None:
    # The ISA declares "~" but the body uses "!": say so instead of reporting a missing IEA.
    head, body = _text()[:106], _text()[106:].replace("~", "!")
    with pytest.raises(
        X12Error,
        match=r"segment ISA at position 1: the segment terminator '~' declared after ISA16 never appears",
    ):
        parse_interchange(head + body)


def test_terminator_that_is_a_letter() -> None:
    text = _text()
    bad = text[:105] + "A" + text[106:]
    with pytest.raises(X12Error, match=r"segment ISA at position 1: segment terminator 'A'"):
        parse_interchange(bad)


def test_garbage_segment_identifier() -> None:
    text = _text().replace("BHT*0019", "bht*0019")
    with pytest.raises(X12Error, match=r"segment bht at position 4: segment identifier 'bht'"):
        parse_interchange(text)


def test_se_count_mismatch() -> None:
    text = _text().replace("SE*27*0101", "SE*26*0101")
    with pytest.raises(
        X12Error, match=r"segment SE at position 29: SE01 says '26' segments, the transaction has 27"
    ):
        parse_interchange(text)


def test_se_control_mismatch() -> None:
    text = _text().replace("SE*27*0101", "SE*27*0999")
    with pytest.raises(X12Error, match=r"segment SE at position 29: SE02 control number '0999'"):
        parse_interchange(text)


def test_ge_count_mismatch() -> None:
    text = _text().replace("GE*1*101", "GE*2*101")
    with pytest.raises(
        X12Error, match=r"segment GE at position 30: GE01 says '2' transactions, the group has 1"
    ):
        parse_interchange(text)


def test_ge_control_mismatch() -> None:
    text = _text().replace("GE*1*101", "GE*1*7")
    with pytest.raises(
        X12Error, match=r"segment GE at position 30: GE02 control number '7' does not match GS06 '101'"
    ):
        parse_interchange(text)


def test_iea_count_mismatch() -> None:
    text = _text().replace("IEA*1*000000101", "IEA*3*000000101")
    with pytest.raises(X12Error, match=r"segment IEA at position 31: IEA01 says '3' functional groups"):
        parse_interchange(text)


def test_iea_control_mismatch() -> None:
    text = _text().replace("IEA*1*000000101", "IEA*1*000000999")
    with pytest.raises(X12Error, match=r"segment IEA at position 31: IEA02 control number '000000999'"):
        parse_interchange(text)


def test_missing_se() -> None:
    text = _text().replace("SE*27*0101~\n", "")
    with pytest.raises(
        X12Error, match=r"segment GE at position 29: transaction '0101' .* has no SE before GE"
    ):
        parse_interchange(text)


def test_path_is_named() -> None:
    with pytest.raises(X12Error) as info:
        parse_interchange("garbage", path="in/claims.837")
    assert info.value.path is not None and "claims.837" in str(info.value.path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11:B:1", None),  # the declared separator is there
        ("11>B>1", ">"),  # CLM05 from a tool that ignores ISA16
        ("HC>99213>25", ">"),  # SVC01 likewise
        ("99213", None),  # no composite at all
        ("", None),
        ("11*B", None),  # the element separator is never a component separator
    ],
)
def test_undeclared_component_is_the_first_foreign_mark(value: str, expected: str | None) -> None:
    delimiters = Delimiters(element="*", component=":", repetition="^", segment="~")
    assert undeclared_component(value, delimiters) == expected


def test_a_claim_with_the_declared_separator_needs_no_repair() -> None:
    delimiters = Delimiters(element="*", component=">", repetition="^", segment="~")
    assert undeclared_component("HC>99213", delimiters) is None
