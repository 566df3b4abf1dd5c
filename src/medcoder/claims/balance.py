"""Check that an 835 balances to the cent, the way a payment poster must before posting it.

Three rules of 005010X221A1 (section 1.10.2):

- each service line: SVC02 charge - SVC03 paid = the sum of the line's CAS amounts;
- each claim: CLP03 charge - CLP04 paid = the claim's CAS amounts plus every line's CAS amounts
  (only the claim's CAS when it has no lines);
- the transaction: BPR02 = the sum of CLP04 minus the sum of PLB amounts (PLB positive reduces).

A remittance that does not balance is refused with an :class:`X12Error` naming the segment (SVC,
CLP or BPR) and its position, with the amounts involved (money only, never patient data).
"""

from __future__ import annotations

from collections.abc import Iterable

from medcoder.claims.records import ZERO, Adjustment, Remittance
from medcoder.claims.x12 import X12Error


def _total(adjustments: Iterable[Adjustment]) -> object:
    return sum((a.amount for a in adjustments), ZERO)


def check_balance(remittance: Remittance) -> None:
    """Raise :class:`X12Error` on the first line, claim or payment total that does not balance."""
    paid_total = ZERO
    for claim in remittance.claims:
        line_cas = ZERO
        for line in claim.lines:
            adjusted = _total(line.adjustments)
            if line.charge - line.paid != adjusted:
                raise X12Error(
                    f"service line does not balance: charge {line.charge} - paid {line.paid} = "
                    f"{line.charge - line.paid}, but its CAS adjustments total {adjusted}",
                    segment="SVC",
                    position=line.position,
                )
            line_cas += adjusted  # type: ignore[operator]
        claim_cas = _total(claim.adjustments)
        expected = claim_cas + line_cas  # type: ignore[operator]
        if claim.charge - claim.paid != expected:
            raise X12Error(
                f"claim payment does not balance: charge {claim.charge} - paid {claim.paid} = "
                f"{claim.charge - claim.paid}, but claim CAS {claim_cas} + line CAS {line_cas} = {expected}",
                segment="CLP",
                position=claim.position,
            )
        paid_total += claim.paid
    plb = _total(remittance.provider_adjustments)
    if remittance.payment_amount != paid_total - plb:  # type: ignore[operator]
        raise X12Error(
            f"BPR02 payment {remittance.payment_amount} does not equal the claims paid {paid_total} "
            f"minus provider adjustments (PLB) {plb}",
            segment="BPR",
            position=remittance.position,
        )
