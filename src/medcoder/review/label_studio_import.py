"""Label Studio annotations back into medcoder: final codes and feedback decisions per chart.

The last submitted (not cancelled) annotation of a task exported by
:func:`medcoder.review.label_studio.to_tasks` becomes the chart's final codes, with the offsets of
the text the coder labelled, and one decision per code: ``accept`` for a suggestion kept,
``reject`` for one removed, ``add`` for a new code. :func:`apply_imported` sends them through a
:class:`medcoder.review.api.ReviewApi` and finalizes each chart. Errors name the task and field and
never quote note text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medcoder.audit.events import ID_PATTERN, CodeRef, OffsetRef, Reason
from medcoder.review.api import ReviewApi
from medcoder.review.label_studio import (
    CODES,
    CONTROLS,
    EVIDENCE,
    REASON,
    interface_for,
    parse_code_value,
    task_candidates,
    task_data,
    task_where,
)

log = logging.getLogger(__name__)


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
        where = task_where(task, index)
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
    data = task_data(task, where)
    ids = {f: data.get(f) for f in ("request_id", "document_id")}
    for field, value in ids.items():
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
            raise ValueError(f"{where}: data.{field} is missing or not an id")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{where}: data.text is missing")
    candidates = task_candidates(data, where)
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
    interface = interface_for(list(candidates))
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
        if name not in CONTROLS:
            raise ValueError(f"{at}: from_name is not one of {', '.join(CONTROLS)}")
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


@dataclass(frozen=True, slots=True)
class Applied:
    charts: int
    decisions: int


def apply_imported(reviews: Sequence[ImportedReview], api: ReviewApi) -> Applied:
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
