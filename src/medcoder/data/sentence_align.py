"""Sentence alignment of a text and its translation, to carry evidence spans across languages.

CodiEsp's evidence spans (the X files) are character offsets into the Spanish text; the English
files are a machine translation with one sentence per line and no offsets. Aligning Spanish
sentences to English lines by length (Gale & Church, 1993: translated sentences have lengths in a
near-constant ratio) lets a span be projected onto the English line(s) that translate it. The
projection is sentence-level, not word-level: the English span covers whole lines.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from medcoder.data.records import CodeLabel, Document, Span

# bead (source sentences, target sentences) -> prior probability (Gale & Church's, plus 1-3 / 3-1,
# which machine translation produces when it splits or merges long sentences)
BEADS: dict[tuple[int, int], float] = {
    (1, 1): 0.85,
    (1, 0): 0.01,
    (0, 1): 0.01,
    (2, 1): 0.05,
    (1, 2): 0.05,
    (2, 2): 0.01,
    (1, 3): 0.01,
    (3, 1): 0.01,
}
VARIANCE = 6.8  # Gale & Church's variance of the length difference per character

_ES_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡(\"0-9])|\n+")


def sentence_ranges(text: str, one_per_line: bool = False) -> list[tuple[int, int]]:
    """Character ranges ``[start, end)`` of the sentences of ``text`` (trimmed, non-empty).

    ``one_per_line``: every non-empty line is one sentence (the English CodiEsp files); otherwise
    sentences end at ``.``, ``!`` or ``?`` followed by space and a capital, digit or bracket, or at
    a line break.
    """
    pattern = re.compile(r"\n+") if one_per_line else _ES_SENTENCE_END
    out, start = [], 0
    for m in [*pattern.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, start + len(piece.rstrip())))
        if m:
            start = m.end()
    return out


def _norm_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def bead_cost(src_len: int, tgt_len: int, ratio: float) -> float:
    """Gale-Church length cost: -log P(length difference) for one bead (0 for two empty sides)."""
    if src_len == 0 and tgt_len == 0:
        return 0.0
    mean = (src_len + tgt_len / ratio) / 2.0
    z = (tgt_len - src_len * ratio) / math.sqrt(mean * VARIANCE)
    return -math.log(max(2.0 * _norm_sf(abs(z)), 1e-300))


def align_lengths(
    src: Sequence[int], tgt: Sequence[int], ratio: float | None = None
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Align two sequences of sentence lengths; returns beads of (source indices, target indices).

    Dynamic programming over the bead types in ``BEADS``; ``ratio`` (target chars per source char)
    defaults to the ratio of the totals. Every sentence of both sides is in exactly one bead.
    """
    n, m = len(src), len(tgt)
    if ratio is None:
        ratio = (sum(tgt) / sum(src)) if sum(src) and sum(tgt) else 1.0
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    prior = {b: -math.log(p) for b, p in BEADS.items()}
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            for (di, dj), penalty in prior.items():
                if di > i or dj > j or cost[i - di][j - dj] == inf:
                    continue
                c = (
                    cost[i - di][j - dj]
                    + penalty
                    + bead_cost(sum(src[i - di : i]), sum(tgt[j - dj : j]), ratio)
                )
                if c < cost[i][j]:
                    cost[i][j], back[i][j] = c, (di, dj)
    beads = []
    i, j = n, m
    while i or j:
        step = back[i][j]
        assert step is not None  # (1,0) and (0,1) beads make every cell reachable
        di, dj = step
        beads.append((tuple(range(i - di, i)), tuple(range(j - dj, j))))
        i, j = i - di, j - dj
    return beads[::-1]


class SpanProjector:
    """Aligns ``src_text`` with its translation ``tgt_text`` once, then projects spans across."""

    def __init__(self, src_text: str, tgt_text: str, tgt_one_per_line: bool = True) -> None:
        self.src_sent = sentence_ranges(src_text)
        self.tgt_sent = sentence_ranges(tgt_text, one_per_line=tgt_one_per_line)
        self.beads = (
            align_lengths([e - s for s, e in self.src_sent], [e - s for s, e in self.tgt_sent])
            if self.src_sent and self.tgt_sent
            else []
        )
        self._to_tgt = {i: tgt_ids for src_ids, tgt_ids in self.beads for i in src_ids}

    def project(self, spans: Sequence[Span]) -> list[Span]:
        """For each source span, the target span covering the target sentences aligned with it.

        A span whose sentences align to no target sentence (a (1, 0) bead) is dropped, so the
        result may be shorter than ``spans``; it is sorted and de-duplicated.
        """
        out: set[Span] = set()
        for span in spans:
            end = max(span.end, span.start + 1)
            hit = [i for i, (s, e) in enumerate(self.src_sent) if s < end and span.start < e]
            tgt_ids = sorted({t for i in hit for t in self._to_tgt.get(i, ())})
            if tgt_ids:
                out.add(Span(self.tgt_sent[tgt_ids[0]][0], self.tgt_sent[tgt_ids[-1]][1]))
        return sorted(out, key=lambda s: (s.start, s.end))


def project_document_spans(src: Document, tgt: Document) -> Document:
    """``tgt`` with each label's spans projected from the same label of ``src`` (matched by system
    and code); labels of ``tgt`` absent from ``src`` keep no spans."""
    if src.id != tgt.id:
        raise ValueError(f"documents differ: {src.id!r} vs {tgt.id!r}")
    projector = SpanProjector(src.text, tgt.text)
    by_code = {(cl.system, cl.code): cl.spans for cl in src.labels}
    labels = tuple(
        CodeLabel(cl.system, cl.code, tuple(projector.project(by_code.get((cl.system, cl.code), ()))))
        for cl in tgt.labels
    )
    return dataclasses.replace(tgt, labels=labels)
