"""The coder's review screen in a notebook (ipywidgets): worklist, chart, decisions, submit.

:class:`ReviewApp` talks to a :class:`~medcoder.review.api.ReviewApi` (the HTTP client in the
notebook, :class:`~medcoder.review.api.StoreBackedApi` in tests) and keeps the state of the open
chart in a :class:`~medcoder.review.session.ReviewSession`; this module only lays widgets out and
forwards clicks. Accepting a chart's suggestion takes three clicks: Open, Accept, Submit.

Widgets a browser test needs carry a CSS class (``widget.add_class``), with codes and request ids
made class-safe by :func:`css_token` (``E11.65`` -> ``E11_65``): ``medcoder-open-<request_id>``,
``medcoder-accept-<code>``, ``medcoder-reject-<code>``, ``medcoder-reason-<code>``,
``medcoder-modify-query-<code>``, ``medcoder-modify-select-<code>``, ``medcoder-modify-<code>``,
``medcoder-show-<code>``, ``medcoder-state-<code>``, ``medcoder-accept-all``, ``medcoder-add-code-query``,
``medcoder-add-code-select``, ``medcoder-add-phrase``, ``medcoder-add-start``, ``medcoder-add-end``,
``medcoder-add-reason``, ``medcoder-add-button``, ``medcoder-submit``, ``medcoder-status``,
``medcoder-refresh``, ``medcoder-note``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import ipywidgets as w

from medcoder.audit.events import Reason
from medcoder.review.api import ReviewApi
from medcoder.review.highlight import details_html, evidence_snippet, highlight_html
from medcoder.review.records import FinalizeResponse, WorklistEntry
from medcoder.review.session import (
    CodeSearch,
    ReviewSession,
    code_search,
    default_search_index,
    find_phrase,
    worklist_rows,
)
from medcoder.terminology.codesets import CodeSets

log = logging.getLogger(__name__)

SEARCH_K = 15
REASON_OPTIONS: list[tuple[str, Reason | None]] = [("reason…", None)] + [
    (r.value.replace("_", " "), r) for r in Reason
]


def css_token(value: str) -> str:
    """``value`` with every character other than letters, digits, ``_`` and ``-`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


def _button(description: str, css: str, style: str = "") -> w.Button:
    b = w.Button(description=description, button_style=style)
    b.add_class(css)
    return b


def _with_class(widget: w.Widget, css: str) -> w.Widget:
    widget.add_class(css)
    return widget


@dataclass
class SuggestionRow:
    """The widgets of one suggested code."""

    code: str
    label: w.HTML
    show: w.Button
    accept: w.Button
    reason: w.Dropdown
    reject: w.Button
    modify_query: w.Text
    modify_select: w.Dropdown
    modify: w.Button
    state: w.HTML

    def box(self) -> w.VBox:
        decide = w.HBox([self.show, self.accept, self.reason, self.reject, self.state])
        change = w.HBox([self.modify_query, self.modify_select, self.modify])
        return w.VBox([self.label, decide, change], layout=w.Layout(border="1px solid #ddd", padding="4px"))


class ReviewApp:
    """Worklist + chart review. Display it with ``display(app)`` (or ``display(app.widget)``).

    ``now``: a fixed time for the worklist's ages (tests); ``search``: ``search(query, k)`` for the
    replacement and add boxes (default :func:`~medcoder.review.session.code_search`, its index built
    in a background thread right away); ``code_sets``: the code sets typed codes are checked against.
    """

    def __init__(
        self, api: ReviewApi, now: dt.datetime | None = None, search: CodeSearch | None = None,
        code_sets: CodeSets | None = None, limit: int = 50, route: str | None = None,
    ) -> None:  # fmt: skip
        self.api, self.now, self.code_sets, self.limit, self.route = api, now, code_sets, limit, route
        if search is None:
            threading.Thread(target=default_search_index, daemon=True, name="medcoder-search-index").start()
            search = functools.partial(code_search, code_sets=code_sets)
        self.search: CodeSearch = search
        self.session: ReviewSession | None = None
        self.last_error: Exception | None = None
        self.entries: list[WorklistEntry] = []
        self.open_buttons: dict[str, w.Button] = {}
        self.rows: dict[str, SuggestionRow] = {}
        self.status = _with_class(w.HTML(), "medcoder-status")
        self.refresh_button = _button("Refresh worklist", "medcoder-refresh")
        self.worklist_box, self.chart_box = w.VBox(), w.VBox()
        self._chart_widgets()
        self.widget = w.VBox([w.HBox([self.refresh_button, self.status]), self.worklist_box, self.chart_box])
        self._guard("refresh", self.refresh)

    def _repr_mimebundle_(self, **kwargs: object) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def _chart_widgets(self) -> None:
        """The widgets every chart shares (made once, so their handlers are bound once)."""
        self.head, self.details, self.added_list = w.HTML(), w.HTML(), w.HTML()
        self.note = _with_class(w.HTML(), "medcoder-note")
        self.show_all = _button("Show all evidence", "medcoder-show-all")
        self.accept_all_button = _button("Accept all remaining", "medcoder-accept-all")
        self.submit_button = _button("Submit", "medcoder-submit", "primary")
        self.add_query = _with_class(w.Text(placeholder="missed code: search"), "medcoder-add-code-query")
        self.add_select = _with_class(w.Dropdown(options=[]), "medcoder-add-code-select")
        self.add_phrase = _with_class(
            w.Text(placeholder="supporting text as in the note"), "medcoder-add-phrase"
        )
        self.add_start = _with_class(w.IntText(value=0, description="start"), "medcoder-add-start")
        self.add_end = _with_class(w.IntText(value=0, description="end"), "medcoder-add-end")
        self.add_reason = _with_class(w.Dropdown(options=REASON_OPTIONS, value=None), "medcoder-add-reason")
        self.add_button = _button("Add code", "medcoder-add-button", "warning")
        self.refresh_button.on_click(lambda _: self._guard("refresh", self.refresh))
        self.show_all.on_click(lambda _: self._show(None))
        self.accept_all_button.on_click(lambda _: self._guard("accept all", self._accept_all))
        self.submit_button.on_click(lambda _: self._guard("submit", self.submit))
        self.add_query.observe(lambda ch: self._fill(self.add_select, ch["new"]), names="value")
        self.add_phrase.observe(
            lambda ch: self._guard("find text", lambda: self._locate(ch["new"])), names="value"
        )
        self.add_button.on_click(lambda _: self._guard("add", self._add))
        self.add_area = w.VBox([
            w.HTML("<h4>Add a missed code</h4>"), w.HBox([self.add_query, self.add_select]),
            w.HBox([self.add_phrase, self.add_start, self.add_end]), w.HBox([self.add_reason, self.add_button]),
            self.added_list,
        ])  # fmt: skip

    # --- status and errors ------------------------------------------------------------------
    def say(self, message: str, error: bool = False) -> None:
        """Show ``message`` on the status line (escaped; red when ``error``)."""
        colour = "#c92a2a" if error else "#2b8a3e"
        self.status.value = f'<span style="color:{colour}">{html.escape(message)}</span>'

    def _guard(self, what: str, action: Callable[[], object]) -> object:
        """Run a click's action; a failure goes to the status line (and ``last_error``), not a log."""
        self.last_error = None
        try:
            return action()
        except Exception as exc:  # any failure of a click is shown to the coder, never lost
            self.last_error = exc
            log.warning("review %s failed: %s", what, type(exc).__name__)
            self.say(f"{what} failed: {exc}", error=True)
            return None

    def _need_session(self) -> ReviewSession:
        if self.session is None:
            raise ValueError("open a chart first")
        return self.session

    # --- worklist ---------------------------------------------------------------------------
    def refresh(self) -> int:
        """Reload the worklist; returns how many charts it lists."""
        self.entries = self.api.worklist(limit=self.limit, route=self.route)
        self.open_buttons = {}
        lines: list[w.Widget] = [w.HTML(f"<b>Worklist</b>: {len(self.entries)} open chart(s)")]
        for row in worklist_rows(self.entries, self.now or dt.datetime.now(dt.UTC)):
            button = _button("Open", f"medcoder-open-{css_token(row.request_id)}", "info")
            button.on_click(lambda _, rid=row.request_id: self._guard("open", lambda: self.open(rid)))
            self.open_buttons[row.request_id] = button
            text = (
                f"<code>{html.escape(row.request_id)}</code> {html.escape(row.route)} (priority {row.priority}), "
                f"{row.age_min} min, {row.n_codes} code(s): {html.escape(row.reasons)}"
            )
            lines.append(w.HBox([button, w.HTML(text)]))
        self.worklist_box.children = lines
        return len(self.entries)

    # --- one chart --------------------------------------------------------------------------
    def open(self, request_id: str) -> float:
        """Fetch and render one chart; returns the seconds it took (fetch + widgets)."""
        t0 = time.perf_counter()
        s = ReviewSession(self.api.item(request_id), self.code_sets)
        self.session = s
        facts, entry = s.item.facts, s.item.entry
        self.head.value = (
            f"<h3>Chart {html.escape(entry.request_id)} ({html.escape(entry.route)})</h3><p>"
            + html.escape(f"{facts.setting}, payer {facts.payer}, age {facts.age}, sex {facts.sex}, "
                          f"date {facts.date_of_service}, {facts.doc_type}; router: {'; '.join(entry.reasons)}")
            + "</p>"
        )  # fmt: skip
        self.note.value = highlight_html(s.text, s.suggestions)
        self.details.value = details_html(s.item.result)
        self.rows = {}
        for i, sug in enumerate(s.suggestions):
            self.rows.setdefault(sug.code, self._row(i))
        self.add_query.value = self.add_phrase.value = ""
        self.add_start.value = self.add_end.value = 0
        self.add_reason.value, self.added_list.value = None, ""
        self.chart_box.children = [
            self.head, self.show_all, self.note, *[r.box() for r in self.rows.values()],
            self.accept_all_button, self.details, self.add_area, self.submit_button,
        ]  # fmt: skip
        self._enable(True)
        self.say(f"opened chart {request_id}: {len(s.suggestions)} suggestion(s)")
        return time.perf_counter() - t0

    def _row(self, i: int) -> SuggestionRow:
        s = self._need_session()
        sug = s.suggestions[i]
        tok = css_token(sug.code)
        alts = ", ".join(f"{a.code} ({a.probability:.2f})" for a in sug.alternatives) or "none"
        snips = [
            evidence_snippet(s.text, e.start, e.end)
            for e in sug.evidence[:2]
            if 0 <= e.start < e.end <= len(s.text)
        ]
        row = SuggestionRow(
            code=sug.code,
            label=w.HTML(
                f"<b>{html.escape(sug.code)}</b> {html.escape(sug.description)} "
                f"({html.escape(sug.system)}, p={sug.probability:.2f}); alternatives: {html.escape(alts)}"
                f"<br><small>{html.escape('; '.join(snips) or 'no evidence span')}</small>"
            ),
            show=_button("Show", f"medcoder-show-{tok}"),
            accept=_button("Accept", f"medcoder-accept-{tok}", "success"),
            reason=_with_class(w.Dropdown(options=REASON_OPTIONS, value=None), f"medcoder-reason-{tok}"),
            reject=_button("Reject", f"medcoder-reject-{tok}", "danger"),
            modify_query=_with_class(
                w.Text(placeholder="replacement: search"), f"medcoder-modify-query-{tok}"
            ),
            modify_select=_with_class(w.Dropdown(options=[]), f"medcoder-modify-select-{tok}"),
            modify=_button("Modify", f"medcoder-modify-{tok}", "warning"),
            state=_with_class(w.HTML("<i>undecided</i>"), f"medcoder-state-{tok}"),
        )
        row.show.on_click(lambda _: self._show(sug.code))
        row.accept.on_click(lambda _: self._guard("accept", lambda: self._decide(i, lambda: s.accept(i))))
        row.reject.on_click(
            lambda _: self._guard("reject", lambda: self._decide(i, lambda: s.reject(i, _reason(row.reason))))
        )
        row.modify_query.observe(lambda ch: self._fill(row.modify_select, ch["new"]), names="value")
        row.modify.on_click(
            lambda _: self._guard("modify", lambda: self._decide(i, lambda: self._modify(i, row)))
        )
        return row

    def _show(self, code: str | None) -> None:
        s = self._need_session()
        self.note.value = highlight_html(s.text, s.suggestions, code)

    def _fill(self, dropdown: w.Dropdown, query: str) -> None:
        hits = (self._guard("search", lambda: self.search(query, SEARCH_K)) or []) if query.strip() else []
        dropdown.options = [(f"{h.code} {h.description[:90]} ({h.system})", (h.system, h.code)) for h in hits]
        dropdown.value = dropdown.options[0][1] if hits else None

    def _decide(self, i: int, decide: Callable[[], object]) -> None:
        s = self._need_session()
        decide()
        d = s.decision(i)
        row = self.rows[s.suggestions[i].code]
        if d is not None:
            extra = f" → {d.code.code}" if d.action == "modify" else ""
            reason = f" ({d.reason.value})" if d.reason is not None else ""
            row.state.value = f"<b>{html.escape(d.action + extra)}</b>{reason}"
        self.say(f"{s.suggestions[i].code}: {d.action if d else 'undecided'}; {len(s.undecided())} undecided")

    def _modify(self, i: int, row: SuggestionRow) -> None:
        if row.modify_select.value is None:
            raise ValueError("search for the replacement code and pick it from the list first")
        system, code = row.modify_select.value
        self._need_session().modify(i, code, _reason(row.reason), system=system)

    def _accept_all(self) -> None:
        s = self._need_session()
        for i in s.undecided():
            self._decide(i, lambda i=i: s.accept(i))

    # --- adding a missed code ---------------------------------------------------------------
    def _locate(self, phrase: str) -> None:
        if not phrase.strip():
            return
        found = find_phrase(self._need_session().text, phrase)
        if found is None:
            raise ValueError("that text does not occur in the note; type it as written or set start/end")
        self.add_start.value, self.add_end.value = found
        self.say(f"evidence at characters {found[0]}-{found[1]}")

    def _add(self) -> None:
        s = self._need_session()
        if self.add_select.value is None:
            raise ValueError("search for the missed code and pick it from the list first")
        system, code = self.add_select.value
        d = s.add(code, system, self.add_start.value, self.add_end.value, _reason(self.add_reason))
        self.added_list.value = "<br>".join(
            f"added <b>{html.escape(a.code.code)}</b> ({a.reason.value if a.reason else ''}): "
            + html.escape(evidence_snippet(s.text, a.code.evidence[0].start, a.code.evidence[0].end))
            for a in s.added
        )
        self.say(f"added {d.code.code}")

    # --- closing the chart ------------------------------------------------------------------
    def submit(self) -> FinalizeResponse:
        """Send the decisions and finalize (the Submit button), lock the chart, reload the worklist."""
        s = self._need_session()
        response = s.submit(self.api)
        self._enable(False)
        done = f"finalized chart {s.item.entry.request_id}: {len(s.final_codes())} code(s), audit seq {response.seq}"
        try:
            self.refresh()
        except Exception as exc:  # the chart is closed; only the list is stale
            done += f" (worklist not reloaded: {type(exc).__name__})"
        self.say(done)
        return response

    def _enable(self, on: bool) -> None:
        for widget in _walk(self.chart_box):
            if isinstance(widget, w.Button | w.Text | w.Dropdown | w.IntText):
                widget.disabled = not on

    def autopilot(
        self, add_code: str | None = None, add_phrase: str | None = None, reason: Reason | str = Reason.OTHER
    ) -> FinalizeResponse:
        """Click through one chart as a coder would (the headless notebook test): open the first chart,
        accept its first suggestion, add ``add_code`` supported by ``add_phrase``, accept whatever is
        left undecided (Submit needs a decision on each) and submit. RuntimeError names a failed step."""
        if not self.entries:
            raise RuntimeError("autopilot: the worklist is empty")
        steps: list[tuple[str, Callable[[], object]]] = [
            ("open", self.open_buttons[self.entries[0].request_id].click),
            ("accept", lambda: self.rows and next(iter(self.rows.values())).accept.click()),
        ]
        if add_code:
            steps.append(("add", lambda: self._autopilot_add(add_code, add_phrase or "", Reason(reason))))
        steps += [("accept all", self.accept_all_button.click), ("submit", self.submit_button.click)]
        for name, step in steps:
            step()
            if self.last_error is not None:
                raise RuntimeError(f"autopilot {name} failed: {self.last_error}") from self.last_error
        return self._need_session().finalized  # type: ignore[return-value]

    def _autopilot_add(self, code: str, phrase: str, reason: Reason) -> None:
        self.add_query.value = code
        bare = code.replace(".", "").strip().upper()
        match = [v for _, v in self.add_select.options if v[1].replace(".", "") == bare]
        if match:
            self.add_select.value = match[0]
        self.add_phrase.value = phrase
        if self.last_error is not None:  # the phrase is not in the note: stop before adding
            return
        self.add_reason.value = reason
        self.add_button.click()


def _reason(dropdown: w.Dropdown) -> Reason:
    if dropdown.value is None:
        raise ValueError("choose a reason from the menu first")
    return dropdown.value


def _walk(widget: w.Widget) -> Iterator[w.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
