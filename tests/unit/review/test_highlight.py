"""highlight_html / segments / evidence_snippet against HTML written out by hand."""

from __future__ import annotations

import pytest

from medcoder.coding.result import EvidenceSpan, Suggestion
from medcoder.review.highlight import Segment, details_html, evidence_snippet, highlight_html, segments
from unit.review.test_api import DIABETES, TEXT, make_result

YELLOW, GREEN = "#ffe066", "#8ce99a"
STRIPES = f"background:repeating-linear-gradient(45deg,{YELLOW} 0px 6px,{GREEN} 6px 12px)"


def sug(code: str, description: str, p: float, *spans: tuple[int, int]) -> Suggestion:
    return Suggestion(
        system="ICD-10-CM", code=code, description=description, probability=p, model_probability=p,
        threshold=0.5, evidence=[EvidenceSpan(start=a, end=b, text="", score=1.0) for a, b in spans],
    )  # fmt: skip


def note_of(page: str) -> str:
    """The note div's inner HTML (what follows the legend)."""
    head = '<div class="medcoder-note" style="white-space:pre-wrap;font-family:monospace">'
    assert head in page and page.endswith("</div>")
    return page.split(head, 1)[1][: -len("</div>")]


def mark(codes: str, title: str, style: str, body: str) -> str:
    return f'<mark class="medcoder-ev" data-codes="{codes}" title="{title}" style="{style}">{body}</mark>'


A = sug("A1", "alpha", 0.9, (2, 6))
B = sug("B2", "beta", 0.5, (4, 8))


def test_overlap_is_split_into_segments() -> None:
    assert segments("abcdefghij", [A, B]) == [
        Segment(0, 2, ()), Segment(2, 4, (0,)), Segment(4, 6, (0, 1)), Segment(6, 8, (1,)), Segment(8, 10, ()),
    ]  # fmt: skip
    assert note_of(highlight_html("abcdefghij", [A, B])) == (
        "ab"
        + mark("A1", "A1 alpha (0.90)", f"background:{YELLOW}", "cd")
        + mark("A1 B2", "A1 alpha (0.90) | B2 beta (0.50)", STRIPES, "ef")
        + mark("B2", "B2 beta (0.50)", f"background:{GREEN}", "gh")
        + "ij"
    )


def test_adjacent_spans_of_two_codes_touch_without_plain_text_between() -> None:
    page = highlight_html("abcdef", [sug("A1", "alpha", 0.9, (0, 3)), sug("B2", "beta", 0.5, (3, 6))])
    assert note_of(page) == (
        mark("A1", "A1 alpha (0.90)", f"background:{YELLOW}", "abc")
        + mark("B2", "B2 beta (0.50)", f"background:{GREEN}", "def")
    )


def test_touching_spans_of_one_code_merge_and_spans_are_clipped_at_the_end() -> None:
    one = sug("A1", "alpha", 0.9, (0, 2), (2, 4), (8, 15), (5, 5))
    assert segments("abcdefghij", [one]) == [Segment(0, 4, (0,)), Segment(4, 8, ()), Segment(8, 10, (0,))]
    assert note_of(highlight_html("abcdefghij", [one])) == (
        mark("A1", "A1 alpha (0.90)", f"background:{YELLOW}", "abcd")
        + "efgh"
        + mark("A1", "A1 alpha (0.90)", f"background:{YELLOW}", "ij")
    )


def test_text_and_titles_are_escaped() -> None:
    text = 'x < y & "z"'  # the span [2, 7) is '< y &'
    page = highlight_html(text, [sug("A1", 'a "b" & <c>', 0.25, (2, 7))])
    assert note_of(page) == (
        "x "
        + mark("A1", "A1 a &quot;b&quot; &amp; &lt;c&gt; (0.25)", f"background:{YELLOW}", "&lt; y &amp;")
        + " &quot;z&quot;"
    )
    assert "<td>a &quot;b&quot; &amp; &lt;c&gt;</td>" in page


def test_legend_lists_every_code_with_colour_and_probability() -> None:
    page = highlight_html("abcdefghij", [A, B])
    assert page.startswith(
        '<table class="medcoder-legend">'
        f'<tr class="medcoder-legend-row"><td><span style="background:{YELLOW};padding:0 0.8em">&nbsp;</span></td>'
        "<td>A1</td><td>alpha</td><td>0.90</td></tr>"
        f'<tr class="medcoder-legend-row"><td><span style="background:{GREEN};padding:0 0.8em">&nbsp;</span></td>'
        "<td>B2</td><td>beta</td><td>0.50</td></tr></table>"
    )


def test_selected_code_alone_is_highlighted_in_its_own_colour() -> None:
    page = highlight_html("abcdefghij", [A, B], selected="B2")
    assert note_of(page) == "abcd" + mark("B2", "B2 beta (0.50)", f"background:{GREEN}", "efgh") + "ij"
    assert (
        '<tr class="medcoder-legend-row" style="font-weight:bold"><td><span style="background:#8ce99a' in page
    )
    with pytest.raises(ValueError, match="'Z99' is not among"):
        highlight_html("abcdefghij", [A, B], selected="Z99")


def test_palette_wraps_after_eight_codes() -> None:
    many = [sug(f"C{i}", "c", 0.5, (i, i + 1)) for i in range(9)]
    assert 'title="C8 c (0.50)" style="background:#ffe066">8</mark>' in highlight_html("0123456789", many)


def test_no_evidence_is_plain_escaped_text() -> None:
    assert note_of(highlight_html("a&b", [sug("A1", "alpha", 0.9)])) == "a&amp;b"
    assert note_of(highlight_html("", [])) == ""


def test_evidence_snippet() -> None:
    assert evidence_snippet(TEXT, *DIABETES, context=10) == (
        "…SESSMENT: «Type 2 diabetes mellitus with hyperglycemia». Hyperten…"
    )
    assert evidence_snippet("line one\n\nline two", 10, 14) == "line one «line» two"
    assert evidence_snippet("abc", 0, 3, context=0) == "«abc»"
    for start, end in [(3, 3), (-1, 2), (2, 4)]:
        with pytest.raises(ValueError, match=r"0 <= start < end <= 3"):
            evidence_snippet("abc", start, end)


def test_details_show_findings_em_and_cdi_escaped() -> None:
    page = details_html(make_result())
    assert "<li><b>warning</b> R-1 [E78.5]: unspecified code <i>fix: E78.2</i></li>" in page
    assert "billed 99213, supported 99213 (basis mdm, MDM low, minutes None)<br>two chronic illnesses" in page
    assert (
        "<li>E78.5 (type): Which type of hyperlipidemia? <i>options: mixed; pure hypercholesterolemia</i>"
        in page
    )
