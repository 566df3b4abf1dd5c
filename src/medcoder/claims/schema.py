"""Tables of the claims store (the typed records its queries return live in ``linkage``).

Money is stored as integer cents (``BigInteger``): SQLite has no exact decimal type, and an 835 must
balance to the cent in every database. Dates are ISO ``YYYY-MM-DD`` strings; modifiers and
diagnosis pointers are ``:``/``,``-joined strings. Patient names from the 835 (NM1*QC) are not
stored: linkage needs the claim id, not the person.

- ``claims``, ``claim_diagnoses``, ``claim_lines``: what was submitted (837), with the interchange
  control number it went out in and the model version that coded it.
- ``control_numbers``: one row per kind (``isa``, ``gs``, ``st``, ...) holding the last value used.
- ``remittance_files`` (sha256 unique: the same file never ingests twice), ``remittances`` (BPR/TRN),
  ``claim_payments`` (CLP), ``remit_lines`` (SVC), ``adjustments`` (CAS and PLB), ``remarks`` (RARC).
- ``line_links``: each remit line's claim line and how it was matched (``linkage.match_lines``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

claims = Table(
    "claims",
    metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("encounter_id", String(128), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("payer_id", String(80), nullable=False),
    Column("total_charge_cents", BigInteger, nullable=False),
    Column("interchange_control", Integer, nullable=False),
)

claim_diagnoses = Table(
    "claim_diagnoses",
    metadata,
    Column("claim_id", String(64), ForeignKey("claims.claim_id"), primary_key=True),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("code", String(16), nullable=False),
)

claim_lines = Table(
    "claim_lines",
    metadata,
    Column("claim_id", String(64), ForeignKey("claims.claim_id"), primary_key=True),
    Column("line_number", Integer, primary_key=True, autoincrement=False),
    Column("procedure", String(48), nullable=False),
    Column("modifiers", String(16), nullable=False),
    Column("units", String(16), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("service_date", String(10), nullable=True),
    Column("line_control", String(50), nullable=False),
    Column("diagnosis_pointers", String(16), nullable=False),
)

control_numbers = Table(
    "control_numbers",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

remittance_files = Table(
    "remittance_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("name", String(512), nullable=False),
    Column("received_at", String(32), nullable=False),
)

remittances = Table(
    "remittances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_id", Integer, ForeignKey("remittance_files.id"), nullable=False),
    Column("trace_number", String(50), nullable=False),
    Column("payment_cents", BigInteger, nullable=False),
    Column("payment_date", String(10), nullable=True),
    Column("payer_name", String(80), nullable=False),
    Column("payee_name", String(80), nullable=False),
    Column("payee_npi", String(10), nullable=False),
)

claim_payments = Table(
    "claim_payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("remittance_id", Integer, ForeignKey("remittances.id"), nullable=False),
    Column("claim_id", String(64), nullable=False),
    Column("matched", Integer, nullable=False),
    Column("status", String(2), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("patient_responsibility_cents", BigInteger, nullable=False),
    Column("filing_indicator", String(2), nullable=False),
    Column("payer_claim_id", String(50), nullable=False),
    Index("ix_claim_payments_claim_id", "claim_id"),
)

remit_lines = Table(
    "remit_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payment_id", Integer, ForeignKey("claim_payments.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("qualifier", String(2), nullable=False),
    Column("procedure", String(48), nullable=False),
    Column("modifiers", String(16), nullable=False),
    Column("units", String(16), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("revenue_code", String(48), nullable=False),
    Column("service_date", String(10), nullable=True),
    Column("line_control", String(50), nullable=False),
    UniqueConstraint("payment_id", "sequence"),
)

adjustments = Table(
    "adjustments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("remittance_id", Integer, ForeignKey("remittances.id"), nullable=False),
    Column("payment_id", Integer, ForeignKey("claim_payments.id"), nullable=True),
    Column("remit_line_id", Integer, ForeignKey("remit_lines.id"), nullable=True),
    Column("level", String(8), nullable=False),
    Column("group_code", String(2), nullable=False),
    Column("reason", String(50), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("quantity", String(16), nullable=True),
    Index("ix_adjustments_payment", "payment_id"),
)

remarks = Table(
    "remarks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payment_id", Integer, ForeignKey("claim_payments.id"), nullable=False),
    Column("remit_line_id", Integer, ForeignKey("remit_lines.id"), nullable=True),
    Column("code", String(8), nullable=False),
)

line_links = Table(
    "line_links",
    metadata,
    Column("remit_line_id", Integer, ForeignKey("remit_lines.id"), primary_key=True),
    Column("claim_id", String(64), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("method", String(16), nullable=False),
    Index("ix_line_links_claim", "claim_id", "line_number"),
)

HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> int:
    """An amount in whole cents; a sub-cent amount is an error (an 835 is exact to the cent)."""
    cents = amount * HUNDRED
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} has fractions of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Cents back to a two-place Decimal."""
    return (Decimal(cents) / HUNDRED).quantize(Decimal("0.01"))
