"""Document records to and from the JSON-ready dict shape of medcoder's dataset files.

The shape is documented in :mod:`medcoder.data.io`. :func:`document_from_dict` validates every
field and raises :class:`~medcoder.errors.InputFormatError` naming the file and line it was given,
so every reader (JSONL, CSV, Parquet, the service) reports bad input the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medcoder.data.records import CodeLabel, CodeSystem, Document, Patient, Section, Setting, Sex, Span
from medcoder.errors import InputFormatError

__all__ = ["document_from_dict", "document_to_dict"]

_SYSTEMS = {s.value: s for s in CodeSystem}


def document_to_dict(doc: Document) -> dict[str, Any]:
    """The JSON-ready dict of a document (the JSONL line shape); a span's score is written only if not 1."""
    return {
        "id": doc.id,
        "text": doc.text,
        "doc_type": doc.doc_type,
        "setting": doc.setting.value,
        "patient": {"age": doc.patient.age, "sex": doc.patient.sex.value},
        "encounter_date": doc.encounter_date.isoformat() if doc.encounter_date else None,
        "payer": doc.payer,
        "source": doc.source,
        "source_id": doc.source_id,
        "language": doc.language,
        "sections": [{"name": s.name, "start": s.start, "end": s.end} for s in doc.sections],
        "labels": [_label_to_dict(label) for label in doc.labels],
        "hints": [_label_to_dict(label) for label in doc.hints],
    }


def _label_to_dict(label: CodeLabel) -> dict[str, Any]:
    spans = [[sp.start, sp.end] if sp.score == 1.0 else [sp.start, sp.end, sp.score] for sp in label.spans]
    return {"system": label.system.value, "code": label.code, "spans": spans}


def document_from_dict(
    d: Mapping[str, Any], *, path: str | Path | None = None, line: int | None = None
) -> Document:
    """Build a document from the JSONL dict shape, validating every field.

    Raises :class:`InputFormatError` with ``path`` and ``line`` when a field is missing, has the
    wrong type or an unknown value, or when a span or section lies outside the text.
    """

    def fail(problem: str) -> InputFormatError:
        return InputFormatError(problem, path=path, line=line)

    if not isinstance(d, Mapping):
        raise fail(f"expected a JSON object, got {type(d).__name__}")
    for key in ("id", "text"):
        if key not in d or d[key] is None:
            raise fail(f"missing required field {key!r}")
    doc_id, text = d["id"], d["text"]
    if not isinstance(doc_id, str) or not doc_id:
        raise fail(f"'id' must be a non-empty string, got {doc_id!r}")
    if not isinstance(text, str):
        raise fail(f"document {doc_id}: 'text' must be a string, got {type(text).__name__}")
    where = f"document {doc_id}"
    try:
        patient = _patient(d.get("patient"), where)
        sections = tuple(_section(s, where) for s in _list(d.get("sections"), "sections", where))
        labels = tuple(_label(lab, where) for lab in _list(d.get("labels"), "labels", where))
        hints = tuple(_label(lab, where) for lab in _list(d.get("hints"), "hints", where))
        kwargs: dict[str, Any] = {
            "doc_type": _opt_str(d, "doc_type", where) or "note",
            "setting": _enum(Setting, d.get("setting") or "unknown", "setting", where),
            "encounter_date": _date(d.get("encounter_date"), where),
            "payer": _opt_str(d, "payer", where),
            "source": _opt_str(d, "source", where) or "text",
            "source_id": _opt_str(d, "source_id", where),
            "language": _opt_str(d, "language", where) or "en",
        }
        return Document(
            id=doc_id, text=text, patient=patient, sections=sections, labels=labels, hints=hints, **kwargs
        )
    except InputFormatError:
        raise
    except (ValueError, TypeError) as exc:
        raise fail(str(exc) if str(exc).startswith("Document") else f"{where}: {exc}") from exc


def _list(value: Any, name: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: {name!r} must be a list, got {type(value).__name__}")
    return list(value)


def _opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key!r} must be a string or null, got {value!r}")
    return value


def _enum(enum: type, value: Any, name: str, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ValueError(f"{where}: unknown {name} {value!r} (expected one of {allowed})") from None


def _int(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{where}: {name} must be an integer, got {value!r}")
    return int(value)


def _patient(value: Any, where: str) -> Patient:
    if value is None:
        return Patient()
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: 'patient' must be an object with 'age' and 'sex'")
    age = value.get("age")
    age = None if age is None else _int(age, "patient age", where)
    sex = _enum(Sex, value.get("sex") or "U", "patient sex", where)
    return Patient(age=age, sex=sex)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # Parquet files written by other tools may use a date column
    if not isinstance(value, str):
        raise ValueError(f"{where}: 'encounter_date' must be a YYYY-MM-DD string, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: 'encounter_date' {value!r} is not a YYYY-MM-DD date") from None


def _section(value: Any, where: str) -> Section:
    if not isinstance(value, Mapping) or not {"name", "start", "end"} <= set(value):
        raise ValueError(f"{where}: each section needs 'name', 'start' and 'end', got {value!r}")
    return Section(
        name=str(value["name"]),
        start=_int(value["start"], "section start", where),
        end=_int(value["end"], "section end", where),
    )


def _label(value: Any, where: str) -> CodeLabel:
    if not isinstance(value, Mapping) or "system" not in value or "code" not in value:
        raise ValueError(f"{where}: each label needs 'system' and 'code', got {value!r}")
    system = _SYSTEMS.get(value["system"])
    if system is None:
        raise ValueError(
            f"{where}: unknown code system {value['system']!r} (expected one of {', '.join(_SYSTEMS)})"
        )
    code = value["code"]
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"{where}: label code must be a non-empty string, got {code!r}")
    spans = tuple(_span(sp, code, where) for sp in _list(value.get("spans"), "spans", where))
    return CodeLabel(system=system, code=code.strip(), spans=spans)


def _span(value: Any, code: str, where: str) -> Span:
    if isinstance(value, Mapping):  # Parquet stores spans as structs
        value = [value.get("start"), value.get("end"), value.get("score", 1.0)]
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValueError(
            f"{where}: span of {code} must be [start, end] or [start, end, score], got {value!r}"
        )
    start, end = _int(value[0], "span start", where), _int(value[1], "span end", where)
    score = 1.0 if len(value) == 2 or value[2] is None else float(value[2])
    if start < 0 or end < start:
        raise ValueError(f"{where}: span of {code} [{start}, {end}) is not a valid range")
    return Span(start, end, score)
