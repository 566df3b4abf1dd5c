"""The Finding record: one rule outcome a coder can act on.

Every check in :mod:`medcoder.rules` returns findings. A finding names the rule that fired, how
serious it is (``error`` blocks the claim, ``warning`` needs a coder's look, ``info`` is advice),
the codes involved, a message written for coders, a suggested fix, and the source of the rule
with its version (for example ``"NCCI PTP practitioner 2026Q1"``), so an auditor can trace it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    """How a finding affects the claim: ``error`` blocks it, ``warning`` needs review, ``info`` advises."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(BaseModel):
    """One rule outcome.

    ``details`` carries structured extras a UI may show (E/M rationale with evidence spans,
    the text of a CDI query, RAF numbers); the message alone must already be understandable.
    """

    model_config = ConfigDict(frozen=True)

    rule_id: str = Field(min_length=1, description="Stable rule identifier, e.g. 'ICD.EXCLUDES1'.")
    severity: Severity
    codes: tuple[str, ...] = ()
    message: str = Field(min_length=1)
    suggested_fix: str | None = None
    source: str = Field(min_length=1, description="Where the rule comes from, e.g. 'NCCI PTP practitioner'.")
    version: str = Field(min_length=1, description="Version of that source, e.g. '2026Q1'.")
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def blocks_claim(self) -> bool:
        """Whether this finding stops the claim from going out as coded."""
        return self.severity is Severity.ERROR


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; stable within a severity (rule order kept)."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])
