"""The code systems medcoder suggests and validates (the lowest-level name every layer shares)."""

from __future__ import annotations

from enum import StrEnum


class CodeSystem(StrEnum):
    """Code systems medcoder suggests and validates."""

    ICD10CM = "ICD-10-CM"
    ICD10PCS = "ICD-10-PCS"
    CPT = "CPT"
    HCPCS = "HCPCS"
