"""The coding use case, in-process: the one way to code a note (service, CLI, batch jobs, notebooks).

normalise (intake) -> model (one batched forward: probabilities + attention) -> calibration ->
decision thresholds -> evidence spans -> sections and ConText assertions on the evidence
(a code whose every evidence span is negated, historical, family, hypothetical, or uncertain
outside inpatient care, is suppressed or down-weighted) -> CPT/HCPCS lines from the procedure
lexicon (``coding.procedures``) -> rules -> routing (on the model's codes) -> ``CodingResult``.

Example::

    pipe = CodingPipeline.from_model_dir("training/out/calibrated")
    result = pipe.code(document_from_text("ASSESSMENT: type 2 diabetes ..."), EncounterContext())
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from importlib.metadata import version as pkg_version
from pathlib import Path

import numpy as np
import torch

from medcoder.coding.assertions import Verdict, assert_evidence
from medcoder.coding.config import PipelineConfig
from medcoder.coding.context import EncounterContext, document_from_text, normalise_text
from medcoder.coding.hold import RouteHold
from medcoder.coding.procedures import code_procedures
from medcoder.coding.result import (
    Alternative,
    Assertion,
    CodingResult,
    EvidenceSpan,
    Suggestion,
    Suppressed,
    Versions,
)
from medcoder.coding.routing_step import Calibrate, Route, RouteInput, bundle_hooks, threshold_route
from medcoder.coding.rules_step import apply_rules
from medcoder.coding.scoring import Scored, attention_spans, explainer_spans, score_batch
from medcoder.data.records import Document
from medcoder.models.bundle import ModelBundle
from medcoder.models.index_bundle import IndexBundle, IndexScored, IndexScorer
from medcoder.models.loading import load_model
from medcoder.rules import RuleSet

log = logging.getLogger(__name__)


class CodingPipeline:
    """A loaded model directory plus rules, calibration and routing; ``code_many`` is thread-safe
    for reads (torch inference, pure rules) and is what the service's micro-batcher calls."""

    def __init__(
        self,
        model: ModelBundle | IndexBundle,
        config: PipelineConfig | None = None,
        *,
        rules: RuleSet | None = None,
        calibrate: Calibrate | None = None,
        route: Route | None = None,
        routing_name: str = "identity+threshold_route",
    ) -> None:
        self.model = model
        self.config = config or PipelineConfig()
        self.rules = rules if rules is not None else RuleSet.default(example_packs=self.config.example_packs)
        self.calibrate = calibrate or (lambda p: p)
        self.route = route or threshold_route(self.config.auto_min_probability)
        self.versions = Versions(
            model_name=model.name,
            model_version=model.identity,
            code_sets=model.code_sets,
            rule_packs=self.rules.versions(),
            evidence_method="index-mention"
            if isinstance(model, IndexBundle)
            else self.config.evidence_method,
            routing=routing_name,
            medcoder=pkg_version("medcoder"),
        )
        self.shift_monitor = getattr(self.route, "monitor", None)
        """The chart router's traffic-window shift test (``routing.shift.ShiftMonitor``), if it has one."""
        self.hold = RouteHold()
        """Monitors set it to keep charts out of auto-finalization (``coding.hold``)."""
        self.stage_seconds: dict[str, float] = {}
        """Seconds spent per stage since creation (model, evidence, assertions, results, rules, routing);
        written by the thread that runs ``code_many``; the benchmark reads and clears it."""
        labels = model.label_space.labels
        self._systems = [lab.system.value for lab in labels]
        self._codes = [lab.code for lab in labels]
        self._descs = list(model.label_descriptions)
        categories: dict[str, list[int]] = {}
        for j, code in enumerate(self._codes):
            categories.setdefault(code[:3], []).append(j)
        self._siblings = {j: categories[code[:3]] for j, code in enumerate(self._codes)}

    @classmethod
    def from_model_dir(cls, path: str | Path, config: PipelineConfig | None = None) -> CodingPipeline:
        """Load a model directory (``medcoder train`` output) with its calibrator if it has one."""
        explicit = config is not None
        config = config or PipelineConfig()
        if not explicit or config.torch_threads:
            # One intra-op thread: on a shared or small machine more threads spin against each other
            # (a tiny LSTM ran 100x slower with 2 threads under load); scale with workers instead.
            torch.set_num_threads(config.torch_threads or 1)
        model = load_model(path)
        calibrate, route, name = bundle_hooks(model, config.auto_min_probability)
        return cls(model, config, calibrate=calibrate, route=route, routing_name=name)

    # public API ----------------------------------------------------------------------------
    def code_note(self, text: str, ctx: EncounterContext | None = None, **document_fields) -> CodingResult:  # type: ignore[no-untyped-def]
        """Code a plain note with the service's defaults (``document_from_text``: date of service today).

        ``document_fields`` go to ``document_from_text`` (document_id, setting, patient, payer,
        date_of_service)."""
        return self.code(document_from_text(text, **document_fields), ctx)

    def code(
        self, doc: Document, ctx: EncounterContext | None = None, request_id: str | None = None
    ) -> CodingResult:
        return self.code_many([(doc, ctx or EncounterContext())], [request_id] if request_id else None)[0]

    def code_many(
        self,
        items: Sequence[tuple[Document, EncounterContext]],
        request_ids: Sequence[str] | None = None,
    ) -> list[CodingResult]:
        """Code several charts with one batched model call; results in input order."""
        if not items:
            return []
        t0 = time.perf_counter()
        texts = [normalise_text(doc.text) for doc, _ in items]
        want_attention = self.config.evidence_method == "attention"
        scorer = self.model.scorer
        scored = (
            scorer.score_texts(texts)
            if isinstance(scorer, IndexScorer)
            else score_batch(scorer, texts, self.config.batch_size, keep_attention=want_attention)
        )
        raw = np.stack([s.probs for s in scored])
        calibrated = np.clip(self.calibrate(raw), 0.0, 1.0)
        t_model = time.perf_counter()
        self._add("model", t_model - t0)
        out = []
        for i, (doc, ctx) in enumerate(items):
            rid = request_ids[i] if request_ids else uuid.uuid4().hex
            out.append(self._one(doc, texts[i], ctx, scored[i], raw[i], calibrated[i], rid))
        per_doc_ms = (time.perf_counter() - t0) * 1000 / len(items)
        log.debug("coded %d charts: model %.1f ms, total %.1f ms/chart", len(items),
                  (t_model - t0) * 1000, per_doc_ms)  # fmt: skip
        return out

    # steps ---------------------------------------------------------------------------------
    def _add(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def _candidates(self, raw: np.ndarray, calibrated: np.ndarray) -> list[int]:
        """Codes whose raw probability passes its decision threshold (thresholds were tuned on raw
        scores), best calibrated probability first, at most ``max_codes``."""
        cut = self.model.threshold_vector
        idx = [int(j) for j in np.argsort(-calibrated, kind="stable") if raw[j] >= cut[j]]
        return idx[: self.config.max_codes]

    def _evidence(self, text: str, scored: Scored, targets: list[int]) -> dict[int, list]:
        n = self.config.evidence_spans
        if isinstance(scored, IndexScored):  # the index coder: evidence is the mention each code came from
            return {j: scored.spans.get(j, [])[:n] for j in targets}
        if self.config.evidence_method == "attention":
            return attention_spans(self.model.scorer, text, scored, targets, n)
        return explainer_spans(self.model.scorer, text, targets, self.config.evidence_method, n)

    def _alternatives(self, j: int, calibrated: np.ndarray, chosen: set[int]) -> list[Alternative]:
        sib = [k for k in self._siblings[j] if k != j and k not in chosen]
        sib.sort(key=lambda k: -calibrated[k])
        return [
            Alternative(
                system=self._systems[k],
                code=self._codes[k],
                description=self._descs[k],
                probability=float(calibrated[k]),
            )
            for k in sib[: self.config.alternatives]
            if calibrated[k] >= self.config.alternative_min_probability
        ]

    def _one(self, doc, text, ctx, scored, raw, calibrated, request_id) -> CodingResult:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        model_raw, raw, calibrated = raw, raw.copy(), calibrated.copy()
        targets = self._candidates(raw, calibrated)
        spans = self._evidence(text, scored, targets)
        t1 = time.perf_counter()
        verdicts = (
            assert_evidence(text, spans, doc.setting, self._codes)
            if self.config.assertion_policy != "off"
            else {}
        )
        t2 = time.perf_counter()
        unknown = Verdict(Assertion.UNKNOWN, (), False, ())
        suppressed: list[Suppressed] = []
        kept: list[int] = []
        cut = self.model.threshold_vector
        for j in targets:
            v = verdicts.get(j, unknown)
            blocked = v.blocked
            if blocked and self.config.assertion_policy == "downweight":
                raw[j] *= self.config.downweight_factor
                calibrated[j] *= self.config.downweight_factor
                blocked = raw[j] < cut[j]
            if blocked:
                suppressed.append(
                    Suppressed(
                        system=self._systems[j],
                        code=self._codes[j],
                        description=self._descs[j],
                        probability=float(calibrated[j]),
                        assertion=v.assertion,
                        cues=list(v.cues),
                    )
                )
            else:
                kept.append(j)
        chosen = set(kept)
        suggestions = []
        for j in kept:
            v = verdicts.get(j, unknown)
            evidence = [
                EvidenceSpan(
                    start=sp.start,
                    end=sp.end,
                    text=text[sp.start : sp.end],
                    score=float(sp.score),
                    section=v.sections[k] if k < len(v.sections) else None,
                )
                for k, sp in enumerate(spans.get(j, []))
            ]
            suggestions.append(
                Suggestion(
                    system=self._systems[j],
                    code=self._codes[j],
                    description=self._descs[j],
                    probability=float(calibrated[j]),
                    model_probability=float(model_raw[j]),
                    threshold=float(cut[j]),
                    evidence=evidence if ctx.want_evidence else [],
                    alternatives=self._alternatives(j, calibrated, chosen),
                    assertion=v.assertion,
                )
            )
        doc_for_rules = doc if doc.text == text else Document(**{**_fields(doc), "text": text})
        t3 = time.perf_counter()
        procedures, em_mods = code_procedures(doc_for_rules, ctx)  # CPT/HCPCS from the lexicon
        t3p = time.perf_counter()
        rules = apply_rules(doc_for_rules, ctx, suggestions + procedures, self.rules)
        t4 = time.perf_counter()
        route = self.route(
            RouteInput(
                doc_for_rules,
                raw,
                calibrated,
                suggestions,
                suppressed,
                rules.findings,
                kept,
                [(sp.start, sp.end) for j in kept for sp in spans.get(j, [])],
            )  # fmt: skip
        )
        monitor = self.shift_monitor
        if monitor is not None and monitor.last is not None:
            if monitor.last.shifted:
                self.hold.hold("shift", f"the last {monitor.last.n_window} charts are unlike the calibration "
                               f"charts (two-sample p-value {monitor.last.p_value:.2g})")  # fmt: skip
            else:
                self.hold.release("shift")
        route = self.hold.apply(route)
        t5 = time.perf_counter()
        for stage, seconds in (("evidence", t1 - t0), ("assertions", t2 - t1), ("results", t3 - t2),
                               ("procedures", t3p - t3), ("rules", t4 - t3p), ("routing", t5 - t4)):  # fmt: skip
            self._add(stage, seconds)
        return CodingResult(
            request_id=request_id,
            document_id=doc.id,
            suggestions=suggestions + procedures,
            suppressed=suppressed,
            findings=rules.findings,
            hcc=rules.hcc,
            em=rules.em.model_copy(update=em_mods) if rules.em is not None and em_mods else rules.em,
            cdi_queries=rules.cdi,
            route=route,
            versions=self.versions,
            elapsed_ms=(time.perf_counter() - t0) * 1000,
        )


def _fields(doc: Document) -> dict:
    return {name: getattr(doc, name) for name in Document.__slots__}
