"""to_fhir_claim: hand-checked fields, and schema validation with fhir.resources (R4B)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.claims.fhir_claim import CPT, HCPCS, ICD10CM, icd10_with_dot, to_fhir_claim
from medcoder.claims.read837 import read_837
from unit.claims.claim_factory import varied_claims

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("code", "dotted"), [("E1122", "E11.22"), ("I10", "I10"), ("S72001A", "S72.001A"), ("R51", "R51")]
)
def test_dot_restored(code: str, dotted: str) -> None:
    assert icd10_with_dot(code) == dotted


def test_dependent_claim_fields() -> None:
    (claim,) = read_837((DATA / "dependent_multi_line.837").read_text())
    res = to_fhir_claim(claim)
    assert res["resourceType"] == "Claim" and res["status"] == "active" and res["use"] == "claim"
    assert res["type"]["coding"][0]["code"] == "professional"
    assert [d["diagnosisCodeableConcept"]["coding"][0] for d in res["diagnosis"]] == [
        {"system": ICD10CM, "code": "J06.9"},
        {"system": ICD10CM, "code": "R50.9"},
        {"system": ICD10CM, "code": "H66.90"},
    ]
    first, _, third, drug = res["item"]
    assert first["productOrService"]["coding"][0] == {"system": CPT, "code": "99213"}
    assert first["diagnosisSequence"] == [1, 2] and first["servicedDate"] == "2025-04-01"
    assert first["locationCodeableConcept"]["coding"][0]["code"] == "11"
    assert [m["coding"][0]["code"] for m in third["modifier"]] == ["LT", "RT", "59", "XU"]
    assert (
        third["quantity"]["value"] == 2
        and third["unitPrice"]["value"] == 30.0
        and third["net"]["value"] == 60.0
    )
    assert drug["productOrService"]["coding"][0]["system"] == HCPCS
    assert res["total"] == {"value": 225.25, "currency": "USD"}
    patient = next(c for c in res["contained"] if c["resourceType"] == "Patient")
    assert patient["name"][0]["given"] == ["SAM"] and res["patient"] == {"reference": "#patient"}


def test_institutional_type() -> None:
    (claim,) = read_837((DATA / "institutional.837").read_text())
    res = to_fhir_claim(claim)
    assert res["type"]["coding"][0]["code"] == "institutional"
    assert res["item"][0]["revenue"]["coding"][0]["code"] == "0730"
    assert res["billablePeriod"] == {"start": "2025-05-06", "end": "2025-05-06"}


def test_resources_validate() -> None:
    from fhir.resources.R4B.claim import Claim as FhirClaim

    for claim in varied_claims(25, seed=5):
        parsed = FhirClaim.model_validate(to_fhir_claim(claim))
        assert len(parsed.item) == len(claim.lines)
        assert len(parsed.diagnosis) == len(claim.diagnoses)
