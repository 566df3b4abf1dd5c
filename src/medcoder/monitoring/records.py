"""Typed rows the monitoring modules pass around: one coded chart, one coder decision, one remitted line.

They are read from the audit trail (``window``) and the claims store (``denials``) and hold codes,
probabilities, routes and numeric descriptors of the note, never note text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ChartRow:
    """A chart as the model coded it: its latest ``suggested`` (or ``viewed``) event in the window.

    ``codes`` are ``"SYSTEM:CODE"`` keys (``"ICD-10-CM:E11.9"``) in the event's order and
    ``probabilities`` the calibrated probability of each (NaN when the event had none).
    ``profile`` holds the note's descriptors recorded with the event (``medcoder.monitoring.profile``),
    empty when the service recorded none.
    """

    document_id: str
    model_version: str
    occurred_at: str
    route: str
    codes: tuple[str, ...]
    probabilities: tuple[float, ...]
    profile: dict[str, float | str] = field(default_factory=dict)

    @property
    def min_probability(self) -> float:
        """The least confident suggested code (NaN for a chart with none)."""
        finite = [p for p in self.probabilities if p == p]
        return min(finite) if finite else float("nan")


def code_key(system: str, code: str) -> str:
    """``"ICD-10-CM:E11.9"``: the key a code has in every monitoring table."""
    return f"{system}:{code}"


def json_friendly(value: Any) -> Any:
    """``value`` for ``json.dumps(..., allow_nan=False)``: NaN/inf as None, tuples as lists, keys as str."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_friendly(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_friendly(v) for v in value]
    return value
