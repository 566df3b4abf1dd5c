"""The note as HTML with each suggested code's evidence highlighted, and short evidence snippets.

Evidence spans are character offsets ``[start, end)`` into the note exactly as the coding result
gives them. Spans of different codes may overlap, so the note is cut at every span boundary into
segments; each segment knows which codes cover it. A segment covered by one code gets that code's
colour, one covered by several gets diagonal stripes of their colours, and its ``title`` names all
of them. Colours come from a fixed palette in suggestion order, so the same chart always looks the
same. Everything is escaped: a note is untrusted text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.coding.result import CodingResult, Suggestion

PALETTE: tuple[str, ...] = (
    "#ffe066",  # yellow
    "#8ce99a",  # green
    "#74c0fc",  # blue
    "#ffa8a8",  # red
    "#d0bfff",  # violet
    "#ffc078",  # orange
    "#99e9f2",  # cyan
    "#fcc2d7",  # pink
)
"""Background colours, one per suggestion in order (the 9th suggestion reuses the 1st colour)."""

STRIPE_PX = 6


@dataclass(frozen=True, slots=True)
class Segment:
    """``text[start:end]`` and the indexes (into the suggestion list) of the codes whose evidence
    covers it; ``codes == ()`` for plain text."""

    start: int
    end: int
    codes: tuple[int, ...]


def colour(index: int) -> str:
    """The palette colour of the suggestion at ``index``."""
    return PALETTE[index % len(PALETTE)]


def segments(text: str, suggestions: Sequence[Suggestion], only: int | None = None) -> list[Segment]:
    """Cut ``text`` at every evidence boundary; spans are clipped to the text and empty ones dropped.

    ``only``: consider the evidence of that suggestion index alone (the others read as plain text).
    Adjacent segments with the same covering codes are merged, so the result is the shortest list.
    """
    n = len(text)
    spans: list[tuple[int, int, int]] = []
    for i, s in enumerate(suggestions):
        if only is not None and i != only:
            continue
        for ev in s.evidence:
            start, end = max(0, min(ev.start, n)), max(0, min(ev.end, n))
            if start < end:
                spans.append((start, end, i))
    cuts = sorted({0, n, *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = tuple(sorted({i for s, e, i in spans if s <= a and b <= e}))
        if out and out[-1].codes == covering:
            out[-1] = Segment(out[-1].start, b, covering)
        else:
            out.append(Segment(a, b, covering))
    return out


def _background(codes: tuple[int, ...]) -> str:
    if len(codes) == 1:
        return f"background:{colour(codes[0])}"
    stops = ",".join(f"{colour(c)} {k * STRIPE_PX}px {(k + 1) * STRIPE_PX}px" for k, c in enumerate(codes))
    return f"background:repeating-linear-gradient(45deg,{stops})"


def _label(s: Suggestion) -> str:
    return f"{s.code} {s.description} ({s.probability:.2f})"


def _mark(text: str, seg: Segment, suggestions: Sequence[Suggestion]) -> str:
    body = html.escape(text[seg.start : seg.end])
    if not seg.codes:
        return body
    title = html.escape(" | ".join(_label(suggestions[i]) for i in seg.codes))
    codes = html.escape(" ".join(suggestions[i].code for i in seg.codes))
    return (
        f'<mark class="medcoder-ev" data-codes="{codes}" title="{title}" '
        f'style="{_background(seg.codes)}">{body}</mark>'
    )


def legend_html(suggestions: Sequence[Suggestion], selected: int | None = None) -> str:
    """A table: colour swatch, code, description, calibrated probability; the selected row is bold."""
    rows = []
    for i, s in enumerate(suggestions):
        weight = ' style="font-weight:bold"' if i == selected else ""
        rows.append(
            f'<tr class="medcoder-legend-row"{weight}>'
            f'<td><span style="background:{colour(i)};padding:0 0.8em">&nbsp;</span></td>'
            f"<td>{html.escape(s.code)}</td><td>{html.escape(s.description)}</td>"
            f"<td>{s.probability:.2f}</td></tr>"
        )
    return f'<table class="medcoder-legend">{"".join(rows)}</table>'


def highlight_html(text: str, suggestions: Sequence[Suggestion], selected: str | None = None) -> str:
    """The legend followed by the note (whitespace kept, ``pre-wrap``) with evidence highlighted.

    ``selected``: a suggested code; only its evidence is highlighted (the legend still lists all).
    Raises ValueError when ``selected`` is not one of the suggested codes.
    """
    only = None
    if selected is not None:
        matches = [i for i, s in enumerate(suggestions) if s.code == selected]
        if not matches:
            raise ValueError(f"code {selected!r} is not among this chart's suggestions")
        only = matches[0]
    note = "".join(_mark(text, seg, suggestions) for seg in segments(text, suggestions, only))
    return (
        legend_html(suggestions, only)
        + f'<div class="medcoder-note" style="white-space:pre-wrap;font-family:monospace">{note}</div>'
    )


def evidence_snippet(text: str, start: int, end: int, context: int = 40) -> str:
    """``text[start:end]`` in guillemets with up to ``context`` characters either side, whitespace
    runs shown as one space and ``…`` where the note was cut: ``…with «hyperglycemia». Hyp…``.

    Raises ValueError (offsets only, never text) unless ``0 <= start < end <= len(text)``.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(
            f"evidence offsets must satisfy 0 <= start < end <= {len(text)} (got {start}, {end})"
        )
    if context < 0:
        raise ValueError(f"context must be >= 0, got {context}")
    a, b = max(0, start - context), min(len(text), end + context)
    snippet = f"{text[a:start]}«{text[start:end]}»{text[end:b]}"
    snippet = " ".join(snippet.split())
    return ("…" if a > 0 else "") + snippet + ("…" if b < len(text) else "")


def details_html(result: CodingResult) -> str:
    """Rule findings, suppressed codes, the E/M level and its rationale, and CDI query drafts."""
    e = html.escape
    parts = []
    if result.findings:
        items = "".join(
            f"<li><b>{e(f.severity)}</b> {e(f.rule_id)} [{e(', '.join(f.codes))}]: {e(f.message)}"
            + (f" <i>fix: {e(f.suggested_fix)}</i>" if f.suggested_fix else "")
            + "</li>"
            for f in result.findings
        )
        parts.append(f"<h4>Rule findings</h4><ul>{items}</ul>")
    if result.suppressed:
        items = "".join(
            f"<li>{e(s.code)} {e(s.description)} ({e(s.assertion.value)})</li>" for s in result.suppressed
        )
        parts.append(f"<h4>Suppressed (not affirmed)</h4><ul>{items}</ul>")
    if result.em is not None:
        em = result.em
        parts.append(
            f"<h4>E/M</h4><p>billed {e(str(em.billed))}, supported {e(str(em.supported_code))} "
            f"(basis {e(em.basis)}, MDM {e(em.mdm)}, minutes {em.minutes})<br>{e(em.rationale)}</p>"
        )
    if result.cdi_queries:
        items = "".join(
            f"<li>{e(q.code)} ({e(q.axis)}): {e(q.text)} <i>options: {e('; '.join(q.options))}</i></li>"
            for q in result.cdi_queries
        )
        parts.append(f"<h4>CDI queries</h4><ul>{items}</ul>")
    return "".join(parts) or "<p>No rule findings, E/M result or CDI queries.</p>"
