"""The procedure lexicon (``medcoder/rules/data/procedures.yaml``) as typed, validated records.

Loaded once per process by :func:`procedure_lexicon` with ``importlib.resources`` (never at import).
Every regular expression is compiled here, so a bad pattern fails on load with a message naming
the entry; :mod:`medcoder.coding.procedures` only reads these records.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from medcoder.errors import InputFormatError
from medcoder.rules.resources import DataMeta, load_data

RESOURCE = "procedures.yaml"
_WHERE = f"medcoder/rules/data/{RESOURCE}"
_FLAGS = re.IGNORECASE


def _rx(pattern: str, where: str, flags: int = _FLAGS) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as e:
        raise InputFormatError(f"{where}: bad regular expression {pattern!r} ({e})", path=_WHERE) from None


def _rxs(patterns: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise InputFormatError(f"{where}: needs at least one pattern", path=_WHERE)
    return tuple(_rx(p, where) for p in patterns)


def _opt(pattern: str | None, where: str) -> re.Pattern[str] | None:
    return _rx(pattern, where) if pattern else None


@dataclass(frozen=True)
class Service:
    """One lexicon service (a code found by its patterns), or a timed family (``by_minutes``)."""

    code: str
    system: str
    desc: str
    patterns: tuple[re.Pattern[str], ...]
    settings: frozenset[str] | None
    note_types: frozenset[str] | None
    needs_cue: bool
    cue: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    replaced_by: tuple[str, ...]
    requires_any: tuple[str, ...]
    clia_waived: bool
    laterality: bool
    bundles_admin: bool
    count_units: bool
    by_minutes: tuple[tuple[int, int | None, str], ...] = ()


@dataclass(frozen=True)
class Drug:
    code: str
    names: re.Pattern[str]
    per: float
    unit: str
    default_route: str | None
    default_units: float | None
    desc: str


@dataclass(frozen=True)
class VaccineProduct:
    code: str
    group: str
    pattern: re.Pattern[str]
    desc: str


@dataclass(frozen=True)
class DistinctPair:
    column1: str
    column2: str
    modifier: str
    reason: str


@dataclass(frozen=True)
class Lexicon:
    meta: DataMeta
    skip_note_types: frozenset[str]
    not_performed: re.Pattern[str]
    performed: re.Pattern[str]
    plan_headers: re.Pattern[str]
    performed_headers: re.Pattern[str]
    history_headers: re.Pattern[str]
    context_ignore: frozenset[str]
    drug_skip_note_types: frozenset[str]
    services: tuple[Service, ...]
    lacerations: dict[str, Any]
    skin_lesions: dict[str, Any]
    joints: dict[str, Any]
    vaccines: dict[str, Any]
    vaccine_products: tuple[VaccineProduct, ...]
    drugs: tuple[Drug, ...]
    routes: dict[str, re.Pattern[str]]
    administration: dict[str, dict[str, str]]
    distinct_pairs: tuple[DistinctPair, ...]
    em_25_codes: frozenset[str]


_SYSTEMS = ("CPT", "HCPCS")
_SETTINGS = {"outpatient", "inpatient", "emergency", "unknown"}


def _service(k: int, e: dict[str, Any]) -> Service:
    where = f"services[{k}] ({e.get('code', 'timed')})"
    system = str(e.get("system", "CPT"))
    if system not in _SYSTEMS:
        raise InputFormatError(f"{where}: system {system!r} not in {_SYSTEMS}", path=_WHERE)
    settings = frozenset(e["settings"]) if e.get("settings") else None
    if settings and not settings <= _SETTINGS:
        raise InputFormatError(f"{where}: unknown settings {sorted(settings - _SETTINGS)}", path=_WHERE)
    minutes = tuple((int(r["from"]), r["to"], str(r["code"])) for r in e.get("by_minutes", []))
    if e.get("timed") and not minutes:
        raise InputFormatError(f"{where}: a timed entry needs by_minutes", path=_WHERE)
    if not e.get("timed") and not e.get("code"):
        raise InputFormatError(f"{where}: needs a code", path=_WHERE)
    if not e.get("desc"):
        raise InputFormatError(f"{where}: needs our own short descriptor (desc)", path=_WHERE)
    return Service(
        code=str(e.get("code", "")),
        system=system,
        desc=str(e["desc"]),
        patterns=_rxs(e.get("patterns"), where),
        settings=settings,
        note_types=frozenset(e["note_types"]) if e.get("note_types") else None,
        needs_cue=bool(e.get("needs_cue", False)),
        cue=_opt(e.get("cue"), where),
        unless=_opt(e.get("unless"), where),
        replaced_by=tuple(str(c) for c in e.get("replaced_by", [])),
        requires_any=tuple(str(c) for c in e.get("requires_any", [])),
        clia_waived=bool(e.get("clia_waived", False)),
        laterality=bool(e.get("laterality", False)),
        bundles_admin=bool(e.get("bundles_admin", False)),
        count_units=e.get("units_from") == "count",
        by_minutes=minutes,
    )


def _drug(k: int, e: dict[str, Any]) -> Drug:
    where = f"drugs[{k}] ({e.get('code')})"
    code = str(e.get("code", ""))
    if not re.fullmatch(r"[A-V]\d{4}", code):
        raise InputFormatError(f"{where}: not a HCPCS Level II code", path=_WHERE)
    per = float(e.get("per", 0))
    if per <= 0:
        raise InputFormatError(f"{where}: per (the billing unit size) must be positive", path=_WHERE)
    return Drug(
        code=code,
        names=_rx(str(e["names"]), where),
        per=per,
        unit=str(e["unit"]),
        default_route=e.get("default_route"),
        default_units=float(e["default_units"]) if e.get("default_units") is not None else None,
        desc=str(e.get("comment", code)),
    )


def parse_lexicon(meta: DataMeta, body: dict[str, Any]) -> Lexicon:
    """Validate and compile the lexicon; ``InputFormatError`` names the bad entry."""
    policy = body.get("policy", {})
    vb = _FLAGS | re.VERBOSE
    vac = body["vaccines"]
    return Lexicon(
        meta=meta,
        skip_note_types=frozenset(policy.get("skip_note_types", [])),
        not_performed=_rx(policy["not_performed"], "policy.not_performed", vb),
        performed=_rx(policy["performed"], "policy.performed", vb),
        plan_headers=_rx(rf"^\s*{policy['plan_headers']}\s*$", "policy.plan_headers"),
        performed_headers=_rx(rf"^\s*{policy['performed_headers']}\s*$", "policy.performed_headers"),
        history_headers=_rx(rf"^\s*{policy['history_headers']}\s*$", "policy.history_headers"),
        context_ignore=frozenset(str(w).lower() for w in policy.get("context_ignore", [])),
        drug_skip_note_types=frozenset(policy.get("drug_skip_note_types", [])),
        services=tuple(_service(k, e) for k, e in enumerate(body["services"])),
        lacerations=body["lacerations"],
        skin_lesions=body["skin_lesions"],
        joints=body["joint_injections"],
        vaccines=vac,
        vaccine_products=tuple(
            VaccineProduct(
                str(p["code"]),
                str(p["group"]),
                _rx(p["pattern"], f"vaccines.products[{k}]"),
                str(p.get("comment", "")),
            )  # fmt: skip
            for k, p in enumerate(vac["products"])
        ),
        drugs=tuple(_drug(k, e) for k, e in enumerate(body["drugs"])),
        routes={k: _rx(v, f"routes.{k}") for k, v in body["routes"].items()},
        administration=body["administration"],
        distinct_pairs=tuple(
            DistinctPair(**{k: str(v) for k, v in p.items()}) for p in body["distinct_pairs"]
        ),
        em_25_codes=frozenset(str(c) for c in body["em_25_codes"]),
    )


@functools.cache
def procedure_lexicon() -> Lexicon:
    """The packaged lexicon, parsed once per process."""
    meta, body = load_data(RESOURCE)
    try:
        return parse_lexicon(meta, body)
    except (KeyError, TypeError) as e:
        raise InputFormatError(f"missing or malformed field: {e}", path=_WHERE) from None
