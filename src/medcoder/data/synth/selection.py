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
RELATED_SYSTEMS = {
    "cv": ("resp", "neuro"),
    "resp": ("cv", "inf", "ent"),
    "gi": ("gu", "inf"),
    "gu": ("gi", "inf"),
    "neuro": ("cv",),
    "inf": ("resp", "skin", "gi", "gu"),
    "skin": ("inf",),
    "ent": ("resp", "inf"),
    "endo": ("gen",),
    "gen": ("inf", "endo"),
}
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
        self._primaries: dict[str, tuple[CodeSpec, ...]] = {}
        self.followers = tuple(s for s in catalog.specs if s.needs or s.allergy)
        self.by_distractor = {
            "negated_symptom": tuple(s for s in catalog.specs if s.kind == "symptom" and s.negatable),
            "negated": tuple(s for s in catalog.specs if s.kind in ("acute", "severe") and s.negatable),
            "negated_history": tuple(s for s in catalog.specs if s.kind == "chronic" and s.negatable),
            "family": tuple(s for s in catalog.specs if s.family),
            "historical": tuple(s for s in catalog.specs if s.historical and s.encounter in (None, "A")),
            "hypothetical": tuple(s for s in catalog.specs if s.ruleout),
        }
        self.extras = {
            setting: tuple(
                s
                for s in catalog.specs
                if setting in s.where and s.kind in EXTRA_KINDS and not (s.only_with or s.needs or s.allergy)
            )
            for setting in ("op", "ed", "ip")
        }

    def primaries(self, doc_type: str) -> tuple[CodeSpec, ...]:
        """Codes that can be the first-listed diagnosis of a note of this type (cached)."""
        if doc_type not in self._primaries:
            setting = SETTING_OF[doc_type]
            kinds = PRIMARY_KINDS["consult" if doc_type == "consult" else setting]
            self._primaries[doc_type] = tuple(
                s
                for s in self.catalog.specs
                if setting in s.where
                and s.kind in kinds
                and not (s.only_with or s.needs)
                and (setting != "ip" or s.kind == "severe" or s.admit)
            )
        return self._primaries[doc_type]

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


def compatible(
    specs: Sequence[CodeSpec], chosen: Sequence[CodeSpec], weeks: tuple[int, int] | None
) -> list[CodeSpec]:
    """The specs that may join ``chosen``: new group, no conflict, same pregnancy, coding conventions."""
    groups = {c.group for c in chosen} | {c.code for c in chosen}
    pools = {c.pool for c in chosen}
    conflicts = {p for c in chosen for p in c.conflicts}
    definitive = any(c.kind in _DEFINITIVE for c in chosen)
    symptom = any(c.kind == "symptom" for c in chosen)
    trimesters = {c.trimester for c in chosen if c.trimester is not None}
    out = []
    for spec in specs:
        if spec.group in groups or spec.code in groups or spec.pool in conflicts:
            continue
        if spec.conflicts and not pools.isdisjoint(spec.conflicts):
            continue
        # Signs and symptoms are coded only without a definitive diagnosis that could explain them.
        if (spec.kind == "symptom" and definitive) or (symptom and spec.kind in _DEFINITIVE):
            continue
        if spec.weeks is not None and (
            weeks is None or max(weeks[0], spec.weeks[0]) > min(weeks[1], spec.weeks[1])
        ):
            continue
        if spec.trimester is not None and trimesters - {spec.trimester}:
            continue
        out.append(spec)
    return out


def _narrow(weeks: tuple[int, int] | None, spec: CodeSpec) -> tuple[int, int] | None:
    if spec.weeks is None:
        return weeks
    if weeks is None:
        return spec.weeks
    return max(weeks[0], spec.weeks[0]), min(weeks[1], spec.weeks[1])


def choose_case(
    rng: random.Random, sampler: Sampler, doc_type: str, max_extra: int, distractors: tuple[int, int] = (1, 4)
) -> Case | None:
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
        cands = sampler.primaries(doc_type)
    primary = sampler.pick(rng, cands)
    if primary is None:
        return None
    sex = primary.sex or (Sex.FEMALE if rng.random() < 0.52 else Sex.MALE)
    age = _age(rng, *primary.age)
    case = Case(doc_type, setting, age, sex, [primary], procedure, new_patient=rng.random() < 0.3)
    weeks = primary.weeks
    lo, hi = EXTRA_RANGE.get(doc_type, (0, 0))
    n_extra = min(rng.randint(lo, hi), max_extra)
    pregnant, injured = primary.kind == "pregnancy", primary.kind == "injury"
    pool = [
        s
        for s in sampler.extras[setting]
        if s.fits(age, sex) and (s.kind == "pregnancy") == pregnant and (s.kind != "injury" or injured)
    ]
    for _ in range(n_extra if doc_type != "procedure_note" else 0):
        spec = sampler.pick(rng, compatible(pool, case.codes, weeks))
        if spec is None:
            break
        case.codes.append(spec)
        weeks = _narrow(weeks, spec)
    if not _add_partners(rng, sampler, case, setting):
        return None
    _add_status(rng, sampler, case, setting)
    if primary.kind == "exam" and primary.abnormal_code and len(case.codes) > 1:
        desc, *syn = tabular_synonyms(primary.abnormal_code)
        case.codes[0] = dataclasses.replace(
            primary, code=primary.abnormal_code, description=desc, synonyms=tuple(syn)
        )
    if weeks is not None:
        case.weeks = (rng.randint(*weeks), rng.randint(0, 6))
    case.distractors = _distractors(rng, sampler, case, distractors)
    return case


def _add_partners(rng: random.Random, sampler: Sampler, case: Case, setting: str) -> bool:
    """Add the "use additional code" partner of every code that names one; False if impossible."""
    i = 0
    while i < len(case.codes):
        spec = case.codes[i]
        for pool_name in spec.with_pools:
            if any(c.pool == pool_name for c in case.codes):
                continue
            opts = compatible(
                [
                    s
                    for s in sampler.catalog.by_pool.get(pool_name, ())
                    if s.fits(case.age, case.sex) and setting in s.where
                ],
                case.codes,
                None,
            )
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


def _add_status(rng: random.Random, sampler: Sampler, case: Case, setting: str) -> None:
    """Status codes that follow present conditions (Z79.x drug use, Z71.6 counseling), and allergies."""
    pools = {c.pool for c in case.codes}
    for s in sampler.followers:
        if s.needs and set(s.needs) & pools and s.fits(case.age, case.sex) and setting in s.where:
            if compatible([s], case.codes, None) and rng.random() < s.prob:
                case.codes.append(s)
        elif s.allergy and case.doc_type != "procedure_note" and rng.random() < 0.04 * s.weight:
            case.codes.append(s)


def _distractors(
    rng: random.Random, sampler: Sampler, case: Case, count: tuple[int, int]
) -> list[tuple[str, CodeSpec]]:
    """Non-codable mentions: their codes and groups differ from every coded one."""
    kinds = DISTRACTOR_KINDS[case.doc_type]
    routine = case.primary.kind in ("exam", "pregnancy") or (
        case.setting == "op" and case.primary.kind == "chronic"
    )
    if routine:  # no differential diagnosis at a routine or follow-up visit
        kinds = tuple(k for k in kinds if k not in ("negated", "hypothetical"))
    near = RELATED_SYSTEMS.get(case.primary.system, ()) + (case.primary.system,)
    lo, hi = (0, min(1, count[1])) if case.doc_type == "procedure_note" else count
    used_groups = {c.group for c in case.codes}
    used_systems = {c.system for c in case.codes if c.kind not in ("status", "exam")}
    out: list[tuple[str, CodeSpec]] = []
    for _ in range(rng.randint(lo, hi)):
        kind = rng.choice(kinds)
        opts = [
            s
            for s in sampler.by_distractor[kind]
            if s.group not in used_groups
            and (kind != "negated_symptom" or s.system not in used_systems)
            and (kind == "family" or s.fits(case.age, case.sex))
            # a differential stays near the presenting problem; office notes do not rule out emergencies
            and (kind not in ("negated", "hypothetical") or s.system in near)
            and (kind not in ("negated", "hypothetical") or case.setting != "op" or s.kind != "severe")
        ]
        spec = sampler.pick(rng, opts)
        if spec is not None:
            out.append((kind, spec))
            used_groups.add(spec.group)
    return out
