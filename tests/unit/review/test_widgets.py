"""ReviewApp driven like a coder would (button.click(), setting .value) over a StoreBackedApi on SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")

from medcoder.audit.events import Reason  # noqa: E402
from medcoder.review.session import code_search  # noqa: E402
from medcoder.review.widgets import ReviewApp, css_token  # noqa: E402
from medcoder.terminology.search import IndexedDoc, SearchIndex  # noqa: E402
from unit.review.test_api import DIABETES, HLD, METFORMIN, make_result, queued_api, ref  # noqa: E402

NOW = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
INDEX = SearchIndex.build([
    IndexedDoc(c, "ICD-10-CM", d, d) for c, d in [
        ("E78.2", "Mixed hyperlipidemia"), ("E78.5", "Hyperlipidemia, unspecified"),
        ("Z79.84", "Long term (current) use of oral hypoglycemic drugs"),
    ]
])  # fmt: skip


def search(query: str, k: int):
    return code_search(query, k, index=INDEX)


def app_over(api) -> ReviewApp:
    return ReviewApp(api, now=NOW, search=search)


def one_code_chart():
    result = make_result()
    return result.model_copy(update={"suggestions": result.suggestions[:1]})


def classes(widget) -> tuple[str, ...]:
    return tuple(widget._dom_classes)


def test_accepting_a_suggestion_takes_three_clicks(tmp_path: Path) -> None:
    api = queued_api(tmp_path, one_code_chart())
    app = app_over(api)
    app.open_buttons["req-1"].click()
    app.rows["E11.65"].accept.click()
    app.submit_button.click()
    assert app.last_error is None, app.status.value
    assert [e.event_type for e in api.audit.events()] == ["accepted", "finalized"]
    assert api.item("req-1").final_codes == [ref("E11.65", DIABETES, 0.91)]
    assert "finalized chart req-1: 1 code(s), audit seq 2" in app.status.value
    assert app.entries == [] and app.submit_button.disabled and app.rows["E11.65"].accept.disabled


def test_reject_modify_add_and_submit(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    app = app_over(api)
    assert "120" not in app.worklist_box.children[1].children[1].value  # queued 08:00, now 08:30
    assert "30 min, 3 code(s): low confidence: E78.5" in app.worklist_box.children[1].children[1].value
    app.open("req-1")
    app.rows["E11.65"].accept.click()
    app.rows["I10"].reason.value = Reason.DOCUMENTATION_DOES_NOT_SUPPORT
    app.rows["I10"].reject.click()
    row = app.rows["E78.5"]
    row.modify_query.value = "mixed hyperlipidemia"
    assert row.modify_select.value == ("ICD-10-CM", "E78.2")
    row.reason.value = Reason.MORE_SPECIFIC_CODE_AVAILABLE
    row.modify.click()
    assert row.state.value == "<b>modify → E78.2</b> (more_specific_code_available)"
    app.add_query.value = "oral hypoglycemic"
    assert app.add_select.value == ("ICD-10-CM", "Z79.84")
    app.add_phrase.value = "Metformin"
    assert (app.add_start.value, app.add_end.value) == METFORMIN
    app.add_reason.value = Reason.OTHER
    app.add_button.click()
    assert (
        "added <b>Z79.84</b> (other): …ia. Hypertension. Hyperlipidemia. PLAN: «metformin»."
        in app.added_list.value
    )
    app.submit_button.click()
    assert app.last_error is None, app.status.value
    events = api.audit.events()
    assert [e.event_type for e in events] == ["accepted", "rejected", "modified", "added", "finalized"]
    assert events[1].payload["reason"] == "documentation_does_not_support"
    assert api.item("req-1").final_codes == [
        ref("E11.65", DIABETES, 0.91), ref("E78.2", HLD, 0.2), ref("Z79.84", METFORMIN)]  # fmt: skip


def test_mistakes_show_on_the_status_line_and_record_nothing(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    app = app_over(api)
    app.open("req-1")
    app.rows["I10"].reject.click()
    assert "reject failed: choose a reason from the menu first" in app.status.value
    app.add_phrase.value = "insulin"
    assert "find text failed: that text does not occur in the note" in app.status.value
    app.add_query.value = "z9999"  # no hit: nothing to add
    app.add_button.click()
    assert "pick it from the list first" in app.status.value
    app.rows["E11.65"].accept.click()
    app.submit_button.click()
    assert "submit failed: 2 suggestion(s) still need a decision" in app.status.value
    assert isinstance(app.last_error, ValueError)
    assert api.audit.events() == [] and len(app.entries) == 1


def test_accept_all_then_submit(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    app = app_over(api)
    app.open_buttons["req-1"].click()
    app.accept_all_button.click()
    assert [r.state.value for r in app.rows.values()] == ["<b>accept</b>"] * 3
    app.submit_button.click()
    assert [e.event_type for e in api.audit.events()] == ["accepted"] * 3 + ["finalized"]


def test_show_highlights_one_code(tmp_path: Path) -> None:
    app = app_over(queued_api(tmp_path))
    app.open("req-1")
    assert app.note.value.count("<mark ") == 3
    app.rows["I10"].show.click()
    assert app.note.value.count("<mark ") == 1 and 'data-codes="I10"' in app.note.value
    app.show_all.click()
    assert app.note.value.count("<mark ") == 3


def test_chart_shows_findings_em_and_cdi(tmp_path: Path) -> None:
    app = app_over(queued_api(tmp_path))
    elapsed = app.open("req-1")
    assert isinstance(elapsed, float) and elapsed >= 0
    assert "R-1" in app.details.value and "two chronic illnesses" in app.details.value
    assert "Which type of hyperlipidemia?" in app.details.value
    assert "outpatient, payer medicare, age 67, sex F, date 2026-11-30" in app.head.value
    assert "alternatives: E78.2 (0.20)" in app.rows["E78.5"].label.value


def test_css_classes_for_the_browser_test(tmp_path: Path) -> None:
    app = app_over(queued_api(tmp_path))
    app.open("req-1")
    assert css_token("E11.65") == "E11_65" and css_token("req:1/a") == "req_1_a"
    assert classes(app.open_buttons["req-1"]) == ("medcoder-open-req-1",)
    assert classes(app.rows["E11.65"].accept) == ("medcoder-accept-E11_65",)
    assert classes(app.rows["E78.5"].modify_select) == ("medcoder-modify-select-E78_5",)
    named = {
        "medcoder-submit": app.submit_button, "medcoder-status": app.status,
        "medcoder-add-code-query": app.add_query, "medcoder-add-code-select": app.add_select,
        "medcoder-add-phrase": app.add_phrase, "medcoder-add-button": app.add_button,
        "medcoder-add-reason": app.add_reason, "medcoder-add-start": app.add_start,
        "medcoder-add-end": app.add_end, "medcoder-accept-all": app.accept_all_button,
    }  # fmt: skip
    assert {css: classes(widget) for css, widget in named.items()} == {css: (css,) for css in named}


def test_autopilot_accepts_first_adds_one_and_submits(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    out = app_over(api).autopilot("Z79.84", "metformin")
    events = api.audit.events()
    assert out.seq == 5
    assert [(e.event_type, e.payload["codes"][0]["code"]) for e in events[:4]] == [
        ("accepted", "E11.65"), ("accepted", "I10"), ("accepted", "E78.5"), ("added", "Z79.84")]  # fmt: skip
    assert events[3].payload["codes"][0]["evidence"] == [{"start": 93, "end": 102}]
    assert [c.code for c in api.item("req-1").final_codes] == ["E11.65", "I10", "E78.5", "Z79.84"]


def test_autopilot_names_the_step_that_failed(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="autopilot add failed: that text does not occur"):
        app_over(queued_api(tmp_path)).autopilot("Z79.84", "insulin")


def test_an_unreachable_service_is_reported_not_raised(tmp_path: Path) -> None:
    class Down:
        def worklist(self, **_):
            raise ConnectionError("connection refused")

    app = ReviewApp(Down(), now=NOW, search=search)
    assert "refresh failed: connection refused" in app.status.value
    with pytest.raises(RuntimeError, match="worklist is empty"):
        app.autopilot()
