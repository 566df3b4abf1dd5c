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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from label_studio_sdk.label_interface import LabelInterface
from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN, CodeRef, OffsetRef, Reason
from medcoder.review.records import ReviewItem
from medcoder.terminology.systems import CodeSystem

log = logging.getLogger(__name__)

NOTE, EVIDENCE, CODES, REASON, OTHER_CODES = "note", "evidence", "codes", "reason", "other_codes"
CANDIDATES = "candidates"
"""Task data field with the chart's candidate codes, ``[{"value": "ICD-10-CM:E11.65", "hint": ...}]``."""

_CONTROLS = (EVIDENCE, CODES, REASON, OTHER_CODES)
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
    where = _where(task, index)
    data = _data(task, where)
    interface = _interface(list(_candidates(data, where)))
    if not interface.validate_task({"data": dict(data)}):
        raise ValueError(f"{where}: data.text is missing")
    for k, prediction in enumerate(task.get("predictions") or []):
        if not interface.validate_prediction(prediction):
            raise ValueError(f"{where}: prediction {k} does not fit the labeling config")


def _interface(values: Sequence[str]) -> LabelInterface:
    return LabelInterface(_config([{"value": v} for v in values]) if values else LABEL_CONFIG)


def _where(task: Mapping[str, Any], index: int) -> str:
    ls_id = task.get("id") if isinstance(task, Mapping) else None
    return f"task {index} (Label Studio id {ls_id})" if isinstance(ls_id, int) else f"task {index}"


def _data(task: object, where: str) -> Mapping[str, Any]:
    data = task.get("data") if isinstance(task, Mapping) else None
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: 'data' is missing or not an object")
    return data


def _candidates(data: Mapping[str, Any], where: str) -> dict[str, None]:
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


class ImportedReview(BaseModel):
    """One chart's review as a coder finished it in Label Studio: final codes and feedback decisions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(pattern=ID_PATTERN)
    document_id: str = Field(pattern=ID_PATTERN)
    coder_id: str = Field(pattern=ID_PATTERN)
    final_codes: list[CodeRef] = Field(description="The chart's final codes, with the labelled evidence.")
    decisions: list[dict[str, Any]] = Field(
        description="FeedbackRequest fields (JSON-ready), one decision per code: accept, reject or add."
    )
    reason: Reason | None = Field(description="The reason the coder chose, None when none was chosen.")
    reason_defaulted: bool = Field(description="Reject/add decisions got Reason.OTHER: no reason chosen.")


def from_annotations(tasks: Sequence[Mapping[str, Any]], coder_id: str) -> list[ImportedReview]:
    """Reviews from a Label Studio JSON export: the last annotation of each task that was not
    cancelled (tasks without one are skipped). Bad input raises ValueError naming task and field."""
    if not isinstance(coder_id, str) or not re.fullmatch(ID_PATTERN, coder_id):
        raise ValueError("coder_id must be an opaque id (letters, digits, ._:@/+-; no spaces)")
    reviews = []
    for index, task in enumerate(tasks):
        where = _where(task, index)
        annotations = (task.get("annotations") or []) if isinstance(task, Mapping) else None
        if not isinstance(annotations, list) or not all(isinstance(a, Mapping) for a in annotations):
            raise ValueError(f"{where}: 'annotations' is not a list of objects")
        submitted = [a for a in annotations if not a.get("was_cancelled")]
        if submitted:
            reviews.append(_review(task, submitted[-1], coder_id, where))
    log.info("imported %d reviewed charts of %d tasks", len(reviews), len(tasks))
    return reviews


def _review(
    task: Mapping[str, Any], annotation: Mapping[str, Any], coder_id: str, where: str
) -> ImportedReview:
    data = _data(task, where)
    ids = {f: data.get(f) for f in ("request_id", "document_id")}
    for field, value in ids.items():
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
            raise ValueError(f"{where}: data.{field} is missing or not an id")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{where}: data.text is missing")
    candidates = _candidates(data, where)
    suggested = _suggested(data, candidates, where)
    chosen, evidence, reasons, others = _read_result(annotation, text, candidates, where)
    if len(reasons) > 1:
        raise ValueError(f"{where}: more than one reason chosen")
    reason = next(iter(reasons), None)
    final: dict[str, CodeRef] = {}  # ticked codes in candidate order, then typed-in ones
    for value in [v for v in candidates if v in chosen] + others:
        spans = sorted(evidence.get(value, ()))
        if len(spans) > 20:
            raise ValueError(f"{where}: {value} has more than 20 evidence regions")
        final.setdefault(value, _ref(value, suggested.get(value), spans))
    # One decision per code: each suggestion kept or removed, in order, then each code added.
    actions = {v: "accept" if v in final else "reject" for v in suggested}
    actions.update({v: "add" for v in final if v not in suggested})
    decisions = [
        {
            **ids,
            "action": action,
            "codes": [
                (final.get(v) or _ref(v, suggested[v], [])).model_dump(mode="json", exclude_defaults=True)
            ],
            "previous_codes": [],
            "reason": None if action == "accept" else (reason or Reason.OTHER).value,
        }
        for v, action in actions.items()
    ]
    return ImportedReview(
        **ids,
        coder_id=coder_id,
        final_codes=list(final.values()),
        decisions=decisions,
        reason=reason,
        reason_defaulted=reason is None and any(d["action"] != "accept" for d in decisions),
    )


def _ref(value: str, probability: float | None, spans: Sequence[tuple[int, int]]) -> CodeRef:
    system, code = value.split(":", 1)
    evidence = tuple(OffsetRef(start=s, end=e) for s, e in spans)
    return CodeRef(system=system, code=code, probability=probability, evidence=evidence)


def _suggested(data: Mapping[str, Any], candidates: Mapping[str, None], where: str) -> dict[str, float]:
    items = data.get("suggested")
    if not isinstance(items, list):
        raise ValueError(f"{where}: data.suggested is missing")
    out: dict[str, float] = {}
    for k, item in enumerate(items):
        value, p = (item.get("value"), item.get("probability")) if isinstance(item, Mapping) else (None, None)
        if value not in candidates or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise ValueError(
                f"{where}: data.suggested[{k}] needs a candidate value and a probability in [0, 1]"
            )
        out[value] = float(p)
    return out


def _read_result(
    annotation: Mapping[str, Any], text: str, candidates: Mapping[str, None], where: str
) -> tuple[set[str], dict[str, set[tuple[int, int]]], set[Reason], list[str]]:
    """The ticked codes, the labelled spans per code, the reasons and the typed-in codes of a result."""
    interface = _interface(list(candidates))
    chosen: set[str] = set()
    evidence: dict[str, set[tuple[int, int]]] = {}
    reasons: set[Reason] = set()
    others: list[str] = []
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise ValueError(f"{where}: annotation result is not a list")
    for k, region in enumerate(result):
        at = f"{where}: annotation result {k}"
        name = region.get("from_name") if isinstance(region, Mapping) else None
        if name not in _CONTROLS:
            raise ValueError(f"{at}: from_name is not one of {', '.join(_CONTROLS)}")
        try:  # the SDK raises a bare Exception for a to_name it does not know, KeyError for a missing key
            fits = interface.validate_region(dict(region))
        except Exception:
            fits = False
        if not fits:
            raise ValueError(
                f"{at}: the {name} region does not fit the labeling config (type, to_name, value)"
            )
        value = region["value"]
        if name == EVIDENCE:
            start, end = value["start"], value["end"]
            if not (isinstance(start, int) and isinstance(end, int) and start < end <= len(text)):
                raise ValueError(f"{at}: evidence offsets lie outside the note ({len(text)} characters)")
            if "text" in value and value["text"] != text[start:end]:
                raise ValueError(f"{at}: the region's text differs from the note at its offsets")
            for label in value["labels"]:
                evidence.setdefault(_candidate(label, candidates, at), set()).add((start, end))
        elif name == CODES:
            chosen.update(_candidate(v, candidates, at) for v in value["choices"])
        elif name == REASON:
            reasons.update(Reason(v) for v in value["choices"])  # the SDK checked they are on the menu
        else:
            others.extend(_typed_codes(value["text"], at))
    return chosen, evidence, reasons, others


def _candidate(value: str, candidates: Mapping[str, None], at: str) -> str:
    if value not in candidates:
        raise ValueError(f"{at}: a label is not one of the task's candidate codes")
    return value


def _typed_codes(lines: Sequence[str], at: str) -> list[str]:
    """Codes typed into the ``other_codes`` box: ``SYSTEM:CODE`` separated by newlines, commas or spaces."""
    values = []
    for n, token in enumerate(t for line in lines for t in re.split(r"[\s,;]+", line) if t):
        if parse_code_value(token) is None:
            raise ValueError(f"{at}: other_codes entry {n} is not SYSTEM:CODE with a known system")
        values.append(token)
    return values


def write_tasks(path: str | Path, tasks: Sequence[Mapping[str, Any]]) -> Path:
    """Write tasks as a Label Studio JSON import file (a list of tasks); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(tasks), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_export(path: str | Path) -> list[dict[str, Any]]:
    """Read a Label Studio JSON export (format "JSON": a list of tasks with their annotations)."""
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise ValueError(f"{path}: a Label Studio JSON export is a list of task objects")
    return tasks


class _ReviewApi(Protocol):
    """What :func:`apply_imported` needs of ``medcoder.review.api.ReviewApi``."""

    def feedback(self, **fields: Any) -> dict: ...

    def finalize(self, request_id: str, codes: list[CodeRef]) -> Any: ...


@dataclass(frozen=True, slots=True)
class Applied:
    charts: int
    decisions: int


def apply_imported(reviews: Sequence[ImportedReview], api: _ReviewApi) -> Applied:
    """Send each chart's decisions through the feedback API, then finalize it with its final codes.

    Stops at the first refusal; earlier charts stay applied. A chart already finalized is refused
    only at ``finalize``, after its decisions were sent again: leave such charts out beforehand."""
    decisions = 0
    for review in reviews:
        for decision in review.decisions:
            api.feedback(**decision)
            decisions += 1
        api.finalize(review.request_id, list(review.final_codes))
    return Applied(charts=len(reviews), decisions=decisions)
