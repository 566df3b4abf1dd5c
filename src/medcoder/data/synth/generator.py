"""Generate the seeded synthetic corpus: documents with gold labels, and the truth behind them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.data.records import CodeLabel, CodeSystem, Document, Patient, Setting, Span
from medcoder.data.synth.catalog import Catalog, CodeSpec, load_catalog, tabular_synonyms
from medcoder.data.synth.config import DOC_TYPES, SynthConfig
from medcoder.data.synth.notes import _top, write_consult, write_ed, write_office
from medcoder.data.synth.notes_hospital import write_discharge, write_procedure
from medcoder.data.synth.selection import Case, Sampler, choose_case
from medcoder.data.synth.writer import Mention, NoteWriter

log = logging.getLogger(__name__)

SOURCE = "synthetic"
# Simplifications a data card should state (beyond "template language is not real documentation").
KNOWN_LIMITS = (
    "Family-history (Z80-Z84) and personal-history (Z85-Z87, except Z87.891 former smoker) codes are "
    "left out of the default code set, so family-history and resolved-history mentions are never codable.",
    "No external-cause codes (V00-Y99) for injuries; no Z codes for social determinants of health.",
    "Uncertain diagnoses follow the outpatient/professional rule (not coded) in every note; discharge "
    "summaries state ruled-out conditions as negated instead of 'probable'.",
    "Routine prenatal visits carry no E/M code (global obstetric package); procedure notes carry only the "
    "procedure code (no E/M with modifier 25).",
    "E/M levels come from a simplified MDM (number and kind of problems); office time statements always "
    "agree with the MDM level.",
)
_SETTING = {"op": Setting.OUTPATIENT, "ed": Setting.EMERGENCY, "ip": Setting.INPATIENT}


@dataclass(frozen=True, slots=True)
class NoteTruth:
    """Every mention written into one document, coded or not.

    ``mentions`` with assertion ``present`` are the label evidence; the others (negated, family,
    historical, hypothetical) name codes that must not be assigned to the document.
    """

    doc_id: str
    mentions: tuple[Mention, ...]

    def distractor_codes(self) -> tuple[str, ...]:
        """Codes mentioned only in non-codable ways, in order of appearance."""
        seen: dict[str, None] = {}
        for m in self.mentions:
            if m.assertion != "present":
                seen.setdefault(m.code, None)
        return tuple(seen)


def generate_corpus(n: int, seed: int, config: SynthConfig | None = None) -> list[Document]:
    """``n`` synthetic clinical notes with gold ICD-10-CM, CPT and HCPCS labels and evidence spans.

    Same ``n`` and ``seed`` give identical documents; document ``i`` depends only on ``seed`` and
    ``i``, so a longer corpus extends a shorter one.
    """
    return generate_corpus_with_truth(n, seed, config)[0]


def generate_corpus_with_truth(
    n: int, seed: int, config: SynthConfig | None = None
) -> tuple[list[Document], list[NoteTruth]]:
    """Like :func:`generate_corpus`, plus every mention (present and distractor) of each document."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    cfg = config or SynthConfig()
    catalog = load_catalog(cfg.catalog_path)
    if cfg.codes is not None:
        catalog = catalog.restrict(cfg.codes)
    sampler = Sampler(catalog, cfg.zipf_exponent)
    types = [t for t in DOC_TYPES if cfg.doc_type_mix.get(t, 0) > 0]
    weights = [cfg.doc_type_mix[t] for t in types]
    docs: list[Document] = []
    truths: list[NoteTruth] = []
    for i in range(n):
        rng = random.Random(f"medcoder-synth:{seed}:{i}")
        doc_id = f"{cfg.id_prefix}-{seed}-{i:06d}"
        doc, truth = _one(rng, doc_id, sampler, cfg, types, weights)
        docs.append(doc)
        truths.append(truth)
    log.info(
        "generated %d synthetic documents (seed %d, %d codes in the code set)", n, seed, len(catalog.specs)
    )
    return docs, truths


def _one(
    rng: random.Random,
    doc_id: str,
    sampler: Sampler,
    cfg: SynthConfig,
    types: Sequence[str],
    weights: Sequence[float],
) -> tuple[Document, NoteTruth]:
    case: Case | None = None
    for _ in range(50):
        doc_type = rng.choices(types, weights=weights)[0]
        case = choose_case(rng, sampler, doc_type, cfg.max_extra_codes, cfg.distractors)
        if case is not None:
            break
    if case is None:
        raise ValueError(
            "the code set offers no code for any requested document type; widen codes or doc_type_mix"
        )
    _finish_case(rng, sampler.catalog, case)
    span_days = (cfg.end_date - cfg.start_date).days
    date = cfg.start_date + dt.timedelta(days=rng.randint(0, span_days))
    payer = _payer(rng, case)
    medicare = payer.startswith("Medicare")
    w = NoteWriter()
    _top(w, rng, case, doc_id, date, payer)
    if case.doc_type == "progress_note":
        write_office(w, rng, case, medicare, cfg.time_statement_rate)
    elif case.doc_type == "ed_note":
        write_ed(w, rng, case)
    elif case.doc_type == "consult":
        write_consult(w, rng, case)
    elif case.doc_type == "discharge_summary":
        write_discharge(w, rng, case, los=rng.randint(2, 7))
    else:
        write_procedure(w, rng, case, medicare)
    text, sections = w.finish()
    labels = _labels(w.mentions)
    missing = {c.code for c in case.codes} - {lab.code for lab in labels}
    if missing:  # a layout forgot a code: fail loudly rather than ship a label without evidence
        raise AssertionError(f"{doc_id}: codes without a mention: {sorted(missing)}")
    doc = Document(
        id=doc_id,
        text=text,
        doc_type=case.doc_type,
        setting=_SETTING[case.setting],
        patient=Patient(age=case.age, sex=case.sex),
        encounter_date=date,
        payer=payer,
        sections=sections,
        source=SOURCE,
        source_id=doc_id,
        language="en",
        labels=labels,
    )
    return doc, NoteTruth(doc_id, tuple(w.mentions))


def _finish_case(rng: random.Random, catalog: Catalog, case: Case) -> None:
    """Add the codes that follow from earlier choices: gestational weeks (Z3A), colonoscopy findings."""
    if case.weeks is not None:
        weeks, days = case.weeks
        code = f"Z3A.{weeks:02d}"
        desc, *syn = tabular_synonyms(code)
        case.codes.append(
            CodeSpec(
                code=code,
                kind="status",
                system="ob",
                weight=1.0,
                group="z3a",
                pool="z3a",
                mentions=(
                    f"{weeks} weeks {days} days gestation",
                    f"{weeks}w{days}d",
                    f"{weeks} weeks gestation",
                ),
                synonyms=(),
                description=desc,
            )
        )
    if case.procedure is not None and case.procedure.name == "colonoscopy" and rng.random() < 0.3:
        finding = catalog.by_code.get("K57.30")
        if finding is not None and finding.fits(case.age, case.sex):
            case.codes.append(dataclasses.replace(finding))


def _labels(mentions: Sequence[Mention]) -> tuple[CodeLabel, ...]:
    """One label per (system, code) with a present mention, spans in text order, ICD-10-CM first."""
    spans: dict[tuple[CodeSystem, str], list[Span]] = {}
    for m in mentions:
        if m.assertion == "present":
            spans.setdefault((m.system, m.code), []).append(m.span)
    order = sorted(spans, key=lambda k: (k[0] != CodeSystem.ICD10CM, spans[k][0].start))
    return tuple(CodeLabel(system=s, code=c, spans=tuple(spans[(s, c)])) for s, c in order)


def _payer(rng: random.Random, case: Case) -> str:
    if case.age >= 65:
        options, weights = ("Medicare", "Medicare Advantage", "Commercial"), (0.65, 0.3, 0.05)
    elif case.age < 18:
        options, weights = ("Medicaid", "Commercial", "Self-pay"), (0.45, 0.5, 0.05)
    else:
        options, weights = ("Commercial", "Medicaid", "Self-pay", "Medicare"), (0.65, 0.2, 0.1, 0.05)
    return rng.choices(options, weights=weights)[0]
