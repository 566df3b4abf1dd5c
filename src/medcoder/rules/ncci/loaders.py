"""Readers for CMS's published NCCI file layouts (any quarter a user downloads).

* PTP tables (practitioner ``ccipra-v###r0-f#.txt`` and hospital outpatient ``ccioph-...``):
  tab-delimited text after a few copyright/header lines. Columns: Column 1, Column 2,
  ``* = in existence prior to 1996``, Effective Date (YYYYMMDD), Deletion Date (YYYYMMDD,
  ``*`` = no data), Modifier (0 = not allowed, 1 = allowed, 9 = not applicable), PTP Edit
  Rationale. The same columns saved as CSV (from the Excel version) are accepted.
* MUE tables (``MCR_MUE_PractitionerServices_Eff_<date>.csv``, outpatient hospital, DME): CSV
  with copyright lines, then ``HCPCS/CPT Code, <Practitioner|Outpatient Hospital|DME Supplier>
  Services MUE Values, MUE Adjudication Indicator, MUE Rationale``; the indicator is written
  ``"1 Line Edit"``, ``"2 Date of Service Edit: Policy"`` or ``"3 Date of Service Edit: Clinical"``.
* Add-on code edits (``AOC_V<year>Q<n>-MCR``, saved as CSV or tab text): columns Primary Code,
  Add-on Code, AOC Edit Type (1/2/3), and the add-on, primary and edit effective/deletion dates
  (YYYYMMDD or Julian YYYYDDD; blank or ``*`` = none); primary ``CCCCC`` = contractor-defined.

Rows that are not data (banners, headers) are skipped; a data row with a bad field raises
:class:`~medcoder.errors.InputFormatError` naming the file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from medcoder.errors import InputFormatError
from medcoder.rules.ncci.records import AocEdit, MueEdit, PtpEdit

_CODE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")
_NONE_DATES = {"", "*", "9999999", "99991231", "NULL", "N/A"}


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line number, fields) using tab or comma, whichever the line uses."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="latin-1", newline="") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t") if "\t" in line else next(csv.reader(io.StringIO(line)))
            yield n, [f.strip() for f in fields]


def parse_cms_date(text: str, *, path: Path, line: int, field: str) -> dt.date | None:
    """YYYYMMDD or Julian YYYYDDD; ``*``/blank/9999999 -> None."""
    t = text.strip().upper()
    if t in _NONE_DATES:
        return None
    try:
        if len(t) == 8 and t.isdigit():
            return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
        if len(t) == 7 and t.isdigit():
            return dt.date(int(t[:4]), 1, 1) + dt.timedelta(days=int(t[4:]) - 1)
        if len(t) == 10 and t[4] == "-":
            return dt.date.fromisoformat(t)
    except ValueError:
        pass
    raise InputFormatError(
        f"{field}: {text!r} is not a date (expected YYYYMMDD, YYYYDDD or '*')", path=path, line=line
    )


def load_ptp(path: str | Path) -> list[PtpEdit]:
    """Read one PTP file (practitioner or hospital outpatient layout)."""
    p = Path(path)
    out: list[PtpEdit] = []
    for n, f in _rows(p):
        if len(f) < 6 or not (_CODE.match(f[0].upper()) and _CODE.match(f[1].upper())):
            continue
        eff = parse_cms_date(f[3], path=p, line=n, field="Effective Date")
        if eff is None:
            raise InputFormatError("Effective Date is empty", path=p, line=n)
        mod = f[5]
        if mod not in {"0", "1", "9"}:
            raise InputFormatError(f"Modifier indicator must be 0, 1 or 9, got {mod!r}", path=p, line=n)
        out.append(
            PtpEdit(
                column1=f[0].upper(),
                column2=f[1].upper(),
                pre_1996=f[2] == "*",
                effective=eff,
                deletion=parse_cms_date(f[4], path=p, line=n, field="Deletion Date"),
                modifier_indicator=int(mod),
                rationale=f[6] if len(f) > 6 else "",
            )
        )
    if not out:
        raise InputFormatError(
            "no PTP edit rows found (expected Column 1 and Column 2 HCPCS/CPT codes)", path=p
        )
    return out


def _mai(text: str, path: Path, line: int) -> int:
    m = re.match(r"^\s*([123])\b", text)
    if not m:
        raise InputFormatError(
            f"MUE Adjudication Indicator must start with 1, 2 or 3, got {text!r}", path=path, line=line
        )
    return int(m.group(1))


def load_mue(path: str | Path) -> list[MueEdit]:
    """Read one CMS MUE CSV (practitioner, outpatient hospital or DME layout)."""
    p = Path(path)
    out: list[MueEdit] = []
    seen_header = False
    for n, f in _rows(p):
        if not seen_header:
            seen_header = bool(f) and f[0].upper().startswith("HCPCS")
            continue
        if not f or not _CODE.match(f[0].upper()):
            continue
        if len(f) < 3:
            raise InputFormatError("MUE row needs code, MUE value and adjudication indicator", path=p, line=n)
        try:
            value = int(f[1])
        except ValueError as e:
            raise InputFormatError(f"MUE value must be a whole number, got {f[1]!r}", path=p, line=n) from e
        out.append(
            MueEdit(
                code=f[0].upper(), value=value, mai=_mai(f[2], p, n), rationale=f[3] if len(f) > 3 else ""
            )
        )
    if not seen_header:
        raise InputFormatError("no 'HCPCS/CPT Code' header row found", path=p)
    return out


def load_mue_json_subset(path: str | Path) -> list[MueEdit]:
    """Read the derived ``{"code": {"limit": n, "rationale": s}}`` JSON (gzipped or not); MAI unknown."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    out = []
    for code, row in raw.items():
        try:
            out.append(
                MueEdit(
                    code=code.upper(),
                    value=int(row["limit"]),
                    mai=None,
                    rationale=str(row.get("rationale", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputFormatError(f"code {code}: expected {{'limit': int}}, got {row!r}", path=p) from e
    return out


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", h.lower()).strip()


_AOC_FIELDS = {
    "primary": ("primary code",),
    "addon": ("add on code", "addon code"),
    "type": ("aoc edit type",),
    "edit_eff": ("aoc edit eff dt", "aoc edit effective date"),
    "edit_del": ("aoc edit del dt", "aoc edit deletion date"),
    "notes": ("special instruction notes",),
}


def load_aoc(path: str | Path) -> list[AocEdit]:
    """Read one CMS add-on code edit table (CSV or tab text saved from the Excel file)."""
    p = Path(path)
    cols: dict[str, int] | None = None
    out: list[AocEdit] = []
    for n, f in _rows(p):
        if cols is None:
            names = [_norm(h) for h in f]
            found = {
                k: next((i for i, h in enumerate(names) if any(h.startswith(a) for a in alts)), -1)
                for k, alts in _AOC_FIELDS.items()
            }
            if found["primary"] >= 0 and found["addon"] >= 0 and found["type"] >= 0:
                cols = found
            continue

        def get(key: str, f: list[str] = f, cols: dict[str, int] = cols) -> str:
            i = cols[key]
            return f[i] if 0 <= i < len(f) else ""

        addon = get("addon").upper()
        if not _CODE.match(addon):
            continue
        etype = get("type")
        if etype not in {"1", "2", "3"}:
            raise InputFormatError(f"AOC Edit Type must be 1, 2 or 3, got {etype!r}", path=p, line=n)
        out.append(
            AocEdit(
                addon=addon,
                primary=get("primary").upper(),
                edit_type=int(etype),
                effective=parse_cms_date(get("edit_eff"), path=p, line=n, field="AOC edit effective date"),
                deletion=parse_cms_date(get("edit_del"), path=p, line=n, field="AOC edit deletion date"),
                notes=get("notes"),
            )
        )
    if cols is None:
        raise InputFormatError(
            "no header with 'Primary Code', 'Add-on Code' and 'AOC Edit Type' found", path=p
        )
    return out
