"""Settings of the synthetic corpus generator, from code or from a YAML file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from medcoder.errors import InputFormatError

DOC_TYPES = ("progress_note", "ed_note", "discharge_summary", "consult", "procedure_note")
DEFAULT_MIX: Mapping[str, float] = MappingProxyType(
    {
        "progress_note": 0.40,
        "ed_note": 0.25,
        "discharge_summary": 0.15,
        "consult": 0.10,
        "procedure_note": 0.10,
    }
)


@dataclass(frozen=True)
class SynthConfig:
    """What to generate.

    Attributes:
        codes: restrict the ICD-10-CM code set to these codes (None: the whole catalog). Codes the
            catalog does not describe get mentions from their tabular description only.
        catalog_path: a condition catalog YAML in the format of the packaged one (None: packaged).
        doc_type_mix: relative weight of each document type (missing types get weight 0).
        zipf_exponent: code frequency ~ 1 / rank**s; larger s gives a longer tail.
        max_extra_codes: most secondary diagnoses in one note besides the primary.
        distractors: (min, max) non-codable mentions (negated, family, historical, rule-out) per note.
        time_statement_rate: share of office visits that document total time (E/M by time).
        start_date, end_date: encounter dates are drawn uniformly between them.
        id_prefix: document ids are ``{id_prefix}-{seed}-{index:06d}``.
    """

    codes: tuple[str, ...] | None = None
    catalog_path: Path | None = None
    doc_type_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    zipf_exponent: float = 1.0
    max_extra_codes: int = 5
    distractors: tuple[int, int] = (1, 4)
    time_statement_rate: float = 0.4
    start_date: dt.date = dt.date(2024, 1, 1)
    end_date: dt.date = dt.date(2026, 6, 30)
    id_prefix: str = "synth"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.doc_type_mix) - set(DOC_TYPES))
        if unknown:
            raise ValueError(f"unknown document types {unknown}; choose from {', '.join(DOC_TYPES)}")
        if any(w < 0 for w in self.doc_type_mix.values()) or sum(self.doc_type_mix.values()) <= 0:
            raise ValueError("doc_type_mix needs non-negative weights with a positive sum")
        if self.zipf_exponent < 0:
            raise ValueError(f"zipf_exponent must be >= 0, got {self.zipf_exponent}")
        lo, hi = self.distractors
        if not 0 <= lo <= hi:
            raise ValueError(f"distractors must be (min, max) with 0 <= min <= max, got {self.distractors}")
        if not 0 <= self.time_statement_rate <= 1:
            raise ValueError("time_statement_rate must be in [0, 1]")
        if self.start_date > self.end_date:
            raise ValueError("start_date must not be after end_date")
        if self.codes is not None:
            object.__setattr__(self, "codes", tuple(str(c).strip().upper() for c in self.codes))
            if not self.codes:
                raise ValueError("codes must not be empty (use None for the whole catalog)")

    @classmethod
    def from_yaml(cls, path: str | Path) -> SynthConfig:
        """Read a config file: keys as the attributes; ``codes`` may be a list or a file with one code a line."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputFormatError(f"cannot read synthetic corpus config: {exc}", path=path) from exc
        if not isinstance(data, dict):
            raise InputFormatError("expected a mapping of settings", path=path)
        kwargs: dict[str, Any] = {}
        known = set(cls.__dataclass_fields__)
        for key, value in data.items():
            if key not in known:
                raise InputFormatError(
                    f"unknown setting {key!r}; known: {', '.join(sorted(known))}", path=path
                )
            kwargs[key] = value
        codes = kwargs.get("codes")
        if isinstance(codes, str):  # a file of codes, relative to the config file
            codes_path = (path.parent / codes) if not Path(codes).is_absolute() else Path(codes)
            try:
                lines = codes_path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise InputFormatError(f"cannot read code list: {exc}", path=codes_path) from exc
            kwargs["codes"] = tuple(x.split("#")[0].strip() for x in lines if x.split("#")[0].strip())
        elif codes is not None:
            kwargs["codes"] = tuple(codes)
        if kwargs.get("catalog_path"):
            kwargs["catalog_path"] = path.parent / kwargs["catalog_path"]
        for key in ("start_date", "end_date"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = dt.date.fromisoformat(kwargs[key])
        if "distractors" in kwargs:
            kwargs["distractors"] = tuple(kwargs["distractors"])
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise InputFormatError(str(exc), path=path) from exc
