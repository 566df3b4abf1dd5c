"""The rules engine: ``validate(encounter, rules=RuleSet) -> list[Finding]``.

Runs, in order: ICD-10-CM conventions, NCCI (PTP, MUE, add-on), medical necessity and payer
packs, E/M leveling, CMS-HCC V28 with recapture, and CDI query drafts. Every rule is evaluated
against the encounter's date of service; rule data whose validity window does not cover that
date produce a warning so the coder knows which edition was applied.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from medcoder.rules.cdi import check_cdi
from medcoder.rules.em import check_em
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Finding, Severity, sort_findings
from medcoder.rules.hcc import check_hcc
from medcoder.rules.icd_conventions import check_icd10cm
from medcoder.rules.ncci.checks import check_ncci
from medcoder.rules.ncci.records import NcciTables
from medcoder.rules.ncci.store import quarter_of
from medcoder.rules.packs import Pack, check_packs, load_pack, load_packaged_pack, packaged_packs
from medcoder.rules.resources import load_data

log = logging.getLogger(__name__)
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
DATED_DATA = ("em_2021.yaml", "ncci_modifiers.yaml", "cdi_queries.yaml", "icd10cm_conventions.yaml")


@dataclass
class RuleSet:
    """Which rule families run and with what data. ``RuleSet()`` runs everything that needs no extra files."""

    icd: bool = True
    ncci: NcciTables | None = None
    packs: list[Pack] = field(default_factory=list)
    em: bool = True
    hcc: bool = True
    cdi: bool = True

    @classmethod
    def default(
        cls, *, pack_files: list[str | Path] = (), example_packs: bool = False, ncci: NcciTables | None = None
    ) -> RuleSet:
        """Built-in rules plus the given pack files (and the shipped EXAMPLE packs when asked)."""
        packs = [load_pack(p) for p in pack_files]
        if example_packs:
            packs += [load_packaged_pack(n) for n in packaged_packs()]
        return cls(ncci=ncci, packs=packs)

    def versions(self) -> dict[str, str]:
        """Rule-pack and data versions used, for the audit trail and CodingResult."""
        out = {load_data(n)[0].id: load_data(n)[0].version for n in DATED_DATA}
        if self.ncci is not None:
            out["ncci"] = self.ncci.version
        for p in self.packs:
            out[p.pack.id] = p.pack.version
        return out


def _data_windows(day: dt.date) -> list[Finding]:
    out = []
    for name in DATED_DATA:
        meta = load_data(name)[0]
        if not meta.covers(day):
            out.append(
                Finding(
                    rule_id="RULES.DATA_NOT_EFFECTIVE",
                    severity=Severity.WARNING,
                    codes=(),
                    source=meta.source,
                    version=meta.version,
                    message=f"Rule data '{meta.id}' ({meta.version}) is effective {meta.effective_from} to "
                    f"{meta.effective_to or 'open'}; the date of service {day} is outside it, so results may not "
                    "reflect the rules in force on that date.",
                    suggested_fix="Load the rule edition effective on the date of service.",
                )
            )
    return out


def _ncci_window(tables: NcciTables, day: dt.date) -> list[Finding]:
    if not _QUARTER.match(tables.version) or tables.version == quarter_of(day):
        return []
    return [
        Finding(
            rule_id="NCCI.QUARTER_MISMATCH",
            severity=Severity.WARNING,
            codes=(),
            source="NCCI",
            version=tables.version,
            message=f"NCCI tables {tables.version} were applied to a date of service in {quarter_of(day)}.",
            suggested_fix=f"Import the {quarter_of(day)} NCCI files into the store.",
        )
    ]


def validate(encounter: Encounter, *, rules: RuleSet | None = None) -> list[Finding]:
    """All findings for one encounter, errors first. Pure: reads only packaged data and ``rules``."""
    rules = rules or RuleSet()
    day = encounter.date_of_service
    findings = _data_windows(day)
    if rules.icd:
        findings += check_icd10cm(encounter)
    if rules.ncci is not None:
        findings += _ncci_window(rules.ncci, day) + check_ncci(encounter, rules.ncci)
    if rules.packs:
        findings += check_packs(encounter, rules.packs)
    if rules.em:
        findings += check_em(encounter)
    if rules.hcc:
        findings += check_hcc(encounter)
    if rules.cdi:
        findings += check_cdi(encounter)
    log.debug("encounter %s: %d findings", encounter.id, len(findings))
    return sort_findings(findings)
