"""Chart readiness findings on hand-built documents."""

from __future__ import annotations

from medcoder.data.records import Document, Section
from medcoder.ingest.model import IngestedDocument, Rejection
from medcoder.ingest.readiness import ReadinessPolicy, check_readiness, triage

TEXT = "History of present illness: three days of productive cough and fever.\n" \
       "Assessment and plan: community acquired pneumonia, start amoxicillin, review in two days."  # fmt: skip
SECTIONS = (Section("history_of_present_illness", 0, 70), Section("assessment_and_plan", 71, len(TEXT)))


def item(**kw: object) -> IngestedDocument:
    doc = Document(id="d", text=kw.pop("text", TEXT), doc_type=kw.pop("doc_type", "history_and_physical"),  # type: ignore[arg-type]
                   sections=kw.pop("sections", SECTIONS))  # type: ignore[arg-type]  # fmt: skip
    base = {"status": "final", "signed": True, "patient_matched": True, "encounter_matched": True}
    return IngestedDocument(doc, **(base | kw))  # type: ignore[arg-type]


def checks(it: IngestedDocument) -> list[tuple[str, str]]:
    return [(f.check, f.severity) for f in check_readiness(it)]


def test_complete_signed_document_is_ready() -> None:
    assert checks(item()) == []


def test_each_failure_is_its_own_finding() -> None:
    assert checks(item(status="preliminary")) == [("status", "error")]
    assert checks(item(status="superseded")) == [("status", "error")]
    assert checks(item(status=None, signed=False)) == [("status", "error")]
    assert checks(item(status=None, signed=None)) == [("status", "warning")]
    assert checks(item(patient_matched=False)) == [("patient", "error")]
    assert checks(item(encounter_matched=False)) == [("encounter", "error")]
    assert checks(item(ocr_confidence=(91.0, 55.0))) == [("ocr", "error")]
    assert checks(item(recovered=("declared undeclared namespace prefix 'xsi:'",))) == [
        ("recovered", "warning")
    ]
    assert checks(item(text="Cough.", sections=())) == [
        ("narrative", "error"),
        ("sections", "error"),
        ("sections", "error"),
    ]


def test_expected_sections_any_of_group() -> None:
    only_hpi = (Section("history_of_present_illness", 0, 70),)
    (f,) = check_readiness(item(sections=only_hpi))
    assert f.check == "sections" and "assessment_and_plan" in f.reason
    assert checks(item(doc_type="note", sections=())) == []  # no expectation for a generic note


def test_policy_thresholds() -> None:
    strict = ReadinessPolicy(min_chars=10_000)
    assert [f.check for f in check_readiness(item(), strict)] == ["narrative"]


def test_triage_accounts_for_everything() -> None:
    rej = Rejection("x.json", "malformed JSON")
    report = triage([item(), item(status="preliminary"), rej])
    assert report.summary() == {"ready": 1, "held": 1, "rejected": 1}
    assert report.held[0][1][0].reason == "document status is preliminary, not final"
