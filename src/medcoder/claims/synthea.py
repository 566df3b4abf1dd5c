"""Claim histories from Synthea FHIR R4 bundles (Claim + ExplanationOfBenefit per encounter).

Synthea codes services in SNOMED CT and CVX; ``data/synthea_map.csv`` maps the codes that occur in
the shared bundles to CPT/HCPCS and ICD-10-CM (approximations for test histories, not a crosswalk to
bill with; see ``data/SYNTHEA_CARD.md``). Items without a mapping are dropped and counted, never
guessed. Each EOB item's adjudication gives the line: submitted charge, allowed, provider payment,
deductible (PR-1) and coinsurance (PR-2); the charge not allowed is CO-45. Amounts are quantized to
cents and any rounding remainder goes to CO-45, so every line and claim balances exactly.

Synthea does not price the encounter item (its E/M line) or vaccine administration, so those lines
carry 0.00. Pharmacy claims (no EOB) are skipped.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from medcoder.claims.history import HistoryRecord, patient_key
from medcoder.claims.records import (
    ZERO,
    Adjustment,
    Claim,
    ClaimKind,
    ClaimPayment,
    Payer,
    Person,
    Provider,
    RemitLine,
    ServiceLine,
)
from medcoder.errors import InputFormatError

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
_SYSTEMS = {"http://snomed.info/sct": "sct", "http://hl7.org/fhir/sid/cvx": "cvx"}
_ADJ = "https://bluebutton.cms.gov/resources/variables/"
_INJECT_FIRST, _INJECT_MORE, _ORAL_FIRST, _ORAL_MORE = "90471", "90472", "90473", "90474"


@dataclass(frozen=True)
class MapRow:
    """One row of ``synthea_map.csv``: a source code, its target and the age band it applies to."""

    system: str
    code: str
    target_system: str
    target_code: str
    age_from_days: int | None
    age_to_days: int | None
    age_from_years: int | None
    age_to_years: int | None

    def applies(self, days: int | None, years: int | None) -> bool:
        """Whether the row covers a patient of this age (bounds: from inclusive, to exclusive)."""
        checks = [
            (self.age_from_days, days, True),
            (self.age_to_days, days, False),
            (self.age_from_years, years, True),
            (self.age_to_years, years, False),
        ]
        for bound, age, lower in checks:
            if bound is None:
                continue
            if age is None or (age < bound if lower else age >= bound):
                return False
        return True


def _age_bound(text: str, where: str) -> tuple[int | None, int | None]:
    text = text.strip()
    if not text:
        return None, None
    if text[-1] in "dy" and text[:-1].isdigit():
        n = int(text[:-1])
        return (n, None) if text[-1] == "d" else (None, n)
    raise InputFormatError(f"age bound {text!r} is not like '8d' or '18y'", path=where)


@functools.cache
def load_map() -> dict[tuple[str, str], tuple[MapRow, ...]]:
    """The packaged map, keyed by (system, code); read on first use."""
    ref = resources.files("medcoder.claims") / "data" / "synthea_map.csv"
    out: dict[tuple[str, str], list[MapRow]] = {}
    with ref.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            fd, fy = _age_bound(row["age_from"], str(ref))
            td, ty = _age_bound(row["age_to"], str(ref))
            key = (row["system"], row["code"])
            out.setdefault(key, []).append(
                MapRow(key[0], key[1], row["target_system"], row["target_code"], fd, td, fy, ty)
            )
    return {k: tuple(v) for k, v in out.items()}


def load_bundle(path: str | Path) -> dict[str, Any]:
    """Read one Synthea bundle (``.json`` or ``.json.gz``); a bad file raises InputFormatError naming it."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8") as fh:
            bundle = json.load(fh)
    except FileNotFoundError as e:
        raise InputFormatError("file not found", path=p) from e
    except (json.JSONDecodeError, OSError, EOFError) as e:
        raise InputFormatError(f"not a JSON bundle: {e}", path=p) from e
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InputFormatError("not a FHIR Bundle (resourceType is not 'Bundle')", path=p)
    return bundle


def money(value: object) -> Decimal:
    """A FHIR money value (float in the JSON) as Decimal cents, half-up."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _age(birth: date | None, day: date) -> tuple[int | None, int | None]:
    if birth is None:
        return None, None
    years = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return (day - birth).days, years


def _coding(item: dict[str, Any]) -> tuple[str, str]:
    c = item["productOrService"]["coding"][0]
    return _SYSTEMS.get(c.get("system", ""), c.get("system", "")), str(c.get("code", ""))


def _targets(key: tuple[str, str], age: tuple[int | None, int | None], system: str) -> list[str]:
    rows = load_map().get(key, ())
    return [r.target_code for r in rows if r.target_system == system and r.applies(*age)]


def _adjudicated_line(
    item: dict[str, Any], number: int, procedure: str, day: date
) -> tuple[ServiceLine, RemitLine]:
    amounts = {
        a["category"]["coding"][0]["code"].removeprefix(_ADJ): money(a["amount"]["value"])
        for a in item.get("adjudication", [])
        if "amount" in a
    }
    charge = amounts.get("line_sbmtd_chrg_amt", money(item.get("net", {}).get("value", 0)))
    paid = amounts.get("line_prvdr_pmt_amt", ZERO)
    patient = [
        ("1", amounts.get("line_bene_ptb_ddctbl_amt", ZERO)),
        ("2", amounts.get("line_coinsrnc_amt", ZERO)),
    ]
    contractual = charge - paid - sum((amt for _, amt in patient), ZERO)
    if contractual < 0:  # rounding made the patient share a cent too big: take it off coinsurance
        patient[1] = ("2", patient[1][1] + contractual)
        contractual = ZERO
    adjs = [Adjustment("PR", r, amt) for r, amt in patient if amt != 0]
    if contractual != 0:
        adjs.insert(0, Adjustment("CO", "45", contractual))
    line = ServiceLine(line_number=number, procedure=procedure, charge=charge, service_date=day)
    return line, RemitLine(
        procedure=procedure, charge=charge, paid=paid, service_date=day, adjustments=tuple(adjs)
    )


def _zero_line(number: int, procedure: str, day: date, units: int = 1) -> tuple[ServiceLine, RemitLine]:
    u = Decimal(units)
    line = ServiceLine(line_number=number, procedure=procedure, charge=ZERO, units=u, service_date=day)
    return line, RemitLine(procedure=procedure, charge=ZERO, paid=ZERO, units=u, service_date=day)


def _admin_lines(injected: int, oral: int) -> list[tuple[str, int]]:
    """Vaccine administration codes: the first injection 90471, more 90472; oral 90473/90474."""
    out: list[tuple[str, int]] = []
    if injected:
        out.append((_INJECT_FIRST, 1))
        if injected > 1:
            out.append((_INJECT_MORE, injected - 1))
        if oral:
            out.append((_ORAL_MORE, oral))
    elif oral:
        out.append((_ORAL_FIRST, 1))
        if oral > 1:
            out.append((_ORAL_MORE, oral - 1))
    return out


def _claim_record(
    eob: dict[str, Any],
    claim: dict[str, Any],
    res: dict[str, dict[str, Any]],
    person: Person,
    pkey: str,
    payer_default: str,
    unmapped: Counter,
) -> HistoryRecord | None:
    day = _day(claim["billablePeriod"]["start"])
    age = _age(person.birth_date, day)
    dx: list[str] = []
    pairs: list[tuple[ServiceLine, RemitLine]] = []
    injected = oral = dropped = 0
    vaccines: set[str] = set()
    for d in claim.get("diagnosis", []):
        cond = res.get(d.get("diagnosisReference", {}).get("reference", ""))
        code = cond["code"]["coding"][0] if cond else {}
        key = (_SYSTEMS.get(code.get("system", ""), ""), str(code.get("code", "")))
        hits = _targets(key, age, "ICD-10-CM")
        if not hits:
            unmapped[key] += 1
            dropped += 1
        dx += hits
    for item in eob.get("item", []):
        key = _coding(item)
        if "diagnosisSequence" in item:
            continue  # condition items are the claim's diagnoses, read above
        procs = _targets(key, age, "CPT")
        reason = _targets(key, age, "ICD-10-CM")
        if "encounter" in item:  # the encounter item: E/M line and encounter reason
            dx = reason + dx if reason else dx
            pairs += [_zero_line(len(pairs) + 1, p, day) for p in procs]
            if not procs and not reason:
                unmapped[key] += 1
                dropped += 1
            continue
        if not procs:
            unmapped[key] += 1
            dropped += 1
            continue
        admin = [p for p in procs if p in (_INJECT_FIRST, _ORAL_FIRST)]
        injected += admin.count(_INJECT_FIRST)
        oral += admin.count(_ORAL_FIRST)
        product, *others = [p for p in procs if p not in admin]
        if key[0] == "cvx":
            vaccines.update([product, *others])
        pairs.append(_adjudicated_line(item, len(pairs) + 1, product, day))
        pairs += [_zero_line(len(pairs) + 1, p, day) for p in others]
    if injected or oral:
        dx.append("Z23")
        admin_lines = _admin_lines(injected, oral)
        vaccines.update(code for code, _ in admin_lines)
        pairs += [_zero_line(len(pairs) + 1, code, day, units) for code, units in admin_lines]
    dx = list(dict.fromkeys(dx))
    if vaccines and "Z23" in dx:  # vaccine product and administration lines point to Z23
        z23 = (dx.index("Z23") + 1,)
        pairs = [
            (replace(ln, diagnosis_pointers=z23), r) if ln.procedure in vaccines else (ln, r)
            for ln, r in pairs
        ]
    if not pairs or not dx:
        log.debug(
            "Synthea claim at item count %d skipped: no mapped lines or diagnoses", len(eob.get("item", []))
        )
        return None
    lines = tuple(line for line, _ in pairs)
    remits = tuple(r for _, r in pairs)
    charge = sum((line.charge for line in lines), ZERO)
    paid = sum((r.paid for r in remits), ZERO)
    patient_share = sum((a.amount for r in remits for a in r.adjustments if a.group == "PR"), ZERO)
    payer_name = eob.get("insurer", {}).get("display") or payer_default
    payer = Payer(name=payer_name, payer_id="".join(ch for ch in payer_name.upper() if ch.isalnum())[:15])
    built = Claim(
        claim_id=claim["id"],
        kind=ClaimKind.PROFESSIONAL,
        billing=Provider(name=claim.get("provider", {}).get("display") or "Synthea provider"),
        subscriber=person,
        payer=payer,
        diagnoses=tuple(dx),
        lines=lines,
        total_charge=charge,
        statement_from=day,
        statement_to=day,
        encounter_id=pkey + ":" + day.isoformat(),
    )
    payment = ClaimPayment(
        claim_id=claim["id"],
        status="1",
        charge=charge,
        paid=paid,
        patient_responsibility=patient_share,
        payer_claim_id=eob.get("id", ""),
        lines=remits,
    )
    return HistoryRecord(built, payment, day, payer.name, payer.payer_id, pkey, dropped_items=dropped)


def synthea_history(
    bundle: dict[str, Any], *, payer_default: str = "Synthea payer", unmapped: Counter | None = None
) -> list[HistoryRecord]:
    """The adjudicated professional claims of one patient bundle, sorted by service date.

    ``unmapped`` (if given) is incremented with the (system, code) of every dropped item.
    """
    unmapped = unmapped if unmapped is not None else Counter()
    entries = bundle.get("entry", [])
    res: dict[str, dict[str, Any]] = {}
    for e in entries:
        r = e.get("resource", {})
        res[e.get("fullUrl", "")] = r
        res[f"{r.get('resourceType')}/{r.get('id')}"] = r
    patient = next((r for r in res.values() if r.get("resourceType") == "Patient"), None)
    if patient is None:
        raise InputFormatError("bundle has no Patient resource")
    birth = date.fromisoformat(patient["birthDate"]) if patient.get("birthDate") else None
    sex = {"male": "M", "female": "F"}.get(patient.get("gender", ""), "U")
    pkey = patient_key("synthea", str(patient.get("id", "")))
    person = Person(last_name="PATIENT", member_id=pkey, birth_date=birth, sex=sex)
    claims = {r["id"]: r for r in (e["resource"] for e in entries) if r.get("resourceType") == "Claim"}
    out: list[HistoryRecord] = []
    for eob in (
        e["resource"] for e in entries if e["resource"].get("resourceType") == "ExplanationOfBenefit"
    ):
        ref = eob.get("claim", {}).get("reference", "")
        claim = claims.get(ref.rsplit(":", 1)[-1].rsplit("/", 1)[-1])
        if claim is None:
            log.debug("EOB without its Claim in the bundle: skipped")
            continue
        rec = _claim_record(eob, claim, res, person, pkey, payer_default, unmapped)
        if rec is not None:
            out.append(rec)
    return sorted(out, key=lambda r: (r.service_date, r.claim.claim_id))


def synthea_histories(paths: Iterable[str | Path], *, unmapped: Counter | None = None) -> list[HistoryRecord]:
    """Histories of many bundles, sorted by service date (then claim id, so the order is stable)."""
    unmapped = unmapped if unmapped is not None else Counter()
    out: list[HistoryRecord] = []
    for p in paths:
        out += synthea_history(load_bundle(p), unmapped=unmapped)
    log.info("Synthea: %d claims; %d unmapped items dropped", len(out), sum(unmapped.values()))
    return sorted(out, key=lambda r: (r.service_date, r.claim.claim_id))
