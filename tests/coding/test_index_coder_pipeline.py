"""The default coder (index candidates + reranker) through the one coding pipeline.

Trains the index coder once per session on CodiEsp train + the committed realistic dev notes
(about 20 s) and codes the README's sample note: exactly the codes a coder assigns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medcoder.coding.context import EncounterContext, document_from_text
from medcoder.coding.pipeline import CodingPipeline
from medcoder.coding.result import Assertion
from medcoder.models.index_coder import IndexCoder
from medcoder.paths import REPO_ROOT

from ..conftest import require_shared

# Coded by hand (Official Guidelines FY2026, outpatient): diabetes "with" CKD presumed (E11.22) plus
# the stage (N18.31); hypertension with CKD is I12.9, not I10 (I.C.9.a.2); hyperlipidemia E78.5;
# metformin on the medication list and plan -> Z79.84. Not coded: fatigue (HPI only), the negated
# chest pain / shortness of breath / fever, family history, "rule out" retinopathy (IV.H).
# Coded by the annotation guide (docs/annotation_guide.md): family history is coded when documented.
SAMPLE_GOLD = {"E11.22", "N18.31", "I12.9", "E78.5", "Z79.84", "Z80.3", "Z82.49"}


@pytest.fixture(scope="session")
def index_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared("codiesp")
    require_shared("icd10cm_index")
    require_shared("mtsamples")
    from medcoder.training.index_coder import train_index_coder

    out = tmp_path_factory.mktemp("index_coder")
    train_index_coder(out)
    return out


@pytest.fixture(scope="session")
def index_pipeline(index_model: Path) -> CodingPipeline:
    return CodingPipeline.from_model_dir(index_model)


def sample_note() -> str:
    return (REPO_ROOT / "configs/demo/sample_note.txt").read_text(encoding="utf-8")


def test_readme_sample_note_gets_exactly_the_coders_codes(index_pipeline: CodingPipeline) -> None:
    result = index_pipeline.code_note(sample_note(), date_of_service="2026-03-16")
    assert {s.code for s in result.suggestions} == SAMPLE_GOLD
    assert result.versions.evidence_method == "index-mention"


def test_every_code_has_affirmed_evidence_in_the_note(index_pipeline: CodingPipeline) -> None:
    text = sample_note()
    result = index_pipeline.code_note(text, date_of_service="2026-03-16")
    for s in result.suggestions:
        assert s.evidence, s.code
        assert s.assertion in (Assertion.AFFIRMED, Assertion.UNKNOWN), (s.code, s.assertion)
        for e in s.evidence:
            assert text[e.start : e.end] == e.text


def test_save_load_round_trip_scores_the_same(index_model: Path) -> None:
    a, b = IndexCoder.load(index_model), IndexCoder.load(index_model)
    text = sample_note()
    assert [(p.code, p.probability) for p in a.score(text)] == [
        (p.code, p.probability) for p in b.score(text)
    ]


@pytest.mark.parametrize("text", ["", "   \n", "\x00\x01binary\xff" * 10, "word " * 200_000])
def test_odd_input_codes_without_crashing(index_pipeline: CodingPipeline, text: str) -> None:
    result = index_pipeline.code(document_from_text(text or " "), EncounterContext())
    assert result.document_id


def test_uncertified_model_sends_the_sample_note_to_review(index_pipeline: CodingPipeline) -> None:
    result = index_pipeline.code_note(sample_note(), date_of_service="2026-03-16")
    assert result.route.decision.value == "review"
    assert "no chart-level certification" in result.route.reasons[0]


def test_chart_certification_end_to_end(index_model: Path, tmp_path: Path) -> None:
    """Certify on small realistic splits: the certificate is saved, loaded and used, and says why."""
    import shutil

    from medcoder.coding.chart_certify import certify_model, code_charts, render_model_card, write_report
    from medcoder.models.index_bundle import IndexBundle
    from medcoder.training.index_coder import realistic_notes, realistic_part

    model = tmp_path / "model"
    shutil.copytree(index_model, model)
    notes = realistic_notes("dev")
    fit = [n.document() for n in notes if realistic_part(n.note_id) == "fit"][:16]
    cal = [n.document() for n in notes if realistic_part(n.note_id) == "tune"][:16]
    cert, fitted, _ = certify_model(model, fit, cal, fit_set="fit16", calibration_set="tune16")
    assert fitted.features.shape == (16, 13) and fitted.exact is not None
    # 16 charts can never certify 95% at delta 0.05 (0.95 ** 16 > 0.05): nothing is auto
    assert not cert.certified and cert.summary["calibration_charts"] == 16
    bundle = IndexBundle.load(model)
    assert bundle.chart_routing is not None and bundle.chart_routing.calibration_set == "tune16"
    pipe = CodingPipeline.from_model_dir(model)
    result = pipe.code_note(sample_note(), date_of_service="2026-03-16")
    assert result.route.decision.value == "review"
    assert any("no threshold certified on tune16" in r for r in result.route.reasons)
    coded = code_charts(bundle, cal, "tune16", cert)
    report = write_report(cert, [coded], tmp_path / "report")
    assert report["splits"]["tune16"]["auto_share"] == 0.0 and report["splits"]["tune16"]["charts"] == 16
    card = render_model_card(model, report)
    assert "calibration set: tune16" in card and "nothing certified" in card
