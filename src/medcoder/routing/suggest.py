"""Request path for one chart: calibrated suggestions with evidence and alternatives, and its route.

``ChartRouter.load(model_dir)`` loads the model, calibrators, router and certified policy once;
``ChartRouter.code(doc)`` returns a ``RoutedChart``. The serving layer maps these records onto its
own schemas (``Suggestion``, ``CodingResult.route``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medcoder.data.records import Document, Span
from medcoder.routing.alternatives import Alternative, AlternativeIndex
from medcoder.routing.features import build_batch, counts_vector
from medcoder.routing.policy import ChartInput, CodeCandidate, RouteDecision, route_chart


@dataclass(frozen=True)
class RoutedCode:
    key: str
    description: str
    probability: float  # calibrated
    confidence: float  # what the policy compares with the auto threshold
    evidence: tuple[Span, ...]
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class RoutedChart:
    document_id: str
    codes: tuple[RoutedCode, ...]
    chart_confidence: float
    decision: RouteDecision


class ChartRouter:
    """A model directory calibrated by ``medcoder calibrate``, ready to code and route charts."""

    def __init__(self, trained, calibrators, router, policy, evidence_method: str = "attingrad") -> None:
        self.trained, self.calibrators, self.router, self.policy = trained, calibrators, router, policy
        self.keys = trained.label_space.keys()
        self.counts = counts_vector(self.keys, calibrators.train_counts)
        self.alternatives = AlternativeIndex(self.keys)
        self.evidence_method = evidence_method

    @classmethod
    def load(cls, model_dir: str | Path, evidence_method: str = "attingrad") -> ChartRouter:
        from medcoder.routing.fit import load_routing
        from medcoder.training.model_dir import load_model_dir

        calibrators, router, policy = load_routing(model_dir)
        return cls(load_model_dir(model_dir), calibrators, router, policy, evidence_method)

    def code(
        self,
        doc: Document,
        findings: Sequence[Any] = (),
        specialty: str | None = None,
        top_alternatives: int = 3,
    ) -> RoutedChart:
        """Suggest, explain, and route one document (``findings``: rule findings for its codes, if any)."""
        from medcoder.evidence.explain import explain_text

        raw = self.trained.predict_scores([doc])
        cal = self.calibrators.transform(raw, self.keys)
        errors = sum(1 for f in findings if str(getattr(f.severity, "value", f.severity)) == "error")
        warnings = sum(1 for f in findings if str(getattr(f.severity, "value", f.severity)) == "warning")
        batch = build_batch(
            raw,
            cal,
            self.trained.threshold_vector,
            self.counts,
            [doc],
            [(errors, warnings, len(findings) - errors - warnings)],
        )
        p_chart, p_code = self.router.predict(batch)
        cols = [int(j) for j in batch.code_label]
        conf = p_code if self.policy.confidence == "router" else cal[0, cols]
        evidence = {
            e.label_index: e.spans
            for e in explain_text(self.trained.coder, doc.text, cols, self.evidence_method)
        }
        descs = self.trained.coder.label_descriptions
        codes = tuple(
            RoutedCode(
                self.keys[j],
                descs[j],
                float(cal[0, j]),
                float(c),
                evidence.get(j, ()),
                tuple(self.alternatives.alternatives(j, cal[0], top_alternatives, exclude=cols)),
            )
            for j, c in zip(cols, np.asarray(conf), strict=True)
        )
        chart = ChartInput(
            tuple(
                CodeCandidate(c.key, c.confidence, bool(self.counts[j] <= 0))
                for c, j in zip(codes, cols, strict=True)
            ),
            float(p_chart[0]),
            tuple(findings),
            specialty=specialty or doc.doc_type,
            payer=doc.payer,
        )
        return RoutedChart(doc.id, codes, float(p_chart[0]), route_chart(chart, self.policy))
