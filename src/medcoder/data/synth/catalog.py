"""The condition catalog of the synthetic corpus: which ICD-10-CM codes, how notes mention them.

The catalog is a versioned YAML file inside the package (``resources/conditions.yaml``). Each entry
is hand-written clinical phrasing for one code or a family of codes: ``S52.52{s}{e}`` expands to the
right and left sides (``{s}``) and the initial and subsequent encounters (``{e}``), ``Z34.0{t}`` to the
three trimesters. Every expanded code is checked against the ICD-10-CM tabular list shipped in
simple-icd-10-cm (it must exist and be billable), and gets extra surface forms from its tabular
description and inclusion terms.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medcoder.data.records import Sex
from medcoder.data.synth.tabular import icd_module, infer_demographics, tabular_synonyms
from medcoder.errors import InputFormatError

KINDS = ("chronic", "acute", "minor", "severe", "injury", "symptom", "status", "exam", "pregnancy")
SETTINGS = ("op", "ed", "ip")
# Gestational weeks of each trimester (ICD-10-CM: first < 14 weeks 0 days, second 14-27w6d, third 28+).
# Z3A has one code per week from 8 to 42 (Z3A.01 is "less than 8 weeks"), so the generator starts at 8.
TRIMESTER_WEEKS = {1: (8, 13), 2: (14, 27), 3: (28, 40)}
_ENC_SETTINGS = {"A": ("ed", "ip"), "D": ("op",)}
_DEFAULT_WHERE = {
    "exam": ("op",),
    "pregnancy": ("op",),
    "minor": ("op", "ed"),
    "symptom": ("op", "ed"),
    "injury": ("op", "ed"),
}
# Chronic disease entries without an age range are adult conditions.
_DEFAULT_AGE = {"chronic": (18, 110)}


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """One billable ICD-10-CM code and everything the generator needs to write about it."""

    code: str
    kind: str
    system: str
    weight: float
    group: str
    pool: str
    mentions: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    meds: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    exam: str | None = None
    sex: Sex | None = None
    age: tuple[int, int] = (0, 110)
    where: tuple[str, ...] = SETTINGS
    with_pools: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    weeks: tuple[int, int] | None = None
    trimester: int | None = None
    side: str | None = None
    encounter: str | None = None
    abnormal_code: str | None = None
    gravida: str | None = None
    only_with: bool = False
    allergy: bool = False
    prob: float = 0.5
    admit: bool = False
    family: bool = False
    negatable: bool = False
    historical: bool = False
    ruleout: bool = False
    description: str = ""

    def fits(self, age: int, sex: Sex) -> bool:
        """Whether a patient of this age and sex can carry the code."""
        return self.age[0] <= age <= self.age[1] and (self.sex is None or self.sex == sex)


@dataclass(frozen=True)
class Catalog:
    """All expanded codes, indexed by code and by pool."""

    specs: tuple[CodeSpec, ...]
    version: str
    source: str
    by_code: Mapping[str, CodeSpec] = field(init=False, repr=False)
    by_pool: Mapping[str, tuple[CodeSpec, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_code = {s.code: s for s in self.specs}
        by_pool: dict[str, list[CodeSpec]] = {}
        for s in self.specs:
            by_pool.setdefault(s.pool, []).append(s)
        object.__setattr__(self, "by_code", by_code)
        object.__setattr__(self, "by_pool", {k: tuple(v) for k, v in by_pool.items()})

    def restrict(self, codes: tuple[str, ...]) -> Catalog:
        """A catalog with only these codes (plus the codes they need), in catalog order.

        Codes that the catalog does not describe get a generic entry from the tabular list.
        """
        wanted = set(codes)
        missing = [c for c in codes if c not in self.by_code]
        keep = [s for s in self.specs if s.code in wanted]
        keep.extend(generic_spec(c) for c in missing)
        # Keep partners that "use additional code" pairs need (CKD stage for E11.22, BMI for E66.9).
        pools = {p for s in keep for p in s.with_pools}
        keep.extend(s for s in self.specs if s.pool in pools and s.code not in wanted)
        return Catalog(specs=tuple(keep), version=self.version, source=self.source)


def generic_spec(code: str) -> CodeSpec:
    """A catalog entry for a code the catalog does not describe, built from the tabular list only."""
    icd = icd_module()
    if not icd.is_valid_item(code) or not icd.is_leaf(code):
        raise InputFormatError(f"{code!r} is not a billable ICD-10-CM code (simple-icd-10-cm April 2026)")
    desc, *syn = tabular_synonyms(code)
    sex, age = infer_demographics(code)
    mentions = tuple(syn) or (desc,)
    return CodeSpec(
        code=code,
        kind="chronic",
        system="gen",
        weight=1.0,
        group=code,
        pool=code,
        mentions=mentions,
        synonyms=tuple(syn),
        sex=sex,
        age=age,
        description=desc,
    )


def _expand(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Expand {s}/{e}/{t} placeholders of one YAML entry into concrete variants."""
    variants: list[dict[str, Any]] = [{"code": str(entry["c"]), "fmt": {}}]
    if "{s}" in variants[0]["code"]:
        sides = entry.get("sides") or {}
        variants = [
            {"code": v["code"].replace("{s}", str(d)), "fmt": {**v["fmt"], "side": s}}
            for v in variants
            for s, d in sides.items()
        ]
    if "{e}" in variants[0]["code"]:
        encs = entry.get("enc") or ["A", "D"]
        variants = [
            {"code": v["code"].replace("{e}", e), "fmt": {**v["fmt"], "enc": e}}
            for v in variants
            for e in encs
        ]
    if "{t}" in variants[0]["code"]:
        variants = [
            {"code": v["code"].replace("{t}", str(t)), "fmt": {**v["fmt"], "tri": t}}
            for v in variants
            for t in (1, 2, 3)
        ]
    return variants


def _with_side(template: str, side: str | None) -> str:
    """Fill ``{side}``; bilateral reads "of both ears" rather than "of the bilateral ear"."""
    if side == "bilateral":
        for a, b in (
            ("the {side} ear", "both ears"),
            ("the {side} eye", "both eyes"),
            (", {side} eye", ", both eyes"),
        ):
            template = template.replace(a, b)
    return template.replace("{side}", side or "")


def _weeks(entry: Mapping[str, Any], tri: int | None) -> tuple[int, int] | None:
    lo, hi = entry.get("weeks") or (8, 40)
    if tri is not None:
        tlo, thi = TRIMESTER_WEEKS[tri]
        lo, hi = max(lo, tlo), min(hi, thi)
    if entry.get("weeks") is None and tri is None:
        return None
    return (lo, hi) if lo <= hi else (0, -1)


def _build(entry: Mapping[str, Any], var: dict[str, Any], path: str, line: int) -> CodeSpec | None:
    icd = icd_module()
    code = var["code"]
    if not icd.is_valid_item(code) or not icd.is_leaf(code):
        raise InputFormatError(f"{code!r} is not a billable ICD-10-CM code", path=path, line=line)
    kind = entry.get("k", "chronic")
    if kind not in KINDS:
        raise InputFormatError(
            f"{code}: kind {kind!r} is not one of {', '.join(KINDS)}", path=path, line=line
        )
    fmt = var["fmt"]
    side, enc, tri = fmt.get("side"), fmt.get("enc"), fmt.get("tri")
    weeks = _weeks(entry, tri)
    if weeks is not None and weeks[0] > weeks[1]:
        return None  # e.g. gestational hypertension (20+ weeks) in the first trimester
    where = tuple(entry.get("where") or _DEFAULT_WHERE.get(kind, SETTINGS))
    if enc is not None:
        where = tuple(w for w in where if w in _ENC_SETTINGS.get(enc, SETTINGS))
    if any(w not in SETTINGS for w in where):
        raise InputFormatError(f"{code}: where must use {SETTINGS}", path=path, line=line)
    mentions = tuple(_with_side(m, side) for m in entry.get("m") or ())
    desc, *syn = tabular_synonyms(code)
    if side in ("left", "right") and any(side not in m.lower() for m in mentions):
        raise InputFormatError(f"{code}: every mention must name the {side} side", path=path, line=line)
    sex = Sex(entry["sex"]) if entry.get("sex") else None
    age = tuple(entry.get("age") or _DEFAULT_AGE.get(kind, (0, 110)))
    group = str(entry.get("g") or entry["c"])
    return CodeSpec(
        code=code,
        kind=kind,
        system=entry.get("sy", "gen"),
        weight=float(entry.get("w", 1)),
        group=group,
        pool=str(entry.get("p") or group),
        mentions=mentions or (syn[0] if syn else desc,),
        synonyms=tuple(syn),
        meds=tuple(entry.get("meds") or ()),
        plan=tuple(entry.get("plan") or ()),
        exam=entry.get("exam"),
        sex=sex,
        age=(int(age[0]), int(age[1])),
        where=where,
        with_pools=tuple(entry.get("with") or ()),
        needs=tuple(entry.get("needs") or ()),
        conflicts=tuple(entry.get("conflicts") or ()),
        weeks=weeks,
        trimester=tri,
        side=side,
        encounter=enc,
        abnormal_code=entry.get("abn"),
        gravida=entry.get("gp"),
        only_with=bool(entry.get("only_with")),
        allergy=bool(entry.get("allergy")),
        prob=float(entry.get("prob", 0.5)),
        admit=bool(entry.get("adm")),
        family=bool(entry.get("fam")),
        negatable=bool(entry.get("neg")),
        historical=bool(entry.get("hist")),
        ruleout=bool(entry.get("ro")),
        description=desc,
    )


def parse_catalog(text: str, path: str = "<catalog>") -> Catalog:
    """Parse catalog YAML text; errors name the file and the line of the bad entry."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when present: 20x faster
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputFormatError(
            f"invalid YAML: {exc}", path=path, line=mark.line + 1 if mark else None
        ) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(data.get("conditions"), list):
        raise InputFormatError("expected a mapping with a 'conditions' list", path=path)
    cond_node = next(v for k, v in root.value if k.value == "conditions")
    specs: list[CodeSpec] = []
    seen: dict[str, int] = {}
    for entry, node in zip(data["conditions"], cond_node.value, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(entry, dict) or "c" not in entry:
            raise InputFormatError("each condition needs a code 'c'", path=path, line=line)
        for var in _expand(entry):
            spec = _build(entry, var, path, line)
            if spec is None:
                continue
            if spec.code in seen:
                raise InputFormatError(
                    f"{spec.code} listed twice (first at line {seen[spec.code]})", path=path, line=line
                )
            seen[spec.code] = line
            specs.append(spec)
    for spec in specs:
        if spec.abnormal_code and not icd_module().is_leaf(spec.abnormal_code):
            raise InputFormatError(
                f"{spec.code}: abn {spec.abnormal_code!r} is not billable", path=path, line=seen[spec.code]
            )
    return Catalog(
        specs=tuple(specs), version=str(data.get("version", "")), source=str(data.get("source", ""))
    )


def load_catalog(path: Path | None = None) -> Catalog:
    """Load the catalog from ``path``, or the one shipped in the package (cached) when None."""
    if path is None:
        return _default_catalog()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFormatError(f"cannot read catalog: {exc}", path=path) from exc
    return parse_catalog(text, str(path))


@functools.lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    res = importlib.resources.files("medcoder.data.synth").joinpath("resources/conditions.yaml")
    return parse_catalog(res.read_text(encoding="utf-8"), "medcoder/data/synth/resources/conditions.yaml")
