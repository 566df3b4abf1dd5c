"""MIMIC-IV ICD-10 in the layout of Edin et al. 2023 (``medical-coding-reproducibility``).

Their ``prepare_data/prepare_mimiciv.py`` and ``generate_mimiciv_splits.py`` write::

    <dir>/mimiciv_icd10.feather        one row per discharge summary: note_id, subject_id, _id (hadm_id),
                                       text (lower-cased, digits and punctuation removed), icd10_diag,
                                       icd10_proc, target (= icd10_proc + icd10_diag), num_words, ...
    <dir>/mimiciv_icd10_split.feather  _id, split ("train" | "val" | "test")

Their diagnosis codes carry a dot after the third character, also for 3-character codes (``I10.``);
procedure codes are undotted 7-character ICD-10-PCS codes. MIMIC-IV itself stores diagnosis codes
undotted (``E1122``); this loader accepts both and returns canonical dotted ICD-10-CM codes
(``E11.22``). MIMIC-IV is credentialed PhysioNet data: the project never ships it; users point the
loader at their own prepared files. Parquet files with the same columns are accepted too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from medcoder.data.records import CodeLabel, CodeSystem, Document, Setting
from medcoder.errors import InputFormatError

log = logging.getLogger(__name__)

DATA_FILENAME = "mimiciv_icd10.feather"
SPLIT_FILENAME = "mimiciv_icd10_split.feather"
SPLIT_ALIASES = {"train": "train", "val": "val", "dev": "val", "validation": "val", "test": "test"}


def mimic_icd10cm(code: str) -> str:
    """Canonical ICD-10-CM form of a MIMIC diagnosis code: ``E1122`` / ``E11.22`` / ``I10.`` -> ``E11.22`` / ``I10``."""
    from medcoder.terminology.coderefs import normalize_icd10cm

    return normalize_icd10cm(code)


def mimic_icd10pcs(code: str) -> str:
    """Canonical ICD-10-PCS form: upper case, no dots or spaces (``0dtj4zz`` -> ``0DTJ4ZZ``)."""
    return code.strip().upper().replace(".", "")


def _read_frame(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise FileNotFoundError(f"MIMIC-IV file not found: {path}")
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_feather(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputFormatError(f"not a readable feather/parquet file: {exc}", path=path) from exc


def _code_list(value: Any, column: str, path: Path, row: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        raise InputFormatError(
            f"column {column!r} must hold a list of codes, got the string {value!r}", path=path, line=row
        )
    try:
        return [str(c) for c in value]
    except TypeError:
        if value != value:  # NaN from a left join with no codes
            return []
        raise InputFormatError(
            f"column {column!r} must hold a list of codes, got {value!r}", path=path, line=row
        ) from None


def _labels(record: dict[str, Any], path: Path, row: int) -> list[CodeLabel]:
    """Diagnoses first then procedures, each in stored order, without repeats."""
    pairs: list[tuple[CodeSystem, str]] = []
    if "icd10_diag" in record or "icd10_proc" in record:
        pairs += [
            (CodeSystem.ICD10CM, c) for c in _code_list(record.get("icd10_diag"), "icd10_diag", path, row)
        ]
        pairs += [
            (CodeSystem.ICD10PCS, c) for c in _code_list(record.get("icd10_proc"), "icd10_proc", path, row)
        ]
    elif "target" in record:
        # Only the merged list: in this layout diagnosis codes are the dotted ones.
        for c in _code_list(record["target"], "target", path, row):
            pairs.append((CodeSystem.ICD10CM if "." in c else CodeSystem.ICD10PCS, c))
    else:
        raise InputFormatError("no code columns: expected icd10_diag/icd10_proc or target", path=path)
    labels: dict[tuple[CodeSystem, str], CodeLabel] = {}
    for system, raw in pairs:
        try:
            code = mimic_icd10cm(raw) if system == CodeSystem.ICD10CM else mimic_icd10pcs(raw)
        except ValueError as exc:
            raise InputFormatError(f"bad {system.value} code {raw!r}: {exc}", path=path, line=row) from None
        if not code:
            raise InputFormatError(f"empty {system.value} code", path=path, line=row)
        labels.setdefault((system, code), CodeLabel(system, code))
    return list(labels.values())


def load_mimiciv_icd10(
    data_dir: Path,
    split: str | None = None,
    *,
    data_filename: str = DATA_FILENAME,
    split_filename: str = SPLIT_FILENAME,
) -> list[Document]:
    """Load MIMIC-IV ICD-10 discharge summaries from Edin et al.'s prepared files.

    Args:
        data_dir: folder with ``mimiciv_icd10.feather`` and ``mimiciv_icd10_split.feather``.
        split: ``"train"``, ``"val"`` (or ``"dev"``) or ``"test"``; ``None`` loads every row.
        data_filename / split_filename: other names for the two files (``.feather`` or ``.parquet``).

    Returns:
        Documents with id ``str(_id)`` (the admission, ``hadm_id``), ``source_id`` the ``note_id``
        when present, inpatient setting, and ICD-10-CM then ICD-10-PCS labels. Row numbers in
        errors are 1-based data rows.
    """
    data_dir = Path(data_dir)
    data_path = data_dir / data_filename
    frame = _read_frame(data_path)
    id_col = "_id" if "_id" in frame.columns else "note_id" if "note_id" in frame.columns else None
    if id_col is None or "text" not in frame.columns:
        raise InputFormatError("expected columns '_id' (or 'note_id') and 'text'", path=data_path)

    wanted: set[str] | None = None
    if split is not None:
        name = SPLIT_ALIASES.get(split)
        if name is None:
            raise ValueError(f"unknown MIMIC-IV split {split!r}; expected train, val (dev) or test")
        split_path = data_dir / split_filename
        splits = _read_frame(split_path)
        if id_col not in splits.columns or "split" not in splits.columns:
            raise InputFormatError(f"expected columns {id_col!r} and 'split'", path=split_path)
        wanted = {str(i) for i, s in zip(splits[id_col], splits["split"], strict=True) if s == name}

    docs: list[Document] = []
    seen: set[str] = set()
    for row, record in enumerate(frame.to_dict(orient="records"), start=1):
        doc_id = str(record[id_col])
        if wanted is not None and doc_id not in wanted:
            continue
        text = record["text"]
        if not isinstance(text, str):
            raise InputFormatError(
                f"'text' must be a string, got {type(text).__name__}", path=data_path, line=row
            )
        if doc_id in seen:
            raise InputFormatError(f"duplicate {id_col} {doc_id}", path=data_path, line=row)
        seen.add(doc_id)
        note_id = record.get("note_id")
        docs.append(
            Document(
                id=doc_id,
                text=text,
                doc_type="discharge_summary",
                setting=Setting.INPATIENT,
                source="mimiciv_icd10",
                source_id=str(note_id) if note_id is not None else doc_id,
                labels=tuple(_labels(record, data_path, row)),
            )
        )
    log.info("MIMIC-IV ICD-10 %s: %d documents", split or "all", len(docs))
    return docs


def load_mimiciv_icd10_splits(
    data_dir: Path, names: Iterable[str] = ("train", "val", "test")
) -> dict[str, list[Document]]:
    """Each named split of the prepared files (reads the data file once per split)."""
    return {name: load_mimiciv_icd10(data_dir, name) for name in names}
