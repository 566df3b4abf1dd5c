"""A claim as a FHIR R4 ``Claim`` resource (plain dict, JSON-ready).

Why: systems downstream of coding (payer APIs, Da Vinci, analytics) exchange claims as FHIR,
not X12. The resource is self-contained: the patient, billing provider and payer are
``contained`` resources referenced by ``#id``. ICD-10-CM codes get their dot back (``E1122`` ->
``E11.22``); a five-character procedure that is all digits (or ends in F/T/U) is CPT, otherwise
HCPCS Level II. Place of service (CMS POS code set) is the line's own or the claim's CLM05-1 for
professional claims; institutional claims carry the facility type instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from medcoder.claims.approve import dotted_diagnosis
from medcoder.claims.records import Claim, ClaimKind, Person, ServiceLine

__all__ = ["icd10_with_dot", "to_fhir_claim"]

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
MODIFIER_CPT = "http://www.ama-assn.org/go/cpt"


icd10_with_dot = dotted_diagnosis
"""ICD-10-CM code with the dot after the third character (``E1122`` -> ``E11.22``): the one rule in
:mod:`medcoder.claims.approve`, re-exported under the name the FHIR side uses."""


def _system(procedure: str) -> str:
    if len(procedure) == 5 and (procedure.isdigit() or (procedure[:4].isdigit() and procedure[4] in "FTU")):
        return CPT
    return HCPCS


def _money(value: Decimal) -> dict[str, Any]:
    return {"value": float(value), "currency": "USD"}


def _patient(person: Person) -> dict[str, Any]:
    name: dict[str, Any] = {"family": person.last_name}
    if person.first_name:
        name["given"] = [person.first_name]
    out: dict[str, Any] = {"resourceType": "Patient", "id": "patient", "name": [name]}
    out["gender"] = {"F": "female", "M": "male"}.get(person.sex, "unknown")
    if person.birth_date is not None:
        out["birthDate"] = person.birth_date.isoformat()
    if person.member_id:
        out["identifier"] = [{"type": {"text": "member id"}, "value": person.member_id}]
    return out


def _item(claim: Claim, line: ServiceLine, sequence: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sequence": sequence,
        "productOrService": {"coding": [{"system": _system(line.procedure), "code": line.procedure}]},
        "quantity": {"value": float(line.units)},
        "net": _money(line.charge),
    }
    if line.units:
        item["unitPrice"] = _money((line.charge / line.units).quantize(Decimal("0.01")))
    if line.modifiers:
        item["modifier"] = [{"coding": [{"system": MODIFIER_CPT, "code": m}]} for m in line.modifiers]
    if line.service_date is not None:
        item["servicedDate"] = line.service_date.isoformat()
    pointers = [p for p in line.diagnosis_pointers if 1 <= p <= len(claim.diagnoses)]
    if pointers:
        item["diagnosisSequence"] = pointers
    if line.revenue_code:
        item["revenue"] = {
            "coding": [{"system": "https://www.nubc.org/CodeSystem/RevenueCodes", "code": line.revenue_code}]
        }
    if claim.kind is ClaimKind.PROFESSIONAL:
        pos = line.place_of_service or claim.facility_code
        if pos:
            item["locationCodeableConcept"] = {"coding": [{"system": POS, "code": pos}]}
    return item


def to_fhir_claim(claim: Claim) -> dict[str, Any]:
    """The FHIR R4 Claim resource for ``claim`` (status active, use claim, normal priority)."""
    patient = claim.patient or claim.subscriber
    dates = [line.service_date for line in claim.lines if line.service_date is not None]
    start = claim.statement_from or (min(dates) if dates else None)
    end = claim.statement_to or (max(dates) if dates else None)
    provider: dict[str, Any] = {"resourceType": "Organization", "id": "billing", "name": claim.billing.name}
    if claim.billing.npi:
        provider["identifier"] = [{"system": "http://hl7.org/fhir/sid/us-npi", "value": claim.billing.npi}]
    insurer: dict[str, Any] = {"resourceType": "Organization", "id": "payer", "name": claim.payer.name}
    if claim.payer.payer_id:
        insurer["identifier"] = [{"type": {"text": "payer id"}, "value": claim.payer.payer_id}]
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": claim.claim_id.replace(" ", "-").replace("#", "-")[:64] or "claim",
        "contained": [_patient(patient), provider, insurer],
        "identifier": [{"value": claim.claim_id}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": claim.kind.value}]},
        "use": "claim",
        "patient": {"reference": "#patient"},
        "created": (start or end).isoformat() if (start or end) else "1970-01-01",
        "provider": {"reference": "#billing"},
        "insurer": {"reference": "#payer"},
        "priority": {"coding": [{"system": PRIORITY, "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": claim.payer.name}}],
        "diagnosis": [
            {
                "sequence": i,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": icd10_with_dot(code)}]},
            }
            for i, code in enumerate(claim.diagnoses, start=1)
        ],
        "item": [_item(claim, line, i) for i, line in enumerate(claim.lines, start=1)],
        "total": _money(claim.total_charge),
    }
    if start and end:
        resource["billablePeriod"] = {"start": start.isoformat(), "end": end.isoformat()}
    return resource
