"""A seeded payer simulator: adjudicates claims with the project's rules and writes balanced payments.

Why: Synthea pays every line, so a denial model needs denials with known causes. The simulator runs
:func:`medcoder.rules.engine.validate` on the claim's codes and turns each blocking finding into the
denial a payer would send (see :data:`RULE_CARCS` and ``data/SYNTHEA_CARD.md``), adds a small seeded
rate of administrative claim denials (:data:`ADMIN_CARCS`), and pays the rest at a seeded allowed
ratio with a contractual CO-45 and patient responsibility (PR-1 deductible, PR-2 coinsurance, PR-3
copay). Every amount is Decimal cents; CO-45 takes the rounding remainder, so each line and claim
balances exactly (charge - paid == sum of adjustments). The random draws of one claim depend only on
``seed`` and the claim id, so a claim's outcome does not change when other claims are added.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from medcoder.claims.history import HistoryRecord, patient_key
from medcoder.claims.records import ZERO, Adjustment, Claim, ClaimKind, ClaimPayment, RemitLine
from medcoder.data.records import CodeSystem
from medcoder.rules.encounter import Encounter, EncounterCode, PatientInfo
from medcoder.rules.engine import RuleSet, validate
from medcoder.rules.findings import Finding, Severity

CENT = Decimal("0.01")
# rule id (or prefix ending in '.') -> (CARC, RARC). Only error findings deny.
RULE_CARCS: dict[str, tuple[str, str]] = {
    "NCCI.PTP": ("97", "N20"),  # modifier indicator 0; indicator 1 (bypassable) gets CO-236
    "NCCI.MUE": ("151", "N362"),
    "NCCI.AOC": ("107", ""),
    "MN.": ("50", "N115"),
    "ICD.AGE_CONFLICT": ("9", ""),
    "ICD.SEX_CONFLICT": ("10", ""),
    "ICD.INVALID": ("16", "M76"),
    "ICD.SEVENTH_CHAR_MISSING": ("16", "M76"),
    "ICD.NOT_BILLABLE": ("16", "M76"),
    "ICD.": ("11", ""),  # other diagnosis conventions: diagnosis inconsistent with the procedure
    "PAYER.": ("16", "MA130"),  # payer pack denial; CO-4 when the rule is about a modifier
}
PTP_BYPASSABLE = ("236", "N20")
MODIFIER_CARC = ("4", "")
DEFAULT_CARC = ("16", "MA130")
# administrative claim denials drawn at the base rate: CARC -> (weight, RARC)
ADMIN_CARCS: dict[str, tuple[int, str]] = {
    "16": (30, "MA130"),  # missing or invalid claim information
    "18": (25, ""),  # exact duplicate
    "27": (15, ""),  # coverage terminated before the date of service
    "29": (15, ""),  # timely filing limit expired
    "197": (15, ""),  # precertification / authorization absent
}
_EM_COPAY = tuple(f"992{n:02d}" for n in range(2, 16))


@dataclass(frozen=True)
class _Denial:
    carc: str
    rarc: str
    units: Decimal | None = None  # units denied (MUE); None = whole line


@dataclass(frozen=True)
class PayerPolicy:
    """A payer coverage rule (``data/payer_policies.csv``): codes ``first``..``last`` for patients aged
    ``age_from`` (inclusive) to ``age_to`` (exclusive) are denied with ``carc``/``rarc`` with
    ``probability`` (payers enforce unevenly). ``payer`` is a payer id, or ``*`` for every payer."""

    payer: str
    first: str
    last: str
    carc: str
    rarc: str
    probability: float
    age_from: int | None = None
    age_to: int | None = None

    def applies(self, payer_id: str, code: str, age: int | None) -> bool:
        if self.payer not in ("*", payer_id) or not (
            len(code) == len(self.first) and self.first <= code <= self.last
        ):
            return False
        if age is None:
            return self.age_from is None and self.age_to is None
        return (self.age_from is None or age >= self.age_from) and (self.age_to is None or age < self.age_to)


def _years(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.endswith("y") or not text[:-1].isdigit():
        raise ValueError(f"payer_policies.csv: age {text!r} must look like 19y")
    return int(text[:-1])


@functools.cache
def load_payer_policies() -> tuple[PayerPolicy, ...]:
    """The packaged coverage policies the simulated payers apply (see ``data/SYNTHEA_CARD.md``)."""
    text = resources.files("medcoder.claims").joinpath("data", "payer_policies.csv").read_text()
    return tuple(
        PayerPolicy(payer=r["payer"], first=r["first"], last=r["last"], carc=r["carc"], rarc=r["rarc"],
                    probability=float(r["probability"]), age_from=_years(r["age_from"]), age_to=_years(r["age_to"]))
        for r in csv.DictReader(io.StringIO(text))
    )  # fmt: skip


def patient_age(claim: Claim, service_date: date) -> int | None:
    """The patient's age in whole years on ``service_date`` (None without a plausible birth date)."""
    person = claim.patient or claim.subscriber
    if person.birth_date is None:
        return None
    b = person.birth_date
    age = service_date.year - b.year - ((service_date.month, service_date.day) < (b.month, b.day))
    return age if 0 <= age <= 130 else None


def _is_denial(a: Adjustment) -> bool:
    return a.group in ("CO", "PI") and a.reason != "45"


def _q(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _rng(seed: int, claim_id: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{claim_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _system(code: str) -> CodeSystem:
    return CodeSystem.HCPCS if code[:1].isalpha() else CodeSystem.CPT


def claim_encounter(claim: Claim, service_date: date) -> Encounter:
    """The rules Encounter for a claim: its diagnoses (principal first) and procedure lines."""
    person = claim.patient or claim.subscriber
    age = patient_age(claim, service_date)
    codes = [
        EncounterCode(system=CodeSystem.ICD10CM, code=dx, position=i + 1)
        for i, dx in enumerate(claim.diagnoses)
    ]
    codes += [
        EncounterCode(
            system=_system(ln.procedure), code=ln.procedure, modifiers=ln.modifiers, units=int(ln.units)
        )
        for ln in claim.lines
    ]
    return Encounter(
        id=claim.claim_id,
        date_of_service=service_date,
        patient=PatientInfo(age=age, sex=person.sex),
        payer=claim.payer.name,
        place_of_service=claim.facility_code,
        provider_type="practitioner" if claim.kind is ClaimKind.PROFESSIONAL else "hospital_outpatient",
        codes=tuple(codes),
    )


def _carc_for(finding: Finding) -> tuple[str, str]:
    rid = finding.rule_id
    if rid == "NCCI.PTP" and finding.details.get("modifier_indicator") == 1:
        return PTP_BYPASSABLE
    if rid.startswith("PAYER.") and "modifier" in finding.message.lower():
        return MODIFIER_CARC
    if rid in RULE_CARCS:
        return RULE_CARCS[rid]
    prefix = rid.split(".", 1)[0] + "."
    return RULE_CARCS.get(prefix, DEFAULT_CARC)


def line_denials(claim: Claim, findings: Sequence[Finding]) -> dict[int, _Denial]:
    """Which line (0-based index) each blocking finding denies, first finding per line wins.

    PTP denies the column 2 line; MUE the units over the limit (counted along the lines of the code);
    diagnosis findings the lines that point to the diagnosis; others the lines whose code is named.
    """
    out: dict[int, _Denial] = {}
    codes = [ln.procedure for ln in claim.lines]
    for f in findings:
        if f.severity is not Severity.ERROR:
            continue
        carc, rarc = _carc_for(f)
        if f.rule_id == "NCCI.PTP" and len(f.codes) == 2:
            targets = [i for i, c in enumerate(codes) if c == f.codes[1]]
        elif f.rule_id == "NCCI.MUE" and f.codes:
            limit = Decimal(int(f.details.get("mue", 0)))
            for i, ln in enumerate(claim.lines):
                if ln.procedure != f.codes[0] or i in out:
                    continue
                over = min(ln.units, max(ZERO, ln.units - limit))
                limit = max(ZERO, limit - ln.units)
                if over > 0:
                    out[i] = _Denial(carc, rarc, None if over == ln.units else over)
            continue
        else:
            named = {c.replace(".", "") for c in f.codes}  # findings show ICD codes with the dot
            targets = [i for i, c in enumerate(codes) if c in named]
            if not targets and f.rule_id.startswith("ICD."):
                dx_pos = {n + 1 for n, d in enumerate(claim.diagnoses) if d.replace(".", "") in named}
                targets = [i for i, ln in enumerate(claim.lines) if set(ln.diagnosis_pointers) & dx_pos]
            if not targets:
                targets = list(range(len(codes)))
        for i in targets:
            out.setdefault(i, _Denial(carc, rarc))
    return out


class PayerSimulator:
    """Adjudicates claims the way a payer would, with seeded randomness (see the module docstring).

    ``rules`` defaults to the diagnosis conventions only (ICD checks), which need no extra files;
    pass a RuleSet with NCCI tables or payer packs for those denials. ``allowed_ratio`` bounds the
    per-claim allowed share of the charge; ``coinsurance`` is the patient's share after deductible;
    ``copay`` applies to office visits 99202-99215 (in place of coinsurance on that line);
    ``deductible`` is taken from the first paid lines of a claim with probability ``deductible_rate``.
    """

    def __init__(
        self,
        rules: RuleSet | None = None,
        *,
        seed: int,
        base_denial_rate: float = 0.03,
        allowed_ratio: tuple[float, float] = (0.55, 0.9),
        coinsurance: Decimal = Decimal("0.20"),
        copay: Decimal = Decimal("25.00"),
        deductible: Decimal = Decimal("150.00"),
        deductible_rate: float = 0.15,
        policies: Sequence[PayerPolicy] | None = None,
    ) -> None:
        if not 0 <= base_denial_rate <= 1 or not 0 <= deductible_rate <= 1:
            raise ValueError("base_denial_rate and deductible_rate must be in [0, 1]")
        if not 0 < allowed_ratio[0] <= allowed_ratio[1] <= 1:
            raise ValueError(f"allowed_ratio {allowed_ratio} must satisfy 0 < low <= high <= 1")
        self.rules = rules or RuleSet(icd=True, em=False, hcc=False, cdi=False)
        self.seed = seed
        self.base_denial_rate = base_denial_rate
        self.allowed_ratio = allowed_ratio
        self.coinsurance = Decimal(coinsurance)
        self.copay = Decimal(copay)
        self.deductible = Decimal(deductible)
        self.deductible_rate = deductible_rate
        self.policies = tuple(load_payer_policies() if policies is None else policies)

    def adjudicate(
        self, claim: Claim, *, findings: Sequence[Finding] | None = None, service_date: date
    ) -> ClaimPayment:
        """The payment for ``claim``: ``findings`` if given, else the rules' findings, decide denials."""
        rng = _rng(self.seed, claim.claim_id)
        admin = rng.random() < self.base_denial_rate
        carcs = list(ADMIN_CARCS)
        admin_carc = rng.choices(carcs, weights=[ADMIN_CARCS[c][0] for c in carcs])[0]
        ratio = Decimal(str(round(rng.uniform(*self.allowed_ratio), 4)))
        deductible_left = self.deductible if rng.random() < self.deductible_rate else ZERO
        if admin:
            rarc = ADMIN_CARCS[admin_carc][1]
            lines = tuple(
                self._remit(ln, [Adjustment("CO", admin_carc, ln.charge)], ZERO, (rarc,) if rarc else ())
                for ln in claim.lines
            )
            return self._payment(claim, "4", lines)
        if findings is None:
            findings = validate(claim_encounter(claim, service_date), rules=self.rules)
        denials = line_denials(claim, findings)
        age = patient_age(claim, service_date)
        for i, ln in enumerate(claim.lines):
            draw = rng.random()  # one draw per line whether or not a policy applies: outcomes stay stable
            policy = next(
                (p for p in self.policies if p.applies(claim.payer.payer_id, ln.procedure, age)), None
            )
            if policy is not None and i not in denials and draw < policy.probability:
                denials[i] = _Denial(policy.carc, policy.rarc)
        out: list[RemitLine] = []
        for i, ln in enumerate(claim.lines):
            d = denials.get(i)
            adjs: list[Adjustment] = []
            payable = ln.charge
            if d is not None:
                denied_amt = ln.charge if d.units is None else _q(ln.charge * d.units / ln.units)
                adjs.append(Adjustment("CO", d.carc, denied_amt, d.units))
                payable = ln.charge - denied_amt
            remarks = (d.rarc,) if d is not None and d.rarc else ()
            if payable == 0:
                out.append(self._remit(ln, adjs, ZERO, remarks))
                continue
            allowed = _q(payable * ratio)
            ded = min(deductible_left, allowed)
            deductible_left -= ded
            copay = min(self.copay, allowed - ded) if ln.procedure in _EM_COPAY else ZERO
            coins = ZERO if copay else _q((allowed - ded) * self.coinsurance)
            paid = allowed - ded - copay - coins
            adjs.append(Adjustment("CO", "45", payable - allowed))
            adjs += [Adjustment("PR", r, a) for r, a in (("1", ded), ("2", coins), ("3", copay)) if a > 0]
            out.append(self._remit(ln, [a for a in adjs if a.amount != 0], paid, remarks))
        all_denied = bool(out) and all(r.paid == 0 and any(_is_denial(a) for a in r.adjustments) for r in out)
        return self._payment(claim, "4" if all_denied else "1", tuple(out))

    @staticmethod
    def _remit(ln, adjs: list[Adjustment], paid: Decimal, remarks: tuple[str, ...]) -> RemitLine:
        return RemitLine(
            procedure=ln.procedure,
            charge=ln.charge,
            paid=paid,
            modifiers=ln.modifiers,
            units=ln.units,
            service_date=ln.service_date,
            adjustments=tuple(adjs),
            remarks=remarks,
            line_control=ln.line_control,
        )

    @staticmethod
    def _payment(claim: Claim, status: str, lines: tuple[RemitLine, ...]) -> ClaimPayment:
        paid = sum((r.paid for r in lines), ZERO)
        patient = sum((a.amount for r in lines for a in r.adjustments if a.group == "PR"), ZERO)
        return ClaimPayment(
            claim_id=claim.claim_id,
            status=status,
            charge=claim.line_charge_total,
            paid=paid,
            patient_responsibility=patient,
            payer_claim_id="SIM" + hashlib.sha256(claim.claim_id.encode()).hexdigest()[:12].upper(),
            lines=lines,
        )


def _service_date(claim: Claim) -> date:
    day = claim.statement_from or next((ln.service_date for ln in claim.lines if ln.service_date), None)
    if day is None:
        raise ValueError(f"claim {claim.claim_id!r} has no statement date or line service date")
    return day


def simulate_histories(
    claims: Iterable[Claim], *, seed: int, simulator: PayerSimulator | None = None
) -> list[HistoryRecord]:
    """History records for ``claims`` paid by ``simulator`` (default: ``PayerSimulator(seed=seed)``)."""
    sim = simulator or PayerSimulator(seed=seed)
    out: list[HistoryRecord] = []
    for claim in claims:
        day = _service_date(claim)
        pay = sim.adjudicate(claim, service_date=day)
        person = claim.patient or claim.subscriber
        key = patient_key("claim", person.member_id, person.last_name, person.first_name)
        out.append(
            HistoryRecord(
                claim=claim,
                payment=pay,
                service_date=day,
                payer_name=claim.payer.name,
                payer_id=claim.payer.payer_id,
                patient_key=key,
                simulated_denial=any(_is_denial(a) for r in pay.lines for a in r.adjustments),
                source="simulator",
            )
        )
    return sorted(out, key=lambda r: (r.service_date, r.claim.claim_id))
