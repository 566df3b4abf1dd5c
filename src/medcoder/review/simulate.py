"""A simulated review round: coders add a code the model misses; does retraining learn it?

``simulate_round(base, out)``:

1. on CodiEsp-D **train** only, with the current model, the codes it misses (recall <= 5%, billable
   in FY2026) are ranked by how many of their charts have a findable English evidence word;
2. finding the evidence: CodiEsp's evidence offsets (X files) point into the Spanish text; the
   project's sentence aligner (``data.sentence_align.SpanProjector``) carries them to the English
   line(s). Inside those lines the coder's selection is the word most associated with the code:
   highest ``p log(p / b)``, ``p`` = share of the code's charts whose projected lines hold the
   stem, ``b`` = share of all English train lines holding it (one word for every chart of the code,
   as a coder's habit). Charts whose projected lines lack that word are not used;
3. the first ``n_charts`` usable charts (sorted by id) are coded by the real pipeline, queued in a
   temporary ``ReviewStore`` and finalized as a coder would: the chart corrected to its gold codes,
   the missed code with the evidence offsets the coder selected (English text); then exported
   with ``export_feedback``;
4. ``round.json`` (no note text) names the code, the evidence word and the charts used, so the
   recall of that code can be measured before/after on charts containing it that the round did not
   touch: CodiEsp-D dev (held out) and the unused train charts (held out from the phrase learning,
   but in both models' reranker training data). CodiEsp test is never read.

``simulate_reviewed(base, out, n)``: ``n`` reviewed charts with gold as final codes (new document
ids, so they add to the base data), for timing a retraining.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcoder.audit.events import CodeRef, OffsetRef
from medcoder.coding.chart_certify import dated
from medcoder.coding.pipeline import CodingPipeline
from medcoder.data.records import CodeSystem, Document, Span
from medcoder.data.sentence_align import SpanProjector
from medcoder.models.index_coder import IndexCoder
from medcoder.nlp.mentions import words_of
from medcoder.review.dataset import FeedbackCard, export_feedback
from medcoder.review.records import facts_of
from medcoder.review.store import ReviewStore, queue_row
from medcoder.terminology.icd10cm import get_icd10cm

log = logging.getLogger(__name__)

ROUND_FILE = "round.json"


def _icd(doc: Document) -> set[str]:
    return {lab.code.upper() for lab in doc.labels if lab.system is CodeSystem.ICD10CM}


def missed_codes(coder: IndexCoder, docs: Sequence[Document], max_recall: float = 0.05) -> dict[str, int]:
    """Billable codes whose recall on ``docs`` is at most ``max_recall``: code -> charts with it."""
    cm, gold, hit = get_icd10cm(), Counter(), Counter()
    for d in docs:
        got = {p.code for p in coder.predict(d.text)}
        for c in _icd(d):
            gold[c] += 1
            hit[c] += c in got

    def billable(c: str) -> bool:
        try:
            return cm.is_billable(c)
        except Exception:  # noqa: BLE001 - not in the FY2026 code set
            return False

    return {c: n for c, n in gold.most_common() if hit[c] <= max_recall * n and billable(c)}


def projected_lines(en: Document, es: Document, code: str) -> list[Span]:
    """English line ranges that translate the Spanish evidence of ``code`` in ``es``."""
    spans = [s for lab in es.labels if lab.code.upper() == code for s in lab.spans]
    return SpanProjector(es.text, en.text).project(spans) if spans else []


def evidence_word(
    lines: dict[str, list[Span]], en: dict[str, Document], background: Counter, n_lines: int
) -> str:
    """The stem most associated with the code in its projected lines (module doc, step 2)."""
    df: Counter[str] = Counter()
    for doc_id, spans in lines.items():
        df.update({w.stem for s in spans for w in words_of(en[doc_id].text, s.start, s.end)})
    n = max(1, len(lines))

    def score(w: str) -> float:
        p, b = df[w] / n, (background[w] + 1) / (n_lines + 1)
        return p * math.log(p / b)

    return max(sorted(df), key=score) if df else ""


def locate(doc: Document, spans: Sequence[Span], stem: str) -> OffsetRef | None:
    """The first word with ``stem`` inside ``spans`` of ``doc``: the coder's selection."""
    for s in spans:
        for w in words_of(doc.text, s.start, s.end):
            if w.stem == stem:
                return OffsetRef(start=w.start, end=w.end)
    return None


def choose(coder: IndexCoder, train_en: Sequence[Document], train_es: Sequence[Document], min_charts: int = 50,
           max_candidates: int = 15, code: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The missed code with the most charts whose evidence word is found (ties: more charts, code);
    ``code`` fixes the code instead (it must still be one the model misses)."""
    en = {d.id: d for d in train_en}
    es = {d.id: d for d in train_es}
    background: Counter[str] = Counter()
    n_lines = 0
    for d in train_en:
        for line in d.text.splitlines():
            n_lines += 1
            background.update({w.stem for w in words_of(line)})
    best: dict[str, Any] = {}
    missed = missed_codes(coder, train_en)
    if code is not None and code not in missed:
        raise ValueError(f"{code} is not a billable code the model misses on CodiEsp-D train")
    todo = [(code, missed[code])] if code is not None else list(missed.items())[:max_candidates]
    for code, n in todo:
        lines = {
            i: projected_lines(en[i], es[i], code) for i in sorted(en) if code in _icd(en[i]) and i in es
        }
        lines = {i: v for i, v in lines.items() if v}
        stem = evidence_word(lines, en, background, n_lines)
        found = {i: e for i in lines if (e := locate(en[i], lines[i], stem)) is not None}
        cand = {"code": code, "gold_charts": n, "evidence_stem": stem, "evidence": found}
        if not best or (len(found), n) > (len(best["evidence"]), best["gold_charts"]):
            best = cand
        log.info("missed code %s: %d charts, evidence stem found in %d", code, n, len(found))
    if len(best.get("evidence", {})) < min_charts:
        log.warning(
            "no missed code has %d charts with findable evidence; using %s", min_charts, best.get("code")
        )
    return best


def _review(
    store: ReviewStore, pipe: CodingPipeline, doc: Document, extra: Sequence[CodeRef], version: str
) -> None:
    """Code ``doc``, queue it, finalize it with its gold codes, ``extra`` carrying the coder's evidence.

    The simulated coder corrects the whole chart (the CodiEsp annotators' codes are what a coder
    settles on), so the held-out reviewed charts judge the old and the new model fairly; keeping
    the old model's suggestions as "final" would grade the old model against itself."""
    doc = dated(doc)
    result = pipe.code(doc)
    store.queue([queue_row(result, doc.text, facts_of(doc), version)])
    with_evidence = {(e.system, e.code): e for e in extra}
    final = [with_evidence.pop((lab.system.value, lab.code.upper()), None)
             or CodeRef(system=lab.system.value, code=lab.code.upper()) for lab in doc.labels]  # fmt: skip
    final += list(with_evidence.values())
    store.finalize(result.request_id, final, coder="simulated-coder")


def _version(base: Path) -> str:
    v = json.loads((base / "versions.json").read_text(encoding="utf-8"))
    return f"{v.get('model_name', 'medcoder-index-coder')}:{v.get('model_version') or 'unregistered'}"


def simulate_round(
    base: Path, out: Path, n_charts: int = 50, codiesp: Path | None = None, code: str | None = None
) -> FeedbackCard:
    """Steps 1-4 of the module doc; writes ``reviewed.jsonl``, ``card.json`` and ``round.json`` to ``out``."""
    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir

    root = codiesp or codiesp_dir()
    train_en = load_codiesp(root, "train", tasks=("D",))
    train_es = load_codiesp(root, "train", language="es", tasks=("D",))
    pick = choose(IndexCoder.load(base), train_en, train_es, min_charts=n_charts, code=code)
    code, used = pick["code"], sorted(pick["evidence"])[:n_charts]
    by_id = {d.id: d for d in train_en}
    pipe = CodingPipeline.from_model_dir(base)
    with tempfile.TemporaryDirectory() as tmp:
        store = ReviewStore(f"sqlite:///{Path(tmp) / 'review.db'}")
        for i in used:
            added = CodeRef(system=CodeSystem.ICD10CM.value, code=code, evidence=(pick["evidence"][i],))
            _review(store, pipe, by_id[i], [added], _version(base))
        card = export_feedback(store, out)
        store.close()
    unused = sorted(i for i, d in by_id.items() if code in _icd(d) and i not in set(used))
    info = {"code": code, "title": get_icd10cm().description(code), "evidence_stem": pick["evidence_stem"],
            "train_gold_charts": pick["gold_charts"], "charts_with_evidence": len(pick["evidence"]),
            "used_charts": used, "unused_train_charts": unused}  # fmt: skip
    (Path(out) / ROUND_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return card


def round_recall(info: dict, old: Path, new: Path, codiesp: Path | None = None) -> dict[str, Any]:
    """Recall of the round's code before/after on CodiEsp-D dev charts and unused train charts with it."""
    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir

    root = codiesp or codiesp_dir()
    code = info["code"]
    dev = [d for d in load_codiesp(root, "dev", tasks=("D",)) if code in _icd(d)]
    unused = set(info["unused_train_charts"])
    rest = [d for d in load_codiesp(root, "train", tasks=("D",)) if d.id in unused]
    out: dict[str, Any] = {"code": code, "title": info.get("title")}
    for name, path in (("before", old), ("after", new)):
        coder = IndexCoder.load(path)
        for group, docs in (("codiesp_dev", dev), ("unused_train", rest)):
            hits = sum(code in {p.code for p in coder.predict(d.text)} for d in docs)
            out.setdefault(group, {"charts": len(docs)})[f"recall_{name}"] = hits / max(1, len(docs))
    return out


def simulate_reviewed(base: Path, out: Path, n: int = 500, codiesp: Path | None = None) -> FeedbackCard:
    """``n`` reviewed charts (CodiEsp-D train, then realistic dev "fit") finalized with their gold codes,
    under new document ids (``sim-<id>``) so they add to the base data; exported to ``out``."""
    import dataclasses

    from medcoder.data.codiesp import load_codiesp
    from medcoder.paths import codiesp_dir
    from medcoder.training.index_coder import realistic_notes, realistic_part

    docs = load_codiesp(codiesp or codiesp_dir(), "train", tasks=("D",))
    docs += [n.document() for n in realistic_notes("dev") if realistic_part(n.note_id) == "fit"]
    pipe = CodingPipeline.from_model_dir(base)
    with tempfile.TemporaryDirectory() as tmp:
        store = ReviewStore(f"sqlite:///{Path(tmp) / 'review.db'}")
        for d in docs[:n]:
            _review(store, pipe, dataclasses.replace(d, id=f"sim-{d.id}"), [], _version(base))
        card = export_feedback(store, out)
        store.close()
    return card
