"""Chart readiness: is a parsed document fit to be coded now?

Checks (each failure is a ``ReadinessFinding`` with its reason):
- ``status``: the document is final/amended or legally signed; preliminary, superseded and
  entered-in-error documents are not coded. Unknown status with no signature info is a warning.
- ``narrative``: at least ``min_chars`` characters and ``min_words`` words of text.
- ``sections``: the sections a document type must have (any one name of each group).
- ``patient`` / ``encounter``: the document was matched to a patient (with demographics) and to
  an encounter.
- ``ocr``: every OCR'd page reached ``min_ocr_confidence``.
- ``recovered``: repairs the parser made (warning only).

A finding of severity ``error`` holds the document back from coding; warnings are reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from medcoder.ingest.model import BatchReport, IngestedDocument, ReadinessFinding, Rejection

# doc_type -> groups of acceptable section names; each group must be present.
EXPECTED_SECTIONS: dict[str, tuple[frozenset[str], ...]] = {
    "discharge_summary": (frozenset({"hospital_course"}), frozenset({"discharge_diagnosis", "diagnoses"})),
    "history_and_physical": (
        frozenset({"history_of_present_illness", "chief_complaint"}),
        frozenset({"assessment", "assessment_and_plan", "plan"}),
    ),
    "progress_note": (frozenset({"assessment", "assessment_and_plan", "subjective", "objective"}),),
    "consultation_note": (
        frozenset({"history_of_present_illness", "reason_for_referral", "reason_for_visit"}),
        frozenset({"assessment", "assessment_and_plan", "plan"}),
    ),
    "operative_note": (
        frozenset({"procedure_description", "procedures", "planned_procedure"}),
        frozenset({"postprocedure_diagnosis", "preoperative_diagnosis", "diagnoses"}),
    ),
    "procedure_note": (frozenset({"procedure_description", "procedures", "planned_procedure"}),),
}


@dataclass(frozen=True)
class ReadinessPolicy:
    """Thresholds for readiness; the defaults suit typed clinical notes."""

    min_chars: int = 100
    min_words: int = 15
    min_ocr_confidence: float = 70.0
    require_patient: bool = True
    require_encounter: bool = True
    expected_sections: dict[str, tuple[frozenset[str], ...]] = field(
        default_factory=lambda: dict(EXPECTED_SECTIONS)
    )


def check_readiness(
    item: IngestedDocument, policy: ReadinessPolicy | None = None
) -> tuple[ReadinessFinding, ...]:
    """Every readiness finding for one document (empty tuple = ready, no warnings)."""
    p = policy or ReadinessPolicy()
    doc = item.document
    out: list[ReadinessFinding] = []
    if item.status in {"preliminary", "superseded", "entered-in-error"}:
        out.append(ReadinessFinding("status", "error", f"document status is {item.status}, not final"))
    elif item.signed is False and item.status not in {"final", "amended"}:
        out.append(
            ReadinessFinding(
                "status", "error", "document is not signed (no legal authenticator / final status)"
            )
        )
    elif item.status is None and item.signed is None:
        out.append(ReadinessFinding("status", "warning", "no final/signed status recorded by the source"))
    n_chars, n_words = len(doc.text.strip()), len(doc.text.split())
    if n_chars < p.min_chars or n_words < p.min_words:
        out.append(ReadinessFinding("narrative", "error",
                                    f"narrative too short: {n_chars} chars / {n_words} words (need {p.min_chars} / {p.min_words})"))  # fmt: skip
    names = {s.name for s in doc.sections}
    for group in p.expected_sections.get(doc.doc_type, ()):
        if not names & group:
            out.append(
                ReadinessFinding("sections", "error", f"{doc.doc_type} lacks a section among {sorted(group)}")
            )
    if p.require_patient and not item.patient_matched:
        out.append(
            ReadinessFinding("patient", "error", "document is not matched to a patient with demographics")
        )
    if p.require_encounter and not item.encounter_matched:
        out.append(ReadinessFinding("encounter", "error", "document is not matched to an encounter"))
    for page, conf in enumerate(item.ocr_confidence):
        if conf < p.min_ocr_confidence:
            out.append(ReadinessFinding("ocr", "error",
                                        f"OCR page {page + 1} confidence {conf:.0f} < {p.min_ocr_confidence:.0f}"))  # fmt: skip
    for repair in item.recovered:
        out.append(ReadinessFinding("recovered", "warning", repair))
    return tuple(out)


def triage(
    items: Iterable[IngestedDocument | Rejection], policy: ReadinessPolicy | None = None
) -> BatchReport:
    """Sort parse results into ready, held back (with findings) and rejected."""
    report = BatchReport()
    for item in items:
        if isinstance(item, Rejection):
            report.rejected.append(item)
            continue
        findings = check_readiness(item, policy)
        if any(f.severity == "error" for f in findings):
            report.held.append((item, findings))
        else:
            report.ready.append(item)
    return report
