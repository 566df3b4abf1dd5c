"""``medcoder review export-ls`` / ``import-ls``: a worklist out to Label Studio and back, twice."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcoder.cli import app
from unit.review.test_api import queued_api


def test_label_studio_round_trip_records_each_chart_once(tmp_path: Path) -> None:
    api = queued_api(tmp_path)
    url = f"sqlite:///{tmp_path}/a.db"
    suggested = [s.code for s in api.item("req-1").result.suggestions]
    runner = CliRunner()
    tasks = tmp_path / "tasks.json"
    out = runner.invoke(app, ["review", "export-ls", "--store", url, "--out", str(tasks)])
    assert out.exit_code == 0, out.output
    (task,) = json.loads(tasks.read_text())
    assert task["data"]["request_id"] == "req-1"
    # the annotator submits the pre-annotation unchanged (what "accept all" looks like in Label Studio)
    task["annotations"] = [{"id": 1, "was_cancelled": False, "result": task["predictions"][0]["result"]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task]))
    for _ in range(2):  # the second import finds the chart finalized and records nothing
        out = runner.invoke(app, ["review", "import-ls", str(export), "--store", url, "--coder", "coder-ls"])
        assert out.exit_code == 0, out.output
    assert "0 chart(s), 0 decision(s); 1 already finalized" in out.output
    events = [(e.event_type, e.actor_id) for e in api.audit.events()]
    assert events == [("accepted", "coder-ls")] * len(suggested) + [("finalized", "coder-ls")]
    assert [c.code for c in api.store.get("req-1").final_codes] == suggested
