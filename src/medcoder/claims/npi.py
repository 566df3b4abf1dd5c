"""National Provider Identifier (NPI) check digit.

An NPI is ten digits: nine identifier digits and a Luhn check digit. CMS computes the check
digit over the nine digits prefixed with ``80840`` (the ISO 7812 health-industry issuer prefix),
which is equivalent to adding the constant 24 to the Luhn sum of the nine digits alone. A claim
with a mistyped NPI is rejected by the clearinghouse, so the builder checks it before export.
"""

from __future__ import annotations

__all__ = ["is_valid_npi", "npi_check_digit"]

_PREFIX = "80840"


def npi_check_digit(first9: str) -> str:
    """The Luhn check digit of ``80840`` + ``first9`` (the nine leading digits of an NPI)."""
    if len(first9) != 9 or not first9.isdigit() or not first9.isascii():
        raise ValueError(f"an NPI prefix is nine digits, got {len(first9)} characters")
    total = 0
    # Double every second digit counting from the right of the payload (the check digit
    # will be appended to the right, so the rightmost payload digit is doubled).
    for i, ch in enumerate(reversed(_PREFIX + first9)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_valid_npi(npi: str) -> bool:
    """True when ``npi`` is ten ASCII digits whose last digit is the CMS Luhn check digit."""
    if len(npi) != 10 or not npi.isdigit() or not npi.isascii():
        return False
    return npi_check_digit(npi[:9]) == npi[9]
