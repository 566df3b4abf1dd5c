"""A quarter store of NCCI tables as Parquet files (one folder per quarter).

Layout: ``<root>/<YYYYQn>/<table>.parquet`` with tables ``ptp_practitioner``,
``ptp_hospital_outpatient``, ``mue_practitioner``, ``mue_hospital_outpatient`` and ``aoc``.
DuckDB can query the files directly (``SELECT * FROM '<root>/2026Q1/ptp_practitioner.parquet'``);
the checks load a quarter into in-memory hash indexes (:class:`NcciTables`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from medcoder.errors import InputFormatError
from medcoder.rules.ncci.loaders import load_aoc, load_mue, load_ptp
from medcoder.rules.ncci.records import AocEdit, MueEdit, NcciTables, PtpEdit, PtpIndex

log = logging.getLogger(__name__)
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
PROVIDER_TYPES = ("practitioner", "hospital_outpatient")


def quarter_start(quarter: str) -> dt.date:
    """``"2026Q2"`` -> 2026-04-01. Raises ValueError on another shape."""
    m = _QUARTER.match(quarter)
    if not m:
        raise ValueError(f"quarter must look like 2026Q1, got {quarter!r}")
    return dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)


def quarter_of(day: dt.date) -> str:
    """The calendar quarter holding ``day`` (``2026-05-01`` -> ``"2026Q2"``)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _write(rows: Sequence[object], path: Path) -> None:
    frame = pd.DataFrame([dataclasses.asdict(r) for r in rows])
    frame.to_parquet(path, index=False)


def import_quarter(
    root: str | Path,
    quarter: str,
    *,
    ptp: dict[str, Sequence[str | Path]] | None = None,
    mue: dict[str, str | Path] | None = None,
    aoc: str | Path | None = None,
) -> Path:
    """Read official CMS files for one quarter and write them as Parquet under ``root/quarter``.

    ``ptp`` maps a provider type (``practitioner`` / ``hospital_outpatient``) to its files (CMS
    splits each PTP table into several), ``mue`` maps a provider type to its MUE CSV.
    """
    quarter_start(quarter)
    out = Path(root) / quarter
    out.mkdir(parents=True, exist_ok=True)
    for kind, files in (ptp or {}).items():
        _check_kind(kind)
        rows: list[PtpEdit] = [e for f in files for e in load_ptp(f)]
        _write(rows, out / f"ptp_{kind}.parquet")
        log.info("%s: %d PTP %s edits", quarter, len(rows), kind)
    for kind, file in (mue or {}).items():
        _check_kind(kind)
        _write(load_mue(file), out / f"mue_{kind}.parquet")
    if aoc is not None:
        _write(load_aoc(aoc), out / "aoc.parquet")
    return out


def _check_kind(kind: str) -> None:
    if kind not in PROVIDER_TYPES:
        raise ValueError(f"provider type must be one of {PROVIDER_TYPES}, got {kind!r}")


def _date(v: object) -> dt.date | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    return pd.Timestamp(v).date() if not isinstance(v, dt.date) else v


def load_quarter(root: str | Path, quarter: str) -> NcciTables:
    """Load one stored quarter into hash indexes; missing tables stay empty."""
    folder = Path(root) / quarter
    if not folder.is_dir():
        raise InputFormatError(f"no NCCI quarter {quarter} in the store", path=folder)
    tables = NcciTables(version=quarter)
    for kind in PROVIDER_TYPES:
        f = folder / f"ptp_{kind}.parquet"
        if f.exists():
            df = pd.read_parquet(f)
            tables.ptp[kind] = PtpIndex(
                PtpEdit(
                    r.column1,
                    r.column2,
                    bool(r.pre_1996),
                    _date(r.effective),
                    _date(r.deletion),
                    int(r.modifier_indicator),
                    r.rationale,
                )
                for r in df.itertuples(index=False)
            )
        f = folder / f"mue_{kind}.parquet"
        if f.exists():
            df = pd.read_parquet(f)
            tables.mue[kind] = {
                r.code: MueEdit(r.code, int(r.value), None if pd.isna(r.mai) else int(r.mai), r.rationale)
                for r in df.itertuples(index=False)
            }
    f = folder / "aoc.parquet"
    if f.exists():
        df = pd.read_parquet(f)
        tables.aoc = NcciTables.index_aoc(
            AocEdit(r.addon, r.primary, int(r.edit_type), _date(r.effective), _date(r.deletion), r.notes)
            for r in df.itertuples(index=False)
        )
    return tables


def available_quarters(root: str | Path) -> list[str]:
    """Stored quarters, oldest first."""
    p = Path(root)
    return sorted(d.name for d in p.iterdir() if d.is_dir() and _QUARTER.match(d.name)) if p.is_dir() else []


def load_for_date(root: str | Path, day: dt.date) -> NcciTables | None:
    """The latest stored quarter that starts on or before ``day`` (None when none does)."""
    usable = [q for q in available_quarters(root) if quarter_start(q) <= day]
    if not usable:
        return None
    if usable[-1] != quarter_of(day):
        log.warning("NCCI store has no %s; using %s", quarter_of(day), usable[-1])
    return load_quarter(root, usable[-1])
