"""NPI check digit (CMS Luhn rule with the 80840 prefix), against hand-computed values."""

from __future__ import annotations

import pytest

from medcoder.claims.npi import is_valid_npi, npi_check_digit


def test_cms_example() -> None:
    # CMS worked example: 123456789 -> Luhn over 80840123456789; doubled digits 9,7,5,3,1 ->
    # 18->9, 14->5, 10->1, 6, 2 = 23; undoubled 8,6,4,2 = 20; plus 24 for the prefix = 67 -> 3.
    assert npi_check_digit("123456789") == "3"
    assert is_valid_npi("1234567893")


def test_second_hand_computed() -> None:
    # 124531959: doubled 9,9,3,4,1 -> 9,9,6,8,2 = 34; undoubled 5,1,5,2 = 13; 34+13+24 = 71 -> 9.
    assert npi_check_digit("124531959") == "9"
    assert is_valid_npi("1245319599")


@pytest.mark.parametrize(
    "npi", ["1234567890", "123456789", "12345678933", "123456789a", "", "１２３４５６７８９３"]
)
def test_invalid(npi: str) -> None:
    assert not is_valid_npi(npi)


def test_prefix_must_be_nine_digits() -> None:
    with pytest.raises(ValueError, match="nine digits"):
        npi_check_digit("12345")
