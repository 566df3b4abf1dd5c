"""Label Studio interop: configs and tasks checked with the SDK, a hand-made export imported into
hand-computed final codes and decisions, a pretend annotator accepting the predictions, bad input.

The notes are made up; every offset below was counted by hand (and the slices are asserted)."""

from __future__ import annotations

import copy
import json

import pytest
from label_studio_sdk.label_interface import LabelInterface

from medcoder.audit.events import CodeRef, OffsetRef, Reason
from medcoder.coding.result import (
    Alternative,
    Assertion,
    CodingResult,
    EvidenceSpan,
    RouteDecision,
    RouteResult,
    Suggestion,
    Suppressed,
    Versions,
)
from medcoder.review.label_studio import LABEL_CONFIG, label_config, to_tasks, validate_task, write_tasks
from medcoder.review.label_studio_import import (
    Applied,
    ImportedReview,
    apply_imported,
    from_annotations,
    read_export,
)
from medcoder.review.records import EncounterFacts, ReviewItem, WorklistEntry
from medcoder.serving.schemas_feedback import FeedbackRequest

NOTE_1 = "Assessment: type 2 diabetes with hyperglycemia. Hypertension, stable. Smoker."
NOTE_2 = "Follow-up: type 2 diabetes, well controlled on metformin. Former smoker, quit 2015."
CM = "ICD-10-CM"


def test_fixture_offsets_are_what_they_say() -> None:
    assert len(NOTE_1) == 77 and len(NOTE_2) == 83
    assert NOTE_1[12:46] == "type 2 diabetes with hyperglycemia"
    assert NOTE_1[48:60] == "Hypertension" and NOTE_1[48:68] == "Hypertension, stable"
    assert NOTE_2[11:26] == "type 2 diabetes" and NOTE_2[11:43] == "type 2 diabetes, well controlled"
    assert NOTE_2[58:82] == "Former smoker, quit 2015"


def _suggestion(code: str, p: float, spans: list[tuple[int, int]], text: str, alternatives=()) -> Suggestion:
    return Suggestion(
        system=CM,
        code=code,
        description=f"description of {code}",
        probability=p,
        model_probability=p,
        threshold=0.5,
        evidence=[EvidenceSpan(start=s, end=e, text=text[s:e], score=1.0) for s, e in spans],
        alternatives=[
            Alternative(system=CM, code=c, description=f"description of {c}", probability=0.1)
            for c in alternatives
        ],
        assertion=Assertion.AFFIRMED,
    )


def _item(rid: str, text: str, suggestions: list[Suggestion], suppressed=()) -> ReviewItem:
    result = CodingResult(
        request_id=rid,
        document_id=f"doc-{rid}",
        suggestions=suggestions,
        suppressed=[
            Suppressed(
                system=CM, code=c, description=f"description of {c}", probability=0.7, assertion="historical"
            )
            for c in suppressed
        ],
        route=RouteResult(decision=RouteDecision.REVIEW, reasons=["low_confidence"]),
        versions=Versions(
            model_name="plm-icd",
            model_version="plm-icd-0.3",
            code_sets={CM: "2026"},
            rule_packs={},
            evidence_method="attention",
            medcoder="0.1.0",
        ),
    )
    entry = WorklistEntry(
        request_id=rid,
        document_id=f"doc-{rid}",
        model_version="plm-icd-0.3",
        route="review",
        priority=1,
        reasons=["low_confidence"],
        n_suggestions=len(suggestions),
        created_at="2026-01-05T10:00:00.000000Z",
    )
    return ReviewItem(entry=entry, text=text, result=result, facts=EncounterFacts(setting="outpatient"))


ITEM_1 = _item(
    "req-1",
    NOTE_1,
    [
        _suggestion("E11.65", 0.91, [(12, 46)], NOTE_1, alternatives=["E11.9"]),
        _suggestion("I10", 0.62, [(48, 60)], NOTE_1),
    ],
)
ITEM_2 = _item(
    "req-2",
    NOTE_2,
    [_suggestion("E11.65", 0.55, [(11, 26)], NOTE_2, alternatives=["E11.9"])],
    suppressed=["Z87.891"],
)


def _ref(code: str, p: float | None = None, *spans: tuple[int, int]) -> CodeRef:
    return CodeRef(
        system=CM, code=code, probability=p, evidence=tuple(OffsetRef(start=s, end=e) for s, e in spans)
    )


def _decision(rid: str, action: str, code: dict, reason: str | None) -> dict:
    return {
        "document_id": f"doc-{rid}",
        "request_id": rid,
        "action": action,
        "codes": [code],
        "previous_codes": [],
        "reason": reason,
    }


# --- configs -------------------------------------------------------------------------------------


def test_project_config_is_valid_and_loads_codes_from_the_task() -> None:
    interface = LabelInterface(LABEL_CONFIG)
    interface.validate()  # raises when Label Studio would refuse the config
    assert {c.name for c in interface.controls} == {"evidence", "codes", "reason", "other_codes"}
    assert interface.get_control("evidence").dynamic_value and interface.get_control("codes").dynamic_value
    assert interface.get_control("codes").is_multiple_choice
    assert interface.get_control("reason").labels == [r.value for r in Reason]
    assert [o.name for o in interface.objects] == ["note"]


def test_static_config_lists_the_given_codes() -> None:
    config = label_config(
        [(CM, "E11.65", "Type 2 diabetes <with> hyperglycemia & more"), ("CPT", "99213", "Visit")]
    )
    interface = LabelInterface(config)
    interface.validate()
    assert interface.get_control("evidence").labels == ["ICD-10-CM:E11.65", "CPT:99213"]
    assert interface.get_control("codes").labels == ["ICD-10-CM:E11.65", "CPT:99213"]
    with pytest.raises(ValueError, match="at least one code"):
        label_config([])


# --- export --------------------------------------------------------------------------------------


def _without_ids(task: dict) -> dict:
    task = copy.deepcopy(task)
    for prediction in task["predictions"]:
        for region in prediction["result"]:
            del region["id"]
    return task


def test_to_tasks_builds_the_hand_computed_task() -> None:
    (task,) = to_tasks([ITEM_1], model_version="plm-icd-0.4")
    assert _without_ids(task) == {
        "data": {
            "text": NOTE_1,
            "request_id": "req-1",
            "document_id": "doc-req-1",
            "model_version": "plm-icd-0.3",
            "route": "review",
            "priority": 1,
            "reasons": ["low_confidence"],
            "facts": {
                "setting": "outpatient",
                "payer": None,
                "age": None,
                "sex": "U",
                "date_of_service": None,
                "doc_type": "note",
            },
            "candidates": [
                {"value": "ICD-10-CM:E11.65", "hint": "description of E11.65"},
                {"value": "ICD-10-CM:I10", "hint": "description of I10"},
                {"value": "ICD-10-CM:E11.9", "hint": "description of E11.9"},
            ],
            "suggested": [
                {"value": "ICD-10-CM:E11.65", "probability": 0.91},
                {"value": "ICD-10-CM:I10", "probability": 0.62},
            ],
        },
        "predictions": [
            {
                "model_version": "plm-icd-0.4",
                "score": 0.62,
                "result": [
                    {
                        "from_name": "evidence",
                        "to_name": "note",
                        "type": "labels",
                        "value": {
                            "start": 12,
                            "end": 46,
                            "text": "type 2 diabetes with hyperglycemia",
                            "labels": ["ICD-10-CM:E11.65"],
                        },
                        "score": 0.91,
                    },
                    {
                        "from_name": "evidence",
                        "to_name": "note",
                        "type": "labels",
                        "value": {
                            "start": 48,
                            "end": 60,
                            "text": "Hypertension",
                            "labels": ["ICD-10-CM:I10"],
                        },
                        "score": 0.62,
                    },
                    {
                        "from_name": "codes",
                        "to_name": "note",
                        "type": "choices",
                        "value": {"choices": ["ICD-10-CM:E11.65", "ICD-10-CM:I10"]},
                    },
                ],
            }
        ],
    }


def test_region_ids_are_stable_and_unique() -> None:
    first = to_tasks([ITEM_1, ITEM_2])
    again = to_tasks([ITEM_2, ITEM_1])
    assert first == [again[1], again[0]]
    ids = [r["id"] for t in first for r in t["predictions"][0]["result"]]
    assert len(ids) == len(set(ids)) == 5


def test_suppressed_codes_are_candidates_and_a_chart_without_suggestions_has_no_prediction() -> None:
    (task,) = to_tasks([ITEM_2])
    assert [c["value"] for c in task["data"]["candidates"]] == [
        "ICD-10-CM:E11.65",
        "ICD-10-CM:E11.9",
        "ICD-10-CM:Z87.891",
    ]
    (empty,) = to_tasks([_item("req-3", NOTE_1, [], suppressed=["Z87.891"])])
    assert empty["predictions"] == [] and empty["data"]["suggested"] == []


def test_tasks_and_predictions_validate_with_the_sdk() -> None:
    for task in to_tasks([ITEM_1, ITEM_2]):
        codes = [tuple(c["value"].split(":", 1)) + (c["hint"],) for c in task["data"]["candidates"]]
        interface = LabelInterface(label_config(codes))
        assert interface.validate_task({"data": task["data"]})
        assert LabelInterface(LABEL_CONFIG).validate_task({"data": task["data"]})
        assert all(interface.validate_prediction(p) for p in task["predictions"])


def test_validate_task_refuses_a_prediction_outside_the_candidates() -> None:
    (task,) = to_tasks([ITEM_1])
    task["predictions"][0]["result"][0]["value"]["labels"] = ["ICD-10-CM:J45.909"]
    with pytest.raises(ValueError, match=r"task 4: prediction 0 does not fit"):
        validate_task(task, 4)
    del task["data"]["text"]
    with pytest.raises(ValueError, match="task 4: data.text is missing"):
        validate_task(task, 4)


def test_a_suggestion_span_outside_the_note_is_refused_without_quoting_it() -> None:
    bad = _item("req-9", "Short note.", [_suggestion("I10", 0.9, [(0, 5)], "Short note.")])
    bad = bad.model_copy(update={"text": "Shor"})
    with pytest.raises(
        ValueError, match="chart req-9: an evidence span of ICD-10-CM:I10 lies outside"
    ) as err:
        to_tasks([bad])
    assert "Shor" not in str(err.value)


# --- import of a hand-made export ----------------------------------------------------------------


def _region(rid: str, name: str, value: dict, type_: str = "labels") -> dict:
    return {
        "id": rid,
        "from_name": name,
        "to_name": "note",
        "type": type_,
        "origin": "manual",
        "value": value,
    }


def _export() -> list[dict]:
    """What Label Studio's JSON export holds after a coder reviewed the two exported charts."""
    task_1, task_2 = to_tasks([ITEM_1, ITEM_2])
    annotation_1 = {
        "id": 11,
        "completed_by": 3,
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": "2026-01-06T09:00:00.000000Z",
        "lead_time": 41.5,
        "result": [
            _region(
                "a1",
                "evidence",
                {"start": 12, "end": 46, "text": NOTE_1[12:46], "labels": ["ICD-10-CM:E11.65"]},
            ),
            _region(
                "a2", "evidence", {"start": 48, "end": 68, "text": NOTE_1[48:68], "labels": ["ICD-10-CM:I10"]}
            ),
            _region("a3", "codes", {"choices": ["ICD-10-CM:I10", "ICD-10-CM:E11.65"]}, "choices"),
        ],
    }
    cancelled = {"id": 12, "completed_by": 3, "was_cancelled": True, "result": []}
    annotation_2 = {
        "id": 21,
        "completed_by": 3,
        "was_cancelled": False,
        "result": [
            # the model's E11.65 region is left in place but the code is unticked: it is ignored
            _region(
                "b1",
                "evidence",
                {"start": 11, "end": 26, "text": NOTE_2[11:26], "labels": ["ICD-10-CM:E11.65"]},
            ),
            _region(
                "b2",
                "evidence",
                {"start": 11, "end": 43, "text": NOTE_2[11:43], "labels": ["ICD-10-CM:E11.9"]},
            ),
            _region(
                "b3",
                "evidence",
                {"start": 58, "end": 82, "text": NOTE_2[58:82], "labels": ["ICD-10-CM:Z87.891"]},
            ),
            _region("b4", "codes", {"choices": ["ICD-10-CM:Z87.891", "ICD-10-CM:E11.9"]}, "choices"),
            _region("b5", "reason", {"choices": ["documentation_does_not_support"]}, "choices"),
            _region("b6", "other_codes", {"text": ["ICD-10-CM:Z79.84"]}, "textarea"),
        ],
    }
    not_started = {"id": 103, "data": copy.deepcopy(task_1["data"]), "annotations": [], "predictions": []}
    only_cancelled = {"id": 104, "data": copy.deepcopy(task_2["data"]), "annotations": [cancelled]}
    return [
        {"id": 101, **task_1, "annotations": [annotation_1, cancelled]},
        {"id": 102, **task_2, "annotations": [annotation_2]},
        not_started,
        only_cancelled,
    ]


def test_the_hand_made_export_fits_the_config() -> None:
    for task in _export()[:2]:
        codes = [tuple(c["value"].split(":", 1)) + ("",) for c in task["data"]["candidates"]]
        assert LabelInterface(label_config(codes)).validate_annotation(task["annotations"][0])


def test_import_gives_the_hand_computed_codes_and_decisions() -> None:
    first, second = from_annotations(_export(), coder_id="coder-7")
    assert first == ImportedReview(
        request_id="req-1",
        document_id="doc-req-1",
        coder_id="coder-7",
        final_codes=[_ref("E11.65", 0.91, (12, 46)), _ref("I10", 0.62, (48, 68))],
        decisions=[
            _decision(
                "req-1",
                "accept",
                {"system": CM, "code": "E11.65", "probability": 0.91, "evidence": [{"start": 12, "end": 46}]},
                None,
            ),
            _decision(
                "req-1",
                "accept",
                {"system": CM, "code": "I10", "probability": 0.62, "evidence": [{"start": 48, "end": 68}]},
                None,
            ),
        ],
        reason=None,
        reason_defaulted=False,
    )
    why = "documentation_does_not_support"
    assert second == ImportedReview(
        request_id="req-2",
        document_id="doc-req-2",
        coder_id="coder-7",
        final_codes=[_ref("E11.9", None, (11, 43)), _ref("Z87.891", None, (58, 82)), _ref("Z79.84")],
        decisions=[
            _decision("req-2", "reject", {"system": CM, "code": "E11.65", "probability": 0.55}, why),
            _decision(
                "req-2", "add", {"system": CM, "code": "E11.9", "evidence": [{"start": 11, "end": 43}]}, why
            ),
            _decision(
                "req-2", "add", {"system": CM, "code": "Z87.891", "evidence": [{"start": 58, "end": 82}]}, why
            ),
            _decision("req-2", "add", {"system": CM, "code": "Z79.84"}, why),
        ],
        reason=Reason.DOCUMENTATION_DOES_NOT_SUPPORT,
        reason_defaulted=False,
    )
    for decision in first.decisions + second.decisions:
        FeedbackRequest(**decision)  # the decisions are FeedbackRequest-shaped


def test_round_trip_accepting_the_predictions_accepts_every_suggestion() -> None:
    tasks = to_tasks([ITEM_1, ITEM_2])
    for task in tasks:
        task["annotations"] = [
            {"id": 1, "was_cancelled": False, "result": copy.deepcopy(task["predictions"][0]["result"])}
        ]
    first, second = from_annotations(tasks, coder_id="coder-7")
    assert first.final_codes == [_ref("E11.65", 0.91, (12, 46)), _ref("I10", 0.62, (48, 60))]
    assert second.final_codes == [_ref("E11.65", 0.55, (11, 26))]
    assert [
        (d["request_id"], d["action"], d["codes"][0]["code"]) for d in first.decisions + second.decisions
    ] == [
        ("req-1", "accept", "E11.65"),
        ("req-1", "accept", "I10"),
        ("req-2", "accept", "E11.65"),
    ]
    assert not first.reason_defaulted and not second.reason_defaulted


def test_an_override_without_a_reason_is_recorded_as_other() -> None:
    (task,) = to_tasks([ITEM_1])
    keep_one = [_region("c1", "codes", {"choices": ["ICD-10-CM:E11.65"]}, "choices")]
    task["annotations"] = [{"id": 5, "was_cancelled": False, "result": keep_one}]
    (review,) = from_annotations([task], coder_id="coder-7")
    assert review.final_codes == [_ref("E11.65", 0.91)]
    assert review.decisions == [
        _decision("req-1", "accept", {"system": CM, "code": "E11.65", "probability": 0.91}, None),
        _decision("req-1", "reject", {"system": CM, "code": "I10", "probability": 0.62}, "other"),
    ]
    assert review.reason is None and review.reason_defaulted


# --- bad input -----------------------------------------------------------------------------------


def _break(change) -> list[dict]:
    tasks = _export()[:2]
    change(tasks[1])
    return tasks


def _result(task: dict) -> list[dict]:
    return task["annotations"][0]["result"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["data"].pop("request_id"),
            r"task 1 \(Label Studio id 102\): data.request_id is missing",
        ),
        (
            lambda t: t["data"].update(document_id="a note sentence"),
            r"task 1 .*data.document_id is missing or not",
        ),
        (lambda t: t.pop("data"), r"task 1 .*'data' is missing"),
        (lambda t: t["data"].pop("candidates"), r"task 1 .*data.candidates is missing"),
        (lambda t: t.update(annotations="x"), r"task 1 .*'annotations' is not a list"),
        (
            lambda t: _result(t)[0].update(from_name="sentiment"),
            r"task 1 .*annotation result 0: from_name is not",
        ),
        (
            lambda t: _result(t)[0].update(to_name="image"),
            r"annotation result 0: the evidence region does not fit",
        ),
        (
            lambda t: _result(t)[1]["value"].update(end=500),
            r"annotation result 1: evidence offsets lie outside",
        ),
        (
            lambda t: _result(t)[1]["value"].update(start=20, end=20),
            r"result 1: evidence offsets lie outside",
        ),
        (
            lambda t: _result(t)[1]["value"].update(start=12),
            r"result 1: the region's text differs from the note",
        ),
        (
            lambda t: _result(t)[3]["value"].update(choices=["ICD-10-CM:J45.909"]),
            r"result 3: the codes region",
        ),
        (
            lambda t: _result(t)[4]["value"].update(choices=["because"]),
            r"result 4: the reason region does not fit",
        ),
        (
            lambda t: _result(t)[5]["value"].update(text=["metformin 500 mg"]),
            r"result 5: other_codes entry 0 is",
        ),
        (lambda t: _result(t)[5]["value"].update(text=["ICD10:Z79.84"]), r"result 5: other_codes entry 0 is"),
    ],
)
def test_bad_input_names_the_task_and_field_but_never_the_note(change, message) -> None:
    with pytest.raises(ValueError, match=message) as err:
        from_annotations(_break(change), coder_id="coder-7")
    for words in ("diabetes", "smoker", "metformin", "well controlled"):
        assert words not in str(err.value)


def test_a_label_outside_the_candidates_is_refused_even_without_candidates() -> None:
    (task,) = to_tasks([_item("req-3", NOTE_1, [])])
    region = _region("d1", "evidence", {"start": 0, "end": 10, "labels": ["ICD-10-CM:I10"]})
    task["annotations"] = [{"id": 1, "was_cancelled": False, "result": [region]}]
    with pytest.raises(
        ValueError, match="annotation result 0: a label is not one of the task's candidate codes"
    ):
        from_annotations([task], coder_id="coder-7")


def test_coder_id_must_be_an_id() -> None:
    with pytest.raises(ValueError, match="coder_id must be an opaque id"):
        from_annotations([], coder_id="Jane Doe")


# --- files and applying --------------------------------------------------------------------------


def test_write_tasks_and_read_export_round_trip(tmp_path) -> None:
    tasks = to_tasks([ITEM_1, ITEM_2])
    path = write_tasks(tmp_path / "ls" / "tasks.json", tasks)
    assert read_export(path) == tasks
    (tmp_path / "bad.json").write_text('{"data": 1', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.json: not JSON \(line 1"):
        read_export(tmp_path / "bad.json")
    (tmp_path / "obj.json").write_text(json.dumps({"data": {}}), encoding="utf-8")
    with pytest.raises(ValueError, match="obj.json: a Label Studio JSON export is a list of task objects"):
        read_export(tmp_path / "obj.json")


class _RecordingApi:
    """Records what apply_imported sends, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def feedback(self, **fields) -> dict:
        self.calls.append(("feedback", fields["request_id"], fields["action"], fields["codes"][0]["code"]))
        return {"seq": len(self.calls)}

    def finalize(self, request_id: str, codes: list[CodeRef]) -> None:
        self.calls.append(("finalize", request_id, [c.code for c in codes]))


def test_apply_imported_sends_decisions_then_finalizes_each_chart() -> None:
    api = _RecordingApi()
    applied = apply_imported(from_annotations(_export(), coder_id="coder-7"), api)
    assert applied == Applied(charts=2, decisions=6)
    assert api.calls == [
        ("feedback", "req-1", "accept", "E11.65"),
        ("feedback", "req-1", "accept", "I10"),
        ("finalize", "req-1", ["E11.65", "I10"]),
        ("feedback", "req-2", "reject", "E11.65"),
        ("feedback", "req-2", "add", "E11.9"),
        ("feedback", "req-2", "add", "Z87.891"),
        ("feedback", "req-2", "add", "Z79.84"),
        ("finalize", "req-2", ["E11.9", "Z87.891", "Z79.84"]),
    ]
