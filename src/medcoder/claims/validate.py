"""Validate X12 text with pyx12's implementation-guide maps, in-process and quietly.

pyx12 checks an interchange against the 5010 implementation guide it names in GS08 (837P
005010X222A1, 837I 005010X223A2, 835 005010X221A1, ...): loop structure, required segments and
elements, element lengths and code values. :func:`pyx12_errors` runs its validator on a string
and returns the problems it reports as short messages (an empty list means the text is clean).

Why in-process: the exported 837 is checked before it leaves the system (and in tests), so a
subprocess per file would be slow and would need temporary files. The validator's JSON error
report is written to an in-memory buffer, its log records are captured instead of printed, and
the parameters do not read any ``~/.pyx12.conf.xml`` so the result does not depend on the
machine. Messages carry pyx12's error code, the segment tag and its number within its
transaction (pyx12 counts from ST, unlike :mod:`medcoder.claims.x12` which counts from ISA), the
element's data-element number and pyx12's own text. That text can quote the offending element
value (a bad code, a too-long field), which may be patient data in a real file: callers must not
log these messages for production claims without care.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

__all__ = ["pyx12_errors"]


class _Collect(logging.Handler):
    """Keep pyx12's error log records (for example 'Map not found') instead of printing them."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _walk(node: Any, where: str, out: list[str]) -> None:
    """Collect every ``errors`` entry of pyx12's nested JSON error report."""
    if isinstance(node, dict):
        here = where
        if "seg_id" in node:
            here = f"segment {node['seg_id']} (number {node.get('seg_count')} in its transaction)"
        elif "trn_set_control_num" in node:
            here = f"transaction {node['trn_set_control_num']}"
        elif "gs_control_num" in node:
            here = f"group {node['gs_control_num']}"
        for err in node.get("errors", ()):
            element = f" element {node['ele_ref_num']}" if "ele_ref_num" in node else ""
            out.append(f"[{err.get('err_cde')}] {here}{element}: {err.get('err_str')}")
        for key, child in node.items():
            if key != "errors" and isinstance(child, list | dict):
                _walk(child, here, out)
    elif isinstance(node, list):
        for child in node:
            _walk(child, where, out)


def pyx12_errors(text: str) -> list[str]:
    """Validate ``text`` (one X12 interchange) with pyx12 and return its error messages.

    An empty list means pyx12 found nothing wrong. Text pyx12 cannot read at all (no ISA, an
    unknown version, no map for GS08) gives one message saying so instead of raising.
    """
    source = text.lstrip("\ufeff \t\r\n")
    if not source.startswith("ISA"):
        return ["pyx12 could not read the interchange: it does not start with ISA"]
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    logger = logging.getLogger("pyx12")
    collect = _Collect()
    saved = (logger.propagate, logger.level)
    logger.addHandler(collect)
    logger.propagate = False
    if logger.level == logging.NOTSET or logger.level < logging.ERROR:
        logger.setLevel(logging.ERROR)
    report = io.StringIO()
    try:
        params = pyx12.params.ParamsBase()
        valid = pyx12.x12n_document.x12n_document(params, io.StringIO(source), None, None, fd_json=report)
    except pyx12.errors.EngineError as exc:
        return [f"pyx12 engine error: {exc}"]
    except pyx12.errors.X12Error as exc:
        return [f"pyx12 could not read the interchange: {exc}"]
    finally:
        logger.removeHandler(collect)
        logger.propagate, level = saved
        logger.setLevel(level)
    errors: list[str] = []
    raw = report.getvalue()
    if raw:
        _walk(json.loads(raw), "interchange", errors)
    # pyx12 also logs each located error as "Line:N ..."; keep only the log records the JSON
    # report does not carry (or all of them when it carries nothing).
    errors += [m for m in collect.messages if not (errors and m.startswith("Line:"))]
    if not valid and not errors:
        errors.append("pyx12 reported the interchange invalid without a detailed message")
    return errors
