"""Approved codes + billing context -> claim (packaged example context and charge master)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medcoder.audit.events import StoredEvent
from medcoder.claims.approve import approved_codes
from medcoder.claims.encounter import ClaimContext, build_claim, load_charge_master, load_context
from medcoder.claims.records import ClaimKind
from medcoder.errors import InputFormatError


def _auto(codes) -> StoredEvent:
    payload = {"codes": [{"system": s, "code": c} for s, c in codes], "route": "auto"}
    return StoredEvent(seq=1, event_id="0" * 32, event_type="suggested", occurred_at="2026-12-07T00:00:00.000000Z",
                       actor_id="svc", actor_role="service", request_id="req-1", document_id="doc-42",
                       model_version="m-7", code_set_versions={}, payload=payload, prev_hash="0", hash="1")  # fmt: skip


def test_example_context_and_charge_master_price_the_lines() -> None:
    codes = approved_codes(
        [_auto([("ICD-10-CM", "E11.22"), ("ICD-10-CM", "N18.31"), ("CPT", "93000")])], "doc-42"
    )
    claim = build_claim(codes, load_context(), load_charge_master())
    assert claim.kind is ClaimKind.PROFESSIONAL
    assert claim.diagnoses == ("E1122", "N1831")
    # E/M 99214 from the context first (200.00), then the approved ECG 93000 (60.00)
    assert [(line.procedure, line.charge) for line in claim.lines] == [
        ("99214", Decimal("200.00")),
        ("93000", Decimal("60.00")),
    ]
    assert claim.total_charge == Decimal("260.00") == claim.line_charge_total
    assert all(line.diagnosis_pointers == (1, 2) for line in claim.lines)
    assert (claim.encounter_id, claim.model_version, claim.claim_id) == ("doc-42", "m-7", "doc-42-260316")


def test_context_lines_override_and_units_multiply_the_unit_charge() -> None:
    codes = approved_codes([_auto([("ICD-10-CM", "Z30.013")])], "doc-42")
    data = load_context().model_dump()
    data["lines"] = [{"procedure": "J1050", "units": "150", "charge": "0.50"}, {"procedure": "96372"}]
    claim = build_claim(codes, ClaimContext.model_validate(data), load_charge_master())
    assert [(line.procedure, line.units, line.charge) for line in claim.lines] == [
        ("J1050", Decimal("150"), Decimal("75.00")),
        ("96372", Decimal("1"), Decimal("35.00")),
    ]
    assert claim.total_charge == Decimal("110.00")


def test_unpriced_code_and_bad_npi_are_named() -> None:
    codes = approved_codes([_auto([("ICD-10-CM", "I10"), ("CPT", "99999")])], "doc-42")
    with pytest.raises(ValueError, match="no charge for 99999"):
        build_claim(codes, load_context(), load_charge_master())
    data = load_context().model_dump()
    data["billing"]["npi"] = "1234567890"  # check digit should be 3
    with pytest.raises(ValueError, match="NPI check digit"):
        ClaimContext.model_validate(data)


def test_bad_context_file_names_the_field(tmp_path) -> None:
    bad = tmp_path / "ctx.yaml"
    bad.write_text(
        "service_date: 2026-03-16\nbilling: {name: X, npi: '1234567893'}\npayer: {name: P, payer_id: '1'}\n"
    )
    with pytest.raises(InputFormatError, match=r"ctx.yaml: claim context field subscriber: Field required"):
        load_context(bad)
