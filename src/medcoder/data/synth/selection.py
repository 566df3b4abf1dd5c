"""Choose what one synthetic note is about: patient, codes, distractors, procedure.

Choices respect the code set's own rules: sex- and age-specific codes fit the patient, at most one
code per exclusivity group (no E11.9 beside E11.65), "use additional code" partners are added
(E11.22 brings a CKD stage, E66.01 a BMI), status codes follow their conditions (Z79.01 with atrial
fibrillation), symptoms are not coded beside a definitive acute diagnosis of the same body system,
pregnancy codes share one trimester and gestational week, and injuries carry the 7th character of
the setting (A initial in the ED and hospital, D subsequent in the office).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from medcoder.data.records import Sex
from medcoder.data.synth.catalog import Catalog, CodeSpec, tabular_synonyms
from medcoder.data.synth.procedures import PROCEDURES, Procedure

SETTING_OF = {"progress_note": "op", "ed_note": "ed", "discharge_summary": "ip", "consult": "ip"}
PRIMARY_KINDS = {
    "op": ("chronic", "acute", "minor", "symptom", "exam", "pregnancy", "injury"),
    "ed": ("severe", "acute", "minor", "symptom", "injury"),
    "ip": ("severe", "acute", "injury"),
    "consult": ("severe", "acute", "injury"),
}
EXTRA_KINDS = ("chronic", "acute", "minor", "symptom", "status", "pregnancy", "injury", "severe")
EXTRA_RANGE = {"progress_note": (0, 4), "ed_note": (0, 3), "discharge_summary": (2, 6), "consult": (1, 5)}
_DEFINITIVE = ("acute", "severe", "minor", "injury")
DISTRACTOR_KINDS = {
    "progress_note": (
        "negated_symptom",
        "family",
        "historical",
        "hypothetical",
        "negated",
        "negated_history",
    ),
    "ed_note": ("negated_symptom", "family", "historical", "hypothetical", "negated", "negated_history"),
    "consult": ("negated_symptom", "family", "historical", "hypothetical", "negated", "negated_history"),
    "discharge_summary": ("negated_symptom", "historical", "negated"),
    "procedure_note": ("historical",),
}


@dataclass
class Case:
    """Everything a note will say, before any text is written."""

    doc_type: str
    setting: str
    age: int
    sex: Sex
    codes: list[CodeSpec]
    procedure: Procedure | None = None
    weeks: tuple[int, int] | None = None  # gestational (weeks, days)
    distractors: list[tuple[str, CodeSpec]] = field(default_factory=list)
    new_patient: bool = False

    @property
    def primary(self) -> CodeSpec:
        return self.codes[0]


class Sampler:
    """Weighted choices with a Zipf-like long tail over the catalog's codes."""

    def __init__(self, catalog: Catalog, exponent: float) -> None:
        self.catalog = catalog
        tie = random.Random(20261128)
        keys = {s.code: (-s.weight, tie.random()) for s in catalog.specs}
        ranked = sorted(catalog.specs, key=lambda s: keys[s.code])
        self.weight = {s.code: 1.0 / (rank + 1) ** exponent for rank, s in enumerate(ranked)}
        self.rank = {s.code: rank for rank, s in enumerate(ranked)}

    def pick(self, rng: random.Random, specs: Sequence[CodeSpec]) -> CodeSpec | None:
        if not specs:
            return None
        return rng.choices(specs, weights=[self.weight[s.code] for s in specs])[0]


def _age(rng: random.Random, lo: int, hi: int) -> int:
    r = rng.random()
    band = (0, 17) if r < 0.15 else (18, 44) if r < 0.40 else (45, 64) if r < 0.68 else (65, 95)
    a, b = max(lo, band[0]), min(hi, band[1])
    if a > b:
        a, b = lo, max(lo, min(hi, 95))
    return rng.randint(a, b)


def _compatible(spec: CodeSpec, chosen: Sequence[CodeSpec], weeks: tuple[int, int] | None) -> bool:
    groups = {c.group for c in chosen}
    pools = {c.pool for c in chosen}
    if spec.group in groups or spec.code in {c.code for c in chosen}:
        return False
    if set(spec.conflicts) & pools or any(spec.pool in c.conflicts for c in chosen):
        return False
    # Signs and symptoms are coded only without a definitive diagnosis that could explain them.
    if spec.kind == "symptom" and any(c.kind in _DEFINITIVE for c in chosen):
        return False
    if spec.kind in _DEFINITIVE and any(c.kind == "symptom" for c in chosen):
        return False
    if spec.weeks is not None and (
        weeks is None or max(weeks[0], spec.weeks[0]) > min(weeks[1], spec.weeks[1])
    ):
        return False
    return spec.trimester is None or all(c.trimester in (None, spec.trimester) for c in chosen)


def _narrow(weeks: tuple[int, int] | None, spec: CodeSpec) -> tuple[int, int] | None:
    if spec.weeks is None:
        return weeks
    if weeks is None:
        return spec.weeks
    return max(weeks[0], spec.weeks[0]), min(weeks[1], spec.weeks[1])


def choose_case(rng: random.Random, sampler: Sampler, doc_type: str, max_extra: int) -> Case | None:
    """Draw the codes and patient of one note, or None when the code set offers nothing for this type."""
    cat = sampler.catalog
    procedure = None
    if doc_type == "procedure_note":
        options = [p for p in PROCEDURES if cat.by_pool.get(p.pool)]
        if not options:
            return None
        procedure = rng.choice(options)
        setting = procedure.setting
        cands = [
            s
            for s in cat.by_pool[procedure.pool]
            if setting in s.where and (not procedure.sided or s.side in ("left", "right"))
        ]
    else:
        setting = SETTING_OF[doc_type]
        kinds = PRIMARY_KINDS["consult" if doc_type == "consult" else setting]
        cands = [
            s
            for s in cat.specs
            if setting in s.where
            and s.kind in kinds
            and not s.only_with
            and not s.needs
            and (setting != "ip" or s.kind == "severe" or s.admit)
        ]
    primary = sampler.pick(rng, cands)
    if primary is None:
        return None
    sex = primary.sex or (Sex.FEMALE if rng.random() < 0.52 else Sex.MALE)
    age = _age(rng, *primary.age)
    case = Case(doc_type, setting, age, sex, [primary], procedure, new_patient=rng.random() < 0.3)
    weeks = primary.weeks
    lo, hi = EXTRA_RANGE.get(doc_type, (0, 0))
    n_extra = min(rng.randint(lo, hi), max_extra)
    pool = [
        s
        for s in cat.specs
        if setting in s.where
        and s.kind in EXTRA_KINDS
        and not s.only_with
        and not s.needs
        and not s.allergy
        and s.fits(age, sex)
        and (s.kind == "pregnancy") == (primary.kind == "pregnancy")
        and (s.kind != "injury" or primary.kind == "injury")
    ]
    if doc_type == "procedure_note":
        pool = []
    for _ in range(n_extra):
        spec = sampler.pick(rng, [s for s in pool if _compatible(s, case.codes, weeks)])
        if spec is None:
            break
        case.codes.append(spec)
        weeks = _narrow(weeks, spec)
    if not _add_partners(rng, sampler, case, setting):
        return None
    _add_status(rng, cat, case, setting)
    if primary.kind == "exam" and primary.abnormal_code and len(case.codes) > 1:
        desc, *syn = tabular_synonyms(primary.abnormal_code)
        case.codes[0] = dataclasses.replace(
            primary, code=primary.abnormal_code, description=desc, synonyms=tuple(syn)
        )
    if weeks is not None:
        case.weeks = (rng.randint(*weeks), rng.randint(0, 6))
    case.distractors = _distractors(rng, sampler, case)
    return case


def _add_partners(rng: random.Random, sampler: Sampler, case: Case, setting: str) -> bool:
    """Add the "use additional code" partner of every code that names one; False if impossible."""
    i = 0
    while i < len(case.codes):
        spec = case.codes[i]
        for pool_name in spec.with_pools:
            if any(c.pool == pool_name for c in case.codes):
                continue
            opts = [
                s
                for s in sampler.catalog.by_pool.get(pool_name, ())
                if s.fits(case.age, case.sex) and setting in s.where and _compatible(s, case.codes, None)
            ]
            partner = sampler.pick(rng, opts)
            if partner is None:
                if i == 0:
                    return False
                del case.codes[i]
                i -= 1
                break
            case.codes.append(partner)
        i += 1
    return True


def _add_status(rng: random.Random, cat: Catalog, case: Case, setting: str) -> None:
    """Status codes that follow present conditions (Z79.x drug use, Z71.6 counseling), and allergies."""
    pools = {c.pool for c in case.codes}
    for s in cat.specs:
        if s.needs and set(s.needs) & pools and s.fits(case.age, case.sex) and setting in s.where:
            if _compatible(s, case.codes, None) and rng.random() < s.prob:
                case.codes.append(s)
        elif s.allergy and case.doc_type != "procedure_note" and rng.random() < 0.04 * s.weight:
            case.codes.append(s)


def _distractors(rng: random.Random, sampler: Sampler, case: Case) -> list[tuple[str, CodeSpec]]:
    """Non-codable mentions: their codes and groups differ from every coded one."""
    kinds = DISTRACTOR_KINDS[case.doc_type]
    lo, hi = (0, 1) if case.doc_type == "procedure_note" else (1, 4)
    used_groups = {c.group for c in case.codes}
    used_systems = {c.system for c in case.codes if c.kind not in ("status", "exam")}
    out: list[tuple[str, CodeSpec]] = []
    for _ in range(rng.randint(lo, hi)):
        kind = rng.choice(kinds)
        if kind == "negated_symptom":
            ok = lambda s: s.kind == "symptom" and s.negatable and s.system not in used_systems  # noqa: E731
        elif kind == "negated":
            ok = lambda s: s.kind in ("acute", "severe") and s.negatable  # noqa: E731
        elif kind == "negated_history":
            ok = lambda s: s.kind == "chronic" and s.negatable  # noqa: E731
        elif kind == "family":
            ok = lambda s: s.family  # noqa: E731
        elif kind == "historical":
            ok = lambda s: s.historical and s.encounter in (None, "A") and s.fits(case.age, case.sex)  # noqa: E731
        else:
            ok = lambda s: s.ruleout and s.fits(case.age, case.sex)  # noqa: E731
        opts = [s for s in sampler.catalog.specs if ok(s) and s.group not in used_groups]
        spec = sampler.pick(rng, opts)
        if spec is not None:
            out.append((kind, spec))
            used_groups.add(spec.group)
    return out
