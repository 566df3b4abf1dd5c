"""Denial rates of remitted claim lines, and what they move with: model version, confidence, route,
codes and coder overrides.

Inputs are remitted lines (:class:`medcoder.claims.remitted.RemittedLine`, read with
``ClaimsStore.remitted_lines``; any object with the attributes of :class:`DenialLine` will do, so
this module does not import the claims package, a sibling in the layering) and the charts they bill
(``document_id`` = the claim's ``encounter_id``). Statistics, all at 95%:

- a rate's interval is Wilson's score interval (sensible at 0 or n denials, unlike Wald's);
- denial vs confidence: the point-biserial (Pearson) r between denied (0/1) and the chart's least
  confident code, with a Fisher z interval; lines of one chart are not independent, so the
  interval is optimistic when charts have many lines;
- denial vs override: the rates with and without a coder override, their difference with
  Newcombe's hybrid score interval (method 10) and the phi coefficient of the 2x2 table;
- a spike: per code, a one-sided Fisher exact test that the current window's rate exceeds the
  reference window's, Benjamini-Hochberg adjusted over the codes tested.

Codes are monitoring keys: the line's procedure as ``"CPT:99213"`` (``"HCPCS:G0439"`` when it starts
with a letter, the rule of the ``exported`` audit event) and each pointed diagnosis as
``"ICD-10-CM:E11.9"`` (dot restored, as in :class:`~medcoder.monitoring.records.ChartRow`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, fisher_exact

from medcoder.monitoring.intervals import (
    fisher_z_interval,
    newcombe_interval,
    phi_coefficient,
    probability_bucket,
    wilson_interval,
)
from medcoder.monitoring.records import ChartRow, code_key, json_friendly
from medcoder.routing.policy import Route

"""Min-probability buckets, each with its exclusive upper bound (the last includes 1.0)."""
UNKNOWN_ROUTE = "unknown"
ROUTES = frozenset(r.value for r in Route)
TOP_CODES = 50
MAX_ROWS = 50_000

Counts = Mapping[str, tuple[int, int]]
"""Per code: (lines, denied lines)."""


class DenialLine(Protocol):
    """What this module reads from a remitted line (``RemittedLine`` has these and more)."""

    @property
    def encounter_id(self) -> str: ...
    @property
    def model_version(self) -> str: ...
    @property
    def procedure(self) -> str: ...
    @property
    def diagnoses(self) -> tuple[str, ...]: ...
    @property
    def denied(self) -> bool: ...


@dataclass(frozen=True)
class Rate:
    """A denial rate: lines, denied lines, the rate and its Wilson interval."""

    n: int
    denied: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, n: int, denied: int) -> Rate:
        return cls(n, denied, denied / n if n else math.nan, *wilson_interval(denied, n))


@dataclass(frozen=True)
class Correlation:
    """Point-biserial r between denied and min probability over ``n`` lines, Fisher z interval."""

    r: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class OverrideEffect:
    """Denial with vs without a coder override on the chart (difference = with - without)."""

    overridden: Rate
    not_overridden: Rate
    difference: float
    low: float
    high: float
    phi: float


@dataclass(frozen=True)
class CodeSpike:
    """A code whose denial rate rose significantly from the reference window to the current one."""

    code: str
    n_current: int
    rate_current: float
    n_reference: int
    rate_reference: float
    p_value: float
    p_adjusted: float

    def to_dict(self) -> dict[str, Any]:
        return json_friendly(asdict(self))


@dataclass(frozen=True)
class DenialSummary:
    """Denial rates of a set of remitted lines, overall and by group, with their correlations.

    ``by_code`` keeps the ``top_codes`` codes with most lines (ties by code).
    """

    overall: Rate
    by_model_version: dict[str, Rate]
    by_bucket: dict[str, Rate]
    by_route: dict[str, Rate]
    by_code: dict[str, Rate]
    confidence: Correlation
    overrides: OverrideEffect

    @property
    def n_lines(self) -> int:
        return self.overall.n

    @property
    def n_denied(self) -> int:
        return self.overall.denied

    @property
    def denial_rate(self) -> float:
        return self.overall.rate

    def code_counts(self) -> dict[str, tuple[int, int]]:
        """``by_code`` as (lines, denied) counts, the input of :func:`attribute_spike`."""
        return {code: (r.n, r.denied) for code, r in self.by_code.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: nested dicts of plain numbers, NaN (no data) as None."""
        out = {"n_lines": self.n_lines, "n_denied": self.n_denied, "denial_rate": self.denial_rate}
        return json_friendly(out | asdict(self))


def confidence_bucket(min_probability: float) -> str:
    """``"0.0-0.5"``, ``"0.5-0.7"``, ``"0.7-0.9"``, ``"0.9-1.0"``, or ``"none"`` for NaN."""
    return probability_bucket(min_probability)


def procedure_key(code: str) -> str:
    """``"CPT:99213"``; ``"HCPCS:G0439"`` for a code starting with a letter (HCPCS Level II)."""
    return code_key("HCPCS" if code[:1].isalpha() else "CPT", code)


def diagnosis_key(code: str) -> str:
    """``"ICD-10-CM:E11.9"`` from the stored X12 form ``E119`` (a dotted code is kept)."""
    bare = code.replace(".", "").upper()
    return code_key("ICD-10-CM", bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}")


def line_codes(line: DenialLine) -> tuple[str, ...]:
    """The line's procedure key then its pointed diagnosis keys, each once."""
    return tuple(dict.fromkeys((procedure_key(line.procedure), *map(diagnosis_key, line.diagnoses))))


def code_counts(lines: Iterable[DenialLine]) -> dict[str, tuple[int, int]]:
    """(lines, denied lines) per code over ``lines``; a line counts once for each of its codes."""
    counts: dict[str, list[int]] = {}
    for line in lines:
        for code in line_codes(line):
            tally = counts.setdefault(code, [0, 0])
            tally[0] += 1
            tally[1] += int(line.denied)
    return {code: (n, k) for code, (n, k) in counts.items()}


def _context(line: DenialLine, charts: Mapping[str, ChartRow]) -> tuple[float, str, str]:
    """The line's chart min probability, bucket and route (NaN, "none", "unknown" without a chart)."""
    chart = charts.get(line.encounter_id)
    p = chart.min_probability if chart is not None else math.nan
    route = chart.route if chart is not None and chart.route in ROUTES else UNKNOWN_ROUTE
    return p, confidence_bucket(p), route


def _rates(tallies: Mapping[str, list[int]]) -> dict[str, Rate]:
    return {key: Rate.of(n, k) for key, (n, k) in sorted(tallies.items())}


def _pearson(x: list[float], y: list[float]) -> Correlation:
    n = len(x)
    if n < 2 or np.std(x) == 0 or np.std(y) == 0:
        return Correlation(math.nan, math.nan, math.nan, n)
    r = float(np.corrcoef(x, y)[0, 1])
    return Correlation(r, *fisher_z_interval(r, n), n)


def denial_summary(
    lines: Iterable[DenialLine],
    charts: Mapping[str, ChartRow],
    overridden: Collection[str] = (),
    top_codes: int = TOP_CODES,
) -> DenialSummary:
    """Summarise ``lines`` (one pass): ``charts`` maps document_id -> chart, ``overridden`` holds the
    document_ids a coder changed. Lines without a chart count as bucket "none", route "unknown"."""
    changed = frozenset(overridden)
    groups: dict[str, dict[str, list[int]]] = {"version": {}, "bucket": {}, "route": {}, "code": {}}
    table = [[0, 0], [0, 0]]  # [overridden?][denied?] -> lines
    probs: list[float] = []
    flags: list[float] = []
    for line in lines:
        p, bucket, route = _context(line, charts)
        denied = int(line.denied)
        keys = {"version": (line.model_version,), "bucket": (bucket,), "route": (route,)}
        for name, values in (keys | {"code": line_codes(line)}).items():
            for value in values:
                tally = groups[name].setdefault(value, [0, 0])
                tally[0] += 1
                tally[1] += denied
        table[int(line.encounter_id in changed)][denied] += 1
        if math.isfinite(p):
            probs.append(p)
            flags.append(float(denied))
    (not_paid, not_denied), (yes_paid, yes_denied) = table
    n = not_paid + not_denied + yes_paid + yes_denied
    with_override = Rate.of(yes_paid + yes_denied, yes_denied)
    without = Rate.of(not_paid + not_denied, not_denied)
    top = sorted(groups["code"].items(), key=lambda kv: (-kv[1][0], kv[0]))[:top_codes]
    effect = OverrideEffect(
        with_override,
        without,
        with_override.rate - without.rate,
        *newcombe_interval(yes_denied, with_override.n, not_denied, without.n),
        phi_coefficient(yes_denied, yes_paid, not_denied, not_paid),
    )
    return DenialSummary(
        overall=Rate.of(n, not_denied + yes_denied),
        by_model_version=_rates(groups["version"]),
        by_bucket=_rates(groups["bucket"]),
        by_route=_rates(groups["route"]),
        by_code={code: Rate.of(k[0], k[1]) for code, k in top},
        confidence=_pearson(flags, probs),
        overrides=effect,
    )


def attribute_spike(
    current: Counts | DenialSummary,
    reference: Counts | DenialSummary,
    min_lines: int = 20,
    alpha: float = 0.05,
) -> list[CodeSpike]:
    """Codes whose denial rate rose significantly from ``reference`` to ``current``.

    Codes with at least ``min_lines`` lines in both windows are tested (one-sided Fisher exact,
    alternative: the current window's odds of denial are higher); p-values are Benjamini-Hochberg
    adjusted over the tested codes and those with adjusted p <= ``alpha`` are returned, sorted by
    adjusted p (then code). BH stays valid under the positive dependence of codes sharing lines.
    """
    cur = current.code_counts() if isinstance(current, DenialSummary) else current
    ref = reference.code_counts() if isinstance(reference, DenialSummary) else reference
    tested = sorted(c for c in cur.keys() & ref.keys() if cur[c][0] >= min_lines and ref[c][0] >= min_lines)
    if not tested:
        return []
    p_values = []
    for code in tested:
        (nc, kc), (nr, kr) = cur[code], ref[code]
        p_values.append(float(fisher_exact([[kc, nc - kc], [kr, nr - kr]], alternative="greater").pvalue))
    adjusted = false_discovery_control(p_values, method="bh")
    spikes = [
        CodeSpike(code, cur[code][0], cur[code][1] / cur[code][0], ref[code][0], ref[code][1] / ref[code][0],
                  p, float(q))
        for code, p, q in zip(tested, p_values, adjusted, strict=True)
        if q <= alpha
    ]  # fmt: skip
    return sorted(spikes, key=lambda s: (s.p_adjusted, s.p_value, s.code))


def denial_frame(
    lines: Iterable[DenialLine],
    charts: Mapping[str, ChartRow],
    overridden: Collection[str] = (),
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per line (model_version, denied 0/1, min_probability, bucket, route, procedure key,
    overridden 0/1) for an Evidently dataset, indexed by the line's position in ``lines``. Past
    ``max_rows`` lines a seeded uniform sample (reservoir) of ``max_rows`` is kept, in input order."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be positive, got {max_rows}")
    changed = frozenset(overridden)
    rng = random.Random(seed)
    kept: list[tuple[int, DenialLine]] = []
    for i, line in enumerate(lines):
        if len(kept) < max_rows:
            kept.append((i, line))
        elif (j := rng.randrange(i + 1)) < max_rows:
            kept[j] = (i, line)
    kept.sort(key=lambda pair: pair[0])
    rows = []
    for _, line in kept:
        p, bucket, route = _context(line, charts)
        rows.append((line.model_version, int(line.denied), p, bucket, route, procedure_key(line.procedure),
                     int(line.encounter_id in changed)))  # fmt: skip
    columns = ["model_version", "denied", "min_probability", "bucket", "route", "procedure", "overridden"]
    frame = pd.DataFrame(rows, columns=columns, index=pd.Index([i for i, _ in kept], name="line"))
    return frame.astype({"denied": "int64", "min_probability": "float64"})
