"""Claim adjustment reason codes (CARC) and remittance advice remark codes (RARC).

CARCs come from the versioned list shipped in the package (``data/carc.csv``, see its card
``data/README.md``): our own short paraphrases with effective dates, because X12 owns the official
wording. An 835 whose CAS carries a CARC we do not know (or one not in effect on the payment date)
is rejected: a reason code we cannot explain would turn into a denial nobody can work.

RARCs are checked against the remark-code list in ``x12_examples/codes/pyx12-codes.xml`` under
the shared data folder, read at call time. That list has codes only (no descriptions) and is
undated; when it is absent, RARCs are accepted by their pattern (M, MA or N plus digits) only.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from medcoder.paths import shared_data_dir

log = logging.getLogger(__name__)

CARC_RESOURCE = "carc.csv"
CARC_LIST_VERSION = "2026-12-07"
"""Date the shipped CARC list was last revised (also in the data card)."""

GROUP_CODES = frozenset({"CO", "CR", "OA", "PI", "PR"})
"""CAS01 claim adjustment group codes: contractual, correction/reversal, other, payer initiated, patient."""

RARC_PATTERN = re.compile(r"(?:M|MA|N)\d{1,4}")


@dataclass(frozen=True)
class Carc:
    """One claim adjustment reason code with its effective period (end exclusive) and usual group."""

    code: str
    description: str
    effective_start: date
    effective_end: date | None = None
    group_hint: str = ""

    def in_effect(self, on: date) -> bool:
        """Whether the code may be used on ``on`` (start inclusive, end exclusive)."""
        return self.effective_start <= on and (self.effective_end is None or on < self.effective_end)


@cache
def carc_table() -> dict[str, Carc]:
    """The shipped CARC list, keyed by code (loaded once, on first use)."""
    text = resources.files("medcoder.claims").joinpath("data", CARC_RESOURCE).read_text(encoding="utf-8")
    table: dict[str, Carc] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            carc = Carc(
                code=row["code"].strip(),
                description=row["description"].strip(),
                effective_start=date.fromisoformat(row["effective_start"]),
                effective_end=date.fromisoformat(row["effective_end"]) if row["effective_end"] else None,
                group_hint=row["group_hint"].strip(),
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{CARC_RESOURCE} line {number} is malformed: {exc}") from None
        if carc.code in table:
            raise ValueError(f"{CARC_RESOURCE} line {number}: CARC {carc.code} is listed twice")
        table[carc.code] = carc
    return table


def is_known_carc(code: str, on: date | None = None) -> bool:
    """Whether ``code`` is in the CARC list (and, when ``on`` is given, in effect on that date)."""
    carc = carc_table().get(code)
    return carc is not None and (on is None or carc.in_effect(on))


def carc_description(code: str) -> str:
    """Our short description of CARC ``code``; raises KeyError naming the code when it is unknown."""
    carc = carc_table().get(code)
    if carc is None:
        raise KeyError(f"unknown claim adjustment reason code {code!r}")
    return carc.description


def rarc_codes_path() -> Path:
    """Where the pyx12 code list (with the RARC code set) is expected under the shared data folder."""
    return shared_data_dir() / "x12_examples" / "codes" / "pyx12-codes.xml"


@cache
def _rarc_codes(path: Path) -> frozenset[str] | None:
    """The ``remark_code`` codeset of a pyx12 code-list file, or None when the file is absent."""
    if not path.exists():
        log.warning("RARC list %s not found: remark codes are checked by pattern only", path)
        return None
    root = ET.parse(path).getroot()
    for codeset in root.iter("codeset"):
        if (codeset.findtext("id") or "").strip() == "remark_code":
            return frozenset((c.text or "").strip() for c in codeset.iter("code") if c.text)
    log.warning("%s has no remark_code codeset: remark codes are checked by pattern only", path)
    return None


def is_known_rarc(code: str) -> bool:
    """Whether ``code`` is a RARC: in the pyx12 list when it is available, else by pattern."""
    codes = _rarc_codes(rarc_codes_path())
    if codes is None:
        return RARC_PATTERN.fullmatch(code) is not None
    return code in codes


def rarc_description(code: str) -> str | None:
    """A description of RARC ``code``, or None when it is not a RARC.

    The only openly licensed list we have (pyx12's) carries codes without wording, so a known code
    gets a generic description naming its series; check the official wording at X12/WPC.
    """
    if not is_known_rarc(code):
        return None
    series = "MA" if code.startswith("MA") else code[0]
    names = {"M": "Medicare-origin", "MA": "Medicare Part A-origin", "N": "N-series"}
    return f"{names.get(series, 'remittance')} remark code {code} (wording not shipped; see X12 RARC list)"
