"""The README's last step: `serve_and_code` starts bentoml serve, codes the sample note over HTTP, prints it."""

from __future__ import annotations

import pytest
from rich.console import Console

from medcoder.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def test_serve_and_code_prints_a_readable_result(tmp_path_factory) -> None:
    from medcoder.serving.demo import serve_and_code
    from medcoder.training.testing import tiny_model_dir

    model = tiny_model_dir(tmp_path_factory.getbasetemp())
    console = Console(record=True, width=160)
    note = REPO_ROOT / "configs" / "demo" / "sample_note.txt"
    result = serve_and_code(model, note, console=console, workdir=tmp_path_factory.mktemp("demo"))
    out = console.export_text()
    assert "service ready at http://127.0.0.1:" in out
    assert f"{len(result.suggestions)} suggested codes" in out
    for s in result.suggestions[:3]:
        assert s.code in out
    assert f"route: {result.route.decision.value}" in out
    assert "E/M" in out and result.em is not None and result.em.billed == "99214"
    assert result.audit_seq == 1  # a fresh audit store: this result is its first event
    text = note.read_text()
    for s in result.suggestions:
        for e in s.evidence:
            assert text[e.start : e.end] == e.text
