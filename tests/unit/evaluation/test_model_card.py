"""The model card renders the figures it is given, including calibration and routing."""

from __future__ import annotations

from medcoder.evaluation.model_eval import render_model_card

REPORT = {
    "model": {"model_name": "medcoder-laat", "model_version": 3, "created": "2026-11-28T08:00:00+00:00"},
    "code_sets": {"ICD-10-CM": "2026-04-01"},
    "n_labels": 298,
    "n_documents": 272,
    "inference_docs_per_s": 25.5,
    "test": {"map_official": 0.675, "at_global_threshold": {"micro_f1": 0.627, "n_docs": 272}},
}
ROUTING = {
    "calibration_before": {"ece": 0.002, "brier": 0.005, "ece_candidates": 0.061, "brier_candidates": 0.128},
    "calibration_after": {"ece": 0.001, "brier": 0.004, "ece_candidates": 0.026, "brier_candidates": 0.079},
    "target_precision": 0.95,
    "auto_precision": 0.983,
}


def test_card_lists_test_figures_and_versions() -> None:
    card = render_model_card(REPORT, data_card="data_cards/synthetic.md")
    assert card.startswith("# Model card: medcoder-laat (version 3)")
    assert "| map_official | 0.675 |" in card
    assert "| at_global_threshold.micro_f1 | 0.627 |" in card
    assert "- ICD-10-CM: 2026-04-01" in card
    assert "Calibration and routing" not in card
    assert card.rstrip().endswith("Data card: `data_cards/synthetic.md`.")


def test_card_shows_calibration_before_and_after_and_routing() -> None:
    card = render_model_card(REPORT, routing=ROUTING, routing_figures="eval/out/route_report")
    assert "| before | 0.002 | 0.005 | 0.061 | 0.128 |" in card
    assert "| after | 0.001 | 0.004 | 0.026 | 0.079 |" in card
    assert "- auto_precision: 0.983" in card
    assert "`eval/out/route_report/reliability.png`" in card
