"""Seeded generator of varied, valid Claims for 837 tests (fictitious people, valid NPIs)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from medcoder.claims.npi import npi_check_digit
from medcoder.claims.records import Address, Claim, ClaimKind, Payer, Person, Provider, ServiceLine

ICD10 = ("E1122", "I10", "J449", "M545", "R0602", "Z0000", "K219", "N390", "F329", "E785", "J069", "R51", "M170", "G4733")  # fmt: skip
CPT = ("99213", "99214", "99203", "93000", "85025", "80053", "36415", "71046", "97110", "J1100", "G0439")  # fmt: skip
MODIFIERS = ("25", "59", "LT", "RT", "76", "91", "XU", "GP")
POS = ("11", "21", "22", "23", "12", "02")
REVENUE = ("0300", "0301", "0450", "0320", "0250", "0636")
FACILITY = ("13", "11", "14", "85")
STATES = ("FL", "PA", "OH", "NY", "CA", "TX")


def valid_npi(rng: random.Random) -> str:
    """A random NPI (first digit 1 or 2) with its correct check digit."""
    first9 = str(rng.choice((1, 2))) + "".join(str(rng.randrange(10)) for _ in range(8))
    return first9 + npi_check_digit(first9)


def _address(rng: random.Random) -> Address:
    return Address(
        line1=f"{rng.randrange(1, 9999)} MAIN ST",
        city="SPRINGFIELD",
        state=rng.choice(STATES),
        postal_code="".join(str(rng.randrange(10)) for _ in range(rng.choice((5, 9)))),
    )


def _person(rng: random.Random, last: str, member: bool) -> Person:
    return Person(
        last_name=last,
        first_name=rng.choice(("ANN", "BOB", "CARL", "DANA", "EVE")),
        member_id=f"M{rng.randrange(10**8):08d}" if member else "",
        birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(30000)),
        sex=rng.choice("FMU"),
        address=_address(rng),
    )


def varied_claim(rng: random.Random, index: int, kind: ClaimKind | None = None) -> Claim:
    """One random claim; ``kind`` None picks professional or institutional at random."""
    kind = kind or rng.choice((ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL))
    institutional = kind is ClaimKind.INSTITUTIONAL
    diagnoses = tuple(rng.sample(ICD10, rng.randint(1, 12)))
    start = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
    facility = rng.choice(FACILITY if institutional else POS)
    lines = []
    for n in range(1, rng.randint(1, 10) + 1):
        k = rng.randint(1, min(4, len(diagnoses)))
        lines.append(
            ServiceLine(
                line_number=n,
                procedure=rng.choice(CPT),
                charge=Decimal(rng.randrange(500, 50000)) / 100,
                units=Decimal(rng.randint(1, 4)),
                service_date=start + timedelta(days=rng.randrange(3)),
                modifiers=tuple(rng.sample(MODIFIERS, rng.randint(0, 4))),
                diagnosis_pointers=tuple(sorted(rng.sample(range(1, len(diagnoses) + 1), k))),
                revenue_code=rng.choice(REVENUE) if institutional else "",
                place_of_service="" if institutional else rng.choice((facility, rng.choice(POS))),
                line_control=f"L{index}-{n}" if rng.random() < 0.5 else "",
                ndc="00026063512" if rng.random() < 0.05 else "",
            )
        )
    dependent = rng.random() < 0.4
    billing = Provider(
        name=rng.choice(("GOOD HEALTH CLINIC", "CITY HOSPITAL", "RIVER MEDICAL GROUP")),
        npi=valid_npi(rng),
        tax_id=f"{rng.randrange(10**9):09d}",
        taxonomy=rng.choice(("", "207Q00000X", "282N00000X")),
        address=_address(rng),
    )
    doctor = Provider(name="HOUSE", first_name="GREG", entity="1", npi=valid_npi(rng), taxonomy="207R00000X")
    return Claim(
        claim_id=f"C{index:06d}",
        kind=kind,
        billing=billing,
        subscriber=_person(rng, "DOE", True),
        payer=Payer(name="ACME HEALTH PLAN", payer_id=f"{rng.randrange(10**5):05d}"),
        diagnoses=diagnoses,
        lines=tuple(lines),
        total_charge=sum((line.charge for line in lines), Decimal("0.00")),
        facility_code=facility,
        rendering=doctor if rng.random() < 0.5 else None,
        attending=doctor if institutional and rng.random() < 0.7 else None,
        patient=_person(rng, "DOE", False) if dependent else None,
        relationship=rng.choice(("19", "01", "G8")) if dependent else "18",
        statement_from=start if institutional else None,
        statement_to=start + timedelta(days=2) if institutional else None,
    )


def varied_claims(n: int, seed: int, kind: ClaimKind | None = None) -> list[Claim]:
    """``n`` varied claims from a generator seeded with ``seed`` (same seed, same claims)."""
    rng = random.Random(seed)
    return [varied_claim(rng, i, kind) for i in range(n)]
