"""Run a jupytext percent-format notebook with nbclient and read back what it showed.

Tests append a *probe* cell that prints a JSON line (``PROBE {...}``) built from the notebook's own
variables, so they can check values without parsing rendered tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PROBE_PREFIX = "PROBE "


@dataclass(frozen=True)
class NotebookRun:
    """What an executed notebook produced: all text output, the number of images and the probe."""

    text: str
    images: int
    probe: dict
    path: Path


def execute_notebook(
    source: Path, out_dir: Path, probe_code: str, cwd: Path, timeout: int = 240
) -> NotebookRun:
    """Convert ``source`` (jupytext ``.py``) to a notebook, append ``probe_code`` and execute it.

    The kernel is the ``python3`` spec; jupyter_client swaps its ``python`` argv for this
    interpreter, so the kernel runs in the same virtual environment as pytest. The kernel
    inherits the test process's environment (the ``MEDCODER_NB_*`` parameters). The executed
    notebook is written to ``out_dir`` (never into the repository).
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(source)
    nb.cells.append(nbformat.v4.new_code_cell(probe_code))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    out_path = out_dir / (source.stem + ".ipynb")
    nbformat.write(nb, out_path)
    texts: list[str] = []
    images = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output.get("text", ""))
            data = output.get("data", {})
            texts.append(data.get("text/plain", ""))
            images += "image/png" in data
    text = "\n".join(texts)
    probe_lines = [line for line in text.splitlines() if line.startswith(PROBE_PREFIX)]
    if len(probe_lines) != 1:
        raise AssertionError(f"expected one probe line in {source.name}, got {len(probe_lines)}")
    return NotebookRun(text, images, json.loads(probe_lines[0][len(PROBE_PREFIX) :]), out_path)


def probe(expr: str) -> str:
    """Code for a probe cell printing ``expr`` (a JSON-serialisable expression) after the prefix."""
    return f"import json as _json\nprint({PROBE_PREFIX!r} + _json.dumps({expr}, default=str))"
