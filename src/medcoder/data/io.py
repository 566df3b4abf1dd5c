"""Generic dataset files of :class:`Document` records: JSONL, CSV and Parquet.

One document per JSONL line (the full record, spans included)::

    {"id": "d1", "text": "...", "doc_type": "note", "setting": "outpatient",
     "patient": {"age": 54, "sex": "F"}, "encounter_date": "2026-03-01", "payer": null,
     "source": "text", "source_id": null, "language": "en",
     "sections": [{"name": "assessment", "start": 0, "end": 42}],
     "labels": [{"system": "ICD-10-CM", "code": "E11.22", "spans": [[10, 25], [30, 41, 0.9]]}],
     "hints": []}

Only ``id`` and ``text`` are required; every other key falls back to the record's default.
``hints`` (codes from the source's structured data, never gold) has the shape of ``labels``.
CSV is flat (one row per document; ``labels`` and ``hints`` are ``;``-separated lists of
``SYSTEM:CODE``; spans and sections are not kept). Parquet stores the same nested shape as JSONL. A malformed file raises
:class:`~medcoder.errors.InputFormatError` naming the file, the line (JSONL, CSV) or row (Parquet,
1-based) and the problem, so the user can fix the input.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from medcoder.data.codec import document_from_dict, document_to_dict
from medcoder.data.records import Document
from medcoder.errors import InputFormatError

__all__ = [
    "document_from_dict",
    "document_to_dict",
    "read_csv",
    "read_documents",
    "read_jsonl",
    "read_parquet",
    "write_csv",
    "write_documents",
    "write_jsonl",
    "write_parquet",
]

log = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".csv", ".parquet")
CSV_COLUMNS = (
    "id",
    "text",
    "doc_type",
    "setting",
    "patient_age",
    "patient_sex",
    "encounter_date",
    "payer",
    "source",
    "source_id",
    "language",
    "labels",
    "hints",
)


# --------------------------------------------------------------------------- JSONL


def write_jsonl(docs: Iterable[Document], path: str | Path) -> Path:
    """Write documents one JSON object per line (UTF-8, non-ASCII kept as is)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(document_to_dict(doc), ensure_ascii=False) + "\n")
    return path


def _utf8_guard(read: Callable[[Path], list[Document]]) -> Callable[[str | Path], list[Document]]:
    """Turn a decoding failure into an InputFormatError that names the file."""

    @functools.wraps(read)
    def wrapper(path: str | Path) -> list[Document]:
        path = Path(path)
        try:
            return read(path)
        except UnicodeDecodeError as exc:
            raise InputFormatError(f"file is not UTF-8 text ({exc.reason})", path=path) from exc

    return wrapper


@_utf8_guard
def read_jsonl(path: Path) -> list[Document]:
    """Read a JSONL file of documents; blank lines are skipped, ids must be unique."""
    docs: list[Document] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputFormatError(
                    f"bad JSON: {exc.msg} (column {exc.colno})", path=path, line=lineno
                ) from exc
            doc = document_from_dict(obj, path=path, line=lineno)
            _check_unique(doc.id, lineno, seen, path)
            docs.append(doc)
    return docs


def _check_unique(doc_id: str, lineno: int, seen: dict[str, int], path: Path) -> None:
    if doc_id in seen:
        raise InputFormatError(
            f"duplicate document id {doc_id!r} (first on line {seen[doc_id]})", path=path, line=lineno
        )
    seen[doc_id] = lineno


# --------------------------------------------------------------------------- CSV


def write_csv(docs: Iterable[Document], path: str | Path) -> Path:
    """Write one row per document; labels become ``SYSTEM:CODE;...`` (spans and sections are dropped)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for doc in docs:
            d = document_to_dict(doc)
            writer.writerow(
                {
                    **{k: d[k] for k in CSV_COLUMNS if k in d and k not in ("labels", "hints")},
                    "patient_age": "" if doc.patient.age is None else doc.patient.age,
                    "patient_sex": doc.patient.sex.value,
                    "labels": ";".join(f"{lab.system.value}:{lab.code}" for lab in doc.labels),
                    "hints": ";".join(f"{lab.system.value}:{lab.code}" for lab in doc.hints),
                }
            )
    return path


@_utf8_guard
def read_csv(path: Path) -> list[Document]:
    """Read a CSV with at least ``id`` and ``text`` columns (see :data:`CSV_COLUMNS`)."""
    docs: list[Document] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in ("id", "text") if c not in header]
        if missing:
            raise InputFormatError(f"CSV header lacks column(s) {', '.join(missing)}", path=path, line=1)
        start = reader.line_num + 1
        for row in reader:
            if None in row:
                raise InputFormatError("row has more fields than the header", path=path, line=start)
            doc = document_from_dict(_csv_row_to_dict(row, path, start), path=path, line=start)
            _check_unique(doc.id, start, seen, path)
            docs.append(doc)
            start = reader.line_num + 1
    return docs


def _csv_row_to_dict(row: dict[str, str | None], path: Path, line: int) -> dict[str, Any]:
    def get(key: str) -> str | None:
        value = row.get(key)
        return value if value not in (None, "") else None

    age = get("patient_age")
    if age is not None:
        try:
            age_value: int | None = int(age)
        except ValueError:
            raise InputFormatError(f"patient_age {age!r} is not an integer", path=path, line=line) from None
    else:
        age_value = None

    def codes(column: str) -> list[dict[str, Any]]:
        out = []
        for item in filter(None, (part.strip() for part in (get(column) or "").split(";"))):
            system, sep, code = item.partition(":")
            if not sep:
                raise InputFormatError(
                    f"{column} item {item!r} must look like SYSTEM:CODE (e.g. ICD-10-CM:E11.22)",
                    path=path,
                    line=line,
                )
            out.append({"system": system.strip(), "code": code.strip(), "spans": []})
        return out

    return {
        "id": row.get("id") or None,
        "text": row.get("text"),
        "doc_type": get("doc_type"),
        "setting": get("setting"),
        "patient": {"age": age_value, "sex": get("patient_sex")},
        "encounter_date": get("encounter_date"),
        "payer": get("payer"),
        "source": get("source"),
        "source_id": get("source_id"),
        "language": get("language"),
        "labels": codes("labels"),
        "hints": codes("hints"),
    }


# --------------------------------------------------------------------------- Parquet


def _parquet_schema() -> Any:
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64())])
    label = pa.list_(pa.struct([("system", pa.string()), ("code", pa.string()), ("spans", pa.list_(span))]))
    return pa.schema(
        [
            ("id", pa.string()),
            ("text", pa.string()),
            ("doc_type", pa.string()),
            ("setting", pa.string()),
            ("patient", pa.struct([("age", pa.int64()), ("sex", pa.string())])),
            ("encounter_date", pa.string()),
            ("payer", pa.string()),
            ("source", pa.string()),
            ("source_id", pa.string()),
            ("language", pa.string()),
            (
                "sections",
                pa.list_(pa.struct([("name", pa.string()), ("start", pa.int64()), ("end", pa.int64())])),
            ),
            ("labels", label),
            ("hints", label),
        ]
    )


def write_parquet(docs: Iterable[Document], path: str | Path) -> Path:
    """Write documents as one Parquet row each, with nested sections and labels (spans as structs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for doc in docs:
        d = document_to_dict(doc)
        for label in d["labels"] + d["hints"]:
            label["spans"] = [
                {"start": sp[0], "end": sp[1], "score": sp[2] if len(sp) == 3 else 1.0}
                for sp in label["spans"]
            ]
        rows.append(d)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=_parquet_schema()), path)
    return path


def read_parquet(path: str | Path) -> list[Document]:
    """Read a Parquet file with at least ``id`` and ``text`` columns; errors name the 1-based row."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputFormatError(f"not a readable Parquet file: {exc}", path=path) from exc
    missing = [c for c in ("id", "text") if c not in table.column_names]
    if missing:
        raise InputFormatError(f"Parquet file lacks column(s) {', '.join(missing)}", path=path)
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for row_no, row in enumerate(table.to_pylist(), start=1):
        doc = document_from_dict(row, path=path, line=row_no)
        _check_unique(doc.id, row_no, seen, path)
        docs.append(doc)
    return docs


# --------------------------------------------------------------------------- dispatch


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFormatError(
            f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUFFIXES)}", path=path
        )
    return suffix


def read_documents(path: str | Path) -> list[Document]:
    """Read documents from a ``.jsonl``, ``.csv`` or ``.parquet`` file, chosen by suffix."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise InputFormatError("file not found", path=path)
    reader = {".jsonl": read_jsonl, ".csv": read_csv, ".parquet": read_parquet}[suffix]
    docs = reader(path)
    log.info("read %d documents from %s", len(docs), path)
    return docs


def write_documents(docs: Iterable[Document], path: str | Path) -> Path:
    """Write documents to a ``.jsonl``, ``.csv`` or ``.parquet`` file, chosen by suffix."""
    path = Path(path)
    writer = {".jsonl": write_jsonl, ".csv": write_csv, ".parquet": write_parquet}[_suffix(path)]
    return writer(docs, path)
