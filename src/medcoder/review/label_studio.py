"""Label Studio interop for coder review: worklist charts out as tasks, finished annotations back in.

Export (:func:`to_tasks`): one task per chart with the note, its ids, route and encounter facts, the
chart's candidate codes (suggestions, their alternatives, suppressed codes), and the suggestions as a
pre-annotation (a Label Studio *prediction*): an ``evidence`` region per evidence span and a ``codes``
choice ticking every suggested code. Import (:func:`from_annotations`): the last submitted annotation
of a task becomes the chart's final codes, with the offsets of the text the coder labelled, and the
feedback decisions: ``accept`` for a suggestion kept, ``reject`` for one removed, ``add`` for a new code.

Why dynamic labels: the project config :data:`LABEL_CONFIG` loads each task's candidate codes from
the task itself (``value="$candidates"``), so one project holds charts with different codes, the
coder sees a handful of codes per chart rather than the union over the worklist, and exporting new
charts never changes the project config (Label Studio refuses a config change that drops labels in
use). The SDK cannot check values against a dynamic list, so :func:`validate_task` checks each task
against the static config of its own candidates (:func:`label_config` with codes): what Label
Studio shows for that task. Offsets are Unicode code points, as in Python and current Label Studio.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from label_studio_sdk.label_interface import LabelInterface

from medcoder.audit.events import Reason
from medcoder.review.records import ReviewItem
from medcoder.terminology.systems import CodeSystem

log = logging.getLogger(__name__)

NOTE, EVIDENCE, CODES, REASON, OTHER_CODES = "note", "evidence", "codes", "reason", "other_codes"
CANDIDATES = "candidates"
"""Task data field with the chart's candidate codes, ``[{"value": "ICD-10-CM:E11.65", "hint": ...}]``."""

CONTROLS = (EVIDENCE, CODES, REASON, OTHER_CODES)
_CODE_VALUE = re.compile(r"^([A-Za-z0-9-]{1,16}):([A-Za-z0-9.\-]{1,16})$")
_SYSTEMS = frozenset(s.value for s in CodeSystem)


def code_value(system: str, code: str) -> str:
    """The Label Studio label of a code: ``ICD-10-CM:E11.65``."""
    return f"{system}:{code}"


def parse_code_value(value: object) -> tuple[str, str] | None:
    """``(system, code)`` of a ``SYSTEM:CODE`` label, or None when it is not one (unknown system too)."""
    match = _CODE_VALUE.fullmatch(value) if isinstance(value, str) else None
    if match is None or match.group(1) not in _SYSTEMS:
        return None
    return match.group(1), match.group(2)


def label_config(codes: Sequence[tuple[str, str, str]] | None = None) -> str:
    """The labeling config (XML) for coding a note.

    ``codes`` as ``(system, code, description)`` lists them as static labels and choices; None (the
    project config, :data:`LABEL_CONFIG`) loads them per task from ``data.candidates``."""
    if codes is not None and not codes:
        raise ValueError("a static labeling config needs at least one code; use LABEL_CONFIG for none")
    items = None if codes is None else [{"value": code_value(s, c), "hint": d} for s, c, d in codes]
    return _config(items)


def _config(items: Sequence[Mapping[str, str]] | None) -> str:
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="Evidence: pick a code, then select the text that supports it")
    evidence = ET.SubElement(view, "Labels", name=EVIDENCE, toName=NOTE)
    ET.SubElement(view, "Text", name=NOTE, value="$text")
    ET.SubElement(view, "Header", value="Final codes for this chart")
    final = ET.SubElement(view, "Choices", name=CODES, toName=NOTE, choice="multiple")
    if items is None:
        evidence.set("value", "$" + CANDIDATES)
        final.set("value", "$" + CANDIDATES)
    for item in items or ():
        ET.SubElement(evidence, "Label", value=item["value"], hint=item.get("hint", ""))
        ET.SubElement(final, "Choice", value=item["value"], hint=item.get("hint", ""))
    ET.SubElement(view, "Header", value="Reason for removing or adding codes")
    reason = ET.SubElement(view, "Choices", name=REASON, toName=NOTE, choice="single")
    for r in Reason:
        ET.SubElement(reason, "Choice", value=r.value.replace("_", " ").capitalize(), alias=r.value)
    ET.SubElement(view, "Header", value="Codes not listed above: SYSTEM:CODE, one per line")
    ET.SubElement(view, "TextArea", name=OTHER_CODES, toName=NOTE, rows="2")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


LABEL_CONFIG: str = label_config()
"""The Label Studio project's labeling config: candidate codes come from each task's data."""


def to_tasks(items: Sequence[ReviewItem], model_version: str | None = None) -> list[dict[str, Any]]:
    """One Label Studio task per chart, with the suggestions as a prediction by ``model_version``
    (default: the version that coded the chart). Each task is checked with :func:`validate_task`."""
    tasks = [_task(item, model_version or item.entry.model_version) for item in items]
    for index, task in enumerate(tasks):
        validate_task(task, index)
    return tasks


def _task(item: ReviewItem, model_version: str) -> dict[str, Any]:
    result, text, rid = item.result, item.text, item.entry.request_id
    candidates: dict[str, str] = {}
    for c in [
        *result.suggestions,
        *(a for s in result.suggestions for a in s.alternatives),
        *result.suppressed,
    ]:
        candidates.setdefault(code_value(c.system, c.code), c.description)
    suggested: dict[str, float] = {}
    for s in result.suggestions:
        suggested.setdefault(code_value(s.system, s.code), s.probability)
    regions: dict[str, dict[str, Any]] = {}
    for s in result.suggestions:
        value = code_value(s.system, s.code)
        for span in s.evidence:
            if not 0 <= span.start < span.end <= len(text):
                raise ValueError(f"chart {rid}: an evidence span of {value} lies outside the note")
            selection = {"start": span.start, "end": span.end, "text": text[span.start : span.end]}
            region = _region(rid, EVIDENCE, "labels", {**selection, "labels": [value]})
            regions.setdefault(region["id"], {**region, "score": s.probability})
    data = {
        "text": text,
        "request_id": rid,
        "document_id": item.entry.document_id,
        "model_version": item.entry.model_version,
        "route": item.entry.route,
        "priority": item.entry.priority,
        "reasons": list(item.entry.reasons),
        "facts": item.facts.model_dump(mode="json"),
        CANDIDATES: [{"value": v, "hint": d} for v, d in candidates.items()],
        "suggested": [{"value": v, "probability": p} for v, p in suggested.items()],
    }
    if not suggested:
        return {"data": data, "predictions": []}
    ticked = _region(rid, CODES, "choices", {"choices": list(suggested)})
    prediction = {"model_version": model_version, "score": min(suggested.values())}
    return {"data": data, "predictions": [{**prediction, "result": [*regions.values(), ticked]}]}


def _region(rid: str, name: str, type_: str, value: dict[str, Any]) -> dict[str, Any]:
    """A result region with a stable id: a hash of the chart, the control and the value (Label
    Studio makes short random ids; any string unique within the task will do)."""
    key = json.dumps([rid, name, {k: v for k, v in value.items() if k != "text"}], sort_keys=True)
    region_id = hashlib.sha256(key.encode()).hexdigest()[:12]
    return {"id": region_id, "from_name": name, "to_name": NOTE, "type": type_, "value": value}


def validate_task(task: Mapping[str, Any], index: int = 0) -> None:
    """Check a task and its predictions against the config Label Studio shows for it, with the SDK;
    ValueError naming the task index and field (never the note text)."""
    where = task_where(task, index)
    data = task_data(task, where)
    interface = interface_for(list(task_candidates(data, where)))
    if not interface.validate_task({"data": dict(data)}):
        raise ValueError(f"{where}: data.text is missing")
    for k, prediction in enumerate(task.get("predictions") or []):
        if not interface.validate_prediction(prediction):
            raise ValueError(f"{where}: prediction {k} does not fit the labeling config")


def interface_for(values: Sequence[str]) -> LabelInterface:
    return LabelInterface(_config([{"value": v} for v in values]) if values else LABEL_CONFIG)


def task_where(task: Mapping[str, Any], index: int) -> str:
    ls_id = task.get("id") if isinstance(task, Mapping) else None
    return f"task {index} (Label Studio id {ls_id})" if isinstance(ls_id, int) else f"task {index}"


def task_data(task: object, where: str) -> Mapping[str, Any]:
    data = task.get("data") if isinstance(task, Mapping) else None
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: 'data' is missing or not an object")
    return data


def task_candidates(data: Mapping[str, Any], where: str) -> dict[str, None]:
    items = data.get(CANDIDATES)
    if not isinstance(items, list):
        raise ValueError(
            f"{where}: data.{CANDIDATES} is missing (make tasks with `medcoder review export-ls`)"
        )
    values: dict[str, None] = {}
    for k, item in enumerate(items):
        value = item.get("value") if isinstance(item, Mapping) else None
        if parse_code_value(value) is None:
            raise ValueError(f"{where}: data.{CANDIDATES}[{k}].value is not a SYSTEM:CODE label")
        values[value] = None
    return values


def write_tasks(path: str | Path, tasks: Sequence[Mapping[str, Any]]) -> Path:
    """Write tasks as a Label Studio JSON import file (a list of tasks); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(tasks), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
