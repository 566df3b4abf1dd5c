"""One chart under review: the coder's decisions, their feedback requests and the final codes.

A :class:`ReviewSession` holds one decision per suggested code (accept, reject with a reason,
modify to another code with a reason) and the codes the coder added (with a reason and the
offsets of the supporting text). It turns them into the feedback API's requests (one per
decision) and the finalize call's code list. :meth:`ReviewSession.submit` sends each decision
exactly once, remembering what went through, so a retry after a failure resends only the rest.

Codes a coder types are checked against the code sets before they are accepted: ICD-10-CM must
be a billable code of the release, CPT must be in the CPT set in use, HCPCS in the loaded release.
Error messages name codes and offsets, never note text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from medcoder.audit.events import CodeRef, OffsetRef, Reason
from medcoder.coding.result import Suggestion
from medcoder.review.api import ReviewApi
from medcoder.review.records import FinalizeResponse, ReviewItem, ReviewStatus, WorklistEntry
from medcoder.terminology.codesets import CodeSets, default_code_sets
from medcoder.terminology.cpt import normalize_cpt
from medcoder.terminology.icd10cm import normalize_icd10cm
from medcoder.terminology.search import SearchHit, SearchIndex, build_index
from medcoder.terminology.systems import CodeSystem

MAX_EVIDENCE = 20  # CodeRef.evidence holds at most 20 offset pairs

CodeSearch = Callable[[str, int], list[SearchHit]]
"""``search(query, k)`` -> the best ``k`` codes for a replacement or added code."""


def _reason(reason: Reason | str) -> Reason:
    try:
        return Reason(reason)
    except ValueError:
        raise ValueError(f"reason must be one of {[r.value for r in Reason]}, got {reason!r}") from None


def validate_code(system: str, code: str, code_sets: CodeSets | None = None) -> str:
    """The canonical form of ``code`` if it is a code a coder may put on this chart, else ValueError
    saying what is wrong (unknown system, wrong shape, not in the release, not billable)."""
    cs = code_sets or default_code_sets()
    try:
        sys = CodeSystem(system)
    except ValueError:
        raise ValueError(
            f"unknown code system {system!r}; use one of {[s.value for s in CodeSystem]}"
        ) from None
    if sys is CodeSystem.ICD10CM:
        canon = normalize_icd10cm(code)
        if not cs.icd10cm.is_valid(canon):
            raise ValueError(f"{canon} is not an ICD-10-CM code of release {cs.icd10cm.version}")
        if not cs.icd10cm.is_billable(canon):
            raise ValueError(f"{canon} is an ICD-10-CM category, not a billable code: pick a code below it")
        return canon
    if sys is CodeSystem.CPT:
        canon = normalize_cpt(code)
        if not cs.cpt.is_valid(canon):
            raise ValueError(f"{canon} is not in the CPT code set in use ({cs.cpt.version})")
        return canon
    canon = code.strip().upper()
    if sys is CodeSystem.HCPCS:
        if cs.hcpcs is None:
            raise ValueError("no HCPCS release is loaded, so HCPCS codes cannot be checked or added")
        if not cs.hcpcs.is_valid(canon):
            raise ValueError(f"{canon!r} is not an HCPCS code of release {cs.hcpcs.version}")
        return canon
    if not cs.icd10pcs.is_valid(canon):
        raise ValueError(f"{canon!r} is not an ICD-10-PCS code")
    return canon


def find_phrase(text: str, phrase: str) -> tuple[int, int] | None:
    """Offsets of the first occurrence of ``phrase`` in ``text``: exact first, else ignoring case and
    treating any run of whitespace as matching any other; None when it does not occur."""
    words = phrase.split()
    if not words:
        return None
    at = text.find(phrase.strip())
    if at >= 0:
        return at, at + len(phrase.strip())
    m = re.search(r"\s+".join(re.escape(w) for w in words), text, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the coder decided on one code. ``code`` is the code the decision leaves on the chart
    (accept, modify, add) or takes off it (reject); ``previous`` the suggestion a modify replaces."""

    action: Literal["accept", "reject", "modify", "add"]
    code: CodeRef
    reason: Reason | None = None
    previous: CodeRef | None = None

    @property
    def keeps(self) -> bool:
        return self.action != "reject"


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One line of the worklist table (no note text)."""

    request_id: str
    priority: int
    route: str
    age_min: int
    reasons: str
    n_codes: int


def worklist_rows(entries: Sequence[WorklistEntry], now: dt.datetime | None = None) -> list[WorklistRow]:
    """Table rows for the worklist; ``age_min`` is whole minutes since the chart was queued."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
    rows = []
    for e in entries:
        age = (now - dt.datetime.fromisoformat(e.created_at)).total_seconds() // 60
        rows.append(WorklistRow(e.request_id, e.priority, e.route, max(0, int(age)), "; ".join(e.reasons),
                                e.n_suggestions))  # fmt: skip
    return rows


_INDEX_LOCK = threading.Lock()


@functools.cache
def _search_index() -> SearchIndex:
    rel = default_code_sets().hcpcs
    systems = [CodeSystem.ICD10CM.value, CodeSystem.CPT.value] + ([CodeSystem.HCPCS.value] if rel else [])
    return build_index(systems, hcpcs_release=rel)


def default_search_index() -> SearchIndex:
    """BM25 over billable ICD-10-CM, the CPT set and, when its release file is present, HCPCS
    (built once per process, about 5 s; a lock keeps a warm-up thread and the UI from building twice)."""
    with _INDEX_LOCK:
        return _search_index()


def code_search(
    query: str, k: int = 10, index: SearchIndex | None = None, code_sets: CodeSets | None = None
) -> list[SearchHit]:
    """Codes for the replacement / add box: a query that is itself a valid code comes first (score
    ``inf``), then the BM25 hits over descriptions (:func:`default_search_index` unless ``index``)."""
    if not query.strip():
        return []
    cs = code_sets or default_code_sets()
    exact: list[SearchHit] = []
    for system in (CodeSystem.ICD10CM, CodeSystem.CPT, CodeSystem.HCPCS):
        try:
            canon = validate_code(system.value, query, cs)
        except ValueError:
            continue
        exact.append(SearchHit(canon, system.value, cs.description(system, canon), float("inf")))
    hits = (index or default_search_index()).search(query, k)
    seen = {(h.system, h.code) for h in exact}
    return (exact + [h for h in hits if (h.system, h.code) not in seen])[:k]


def _offsets(spans: Sequence[tuple[int, int]], n: int) -> tuple[OffsetRef, ...]:
    return tuple(OffsetRef(start=a, end=b) for a, b in spans if 0 <= a < b <= n)[:MAX_EVIDENCE]


class ReviewSession:
    """The decisions on one opened chart; see the module docstring."""

    def __init__(self, item: ReviewItem, code_sets: CodeSets | None = None) -> None:
        self.item = item
        self.text = item.text
        self.suggestions: list[Suggestion] = list(item.result.suggestions)
        self.code_sets = code_sets
        self._decisions: dict[int, Decision] = {}
        self._added: dict[tuple[str, str], Decision] = {}
        self._sent: set[tuple[str, object]] = set()
        self.finalized: FinalizeResponse | None = None

    # --- looking things up ------------------------------------------------------------------
    def index_of(self, key: int | str) -> int:
        """The suggestion index of ``key`` (an index, or a suggested code)."""
        if isinstance(key, int):
            if not 0 <= key < len(self.suggestions):
                raise ValueError(f"no suggestion {key}: this chart has {len(self.suggestions)}")
            return key
        for i, s in enumerate(self.suggestions):
            if s.code == key:
                return i
        raise ValueError(f"code {key!r} is not among this chart's suggestions")

    def suggested_ref(self, index: int) -> CodeRef:
        """The suggestion as a code reference: system, code, probability and evidence offsets."""
        s = self.suggestions[index]
        spans = [(e.start, e.end) for e in s.evidence]
        return CodeRef(system=s.system, code=s.code, probability=s.probability,
                       evidence=_offsets(spans, len(self.text)))  # fmt: skip

    def decision(self, key: int | str) -> Decision | None:
        return self._decisions.get(self.index_of(key))

    @property
    def added(self) -> list[Decision]:
        return list(self._added.values())

    def undecided(self) -> list[int]:
        """Indexes of suggestions without a decision yet."""
        return [i for i in range(len(self.suggestions)) if i not in self._decisions]

    # --- deciding ---------------------------------------------------------------------------
    def _check_open(self, sent_key: tuple[str, object] | None = None) -> None:
        if self.finalized is not None or self.item.entry.status != ReviewStatus.OPEN:
            raise ValueError(
                f"chart {self.item.entry.request_id} is finalized; decisions can no longer change"
            )
        if sent_key is not None and sent_key in self._sent:
            raise ValueError("this decision was already sent to the audit trail and cannot change")

    def _decide(self, key: int | str, decision: Decision) -> Decision:
        i = self.index_of(key)
        self._check_open(("s", i))
        self._decisions[i] = decision
        return decision

    def accept(self, key: int | str) -> Decision:
        return self._decide(key, Decision("accept", self.suggested_ref(self.index_of(key))))

    def reject(self, key: int | str, reason: Reason | str) -> Decision:
        return self._decide(key, Decision("reject", self.suggested_ref(self.index_of(key)), _reason(reason)))

    def modify(
        self, key: int | str, new_code: str, reason: Reason | str, start: int | None = None,
        end: int | None = None, system: str | None = None,
    ) -> Decision:  # fmt: skip
        """Replace a suggestion by ``new_code`` (same system unless given). The evidence is
        ``[start, end)`` when given, else the suggestion's own evidence."""
        i = self.index_of(key)
        old = self.suggested_ref(i)
        system = system or old.system
        canon = validate_code(system, new_code, self.code_sets)
        if canon == old.code and system == old.system:
            raise ValueError(f"{canon} is the suggested code itself: accept it instead of modifying it")
        evidence = old.evidence if start is None and end is None else self._evidence(start, end)
        alt = {(a.system, a.code): a.probability for a in self.suggestions[i].alternatives}
        new = CodeRef(system=system, code=canon, probability=alt.get((system, canon)), evidence=evidence)
        return self._decide(i, Decision("modify", new, _reason(reason), previous=old))

    def add(self, code: str, system: str, start: int, end: int, reason: Reason | str) -> Decision:
        """Add a code the model missed, with the offsets of the text that supports it."""
        self._check_open()
        evidence = self._evidence(start, end)
        canon = validate_code(system, code, self.code_sets)
        if any(s.system == system and s.code == canon for s in self.suggestions):
            raise ValueError(f"{canon} is already suggested: accept or modify that suggestion instead")
        if (system, canon) in self._added:
            raise ValueError(f"{canon} was already added to this chart")
        decision = Decision("add", CodeRef(system=system, code=canon, evidence=evidence), _reason(reason))
        self._added[(system, canon)] = decision
        return decision

    def undo(self, key: int | str) -> None:
        """Forget a decision not yet sent: a suggestion's (index or code) or an added code's."""
        self._check_open()
        for (system, code), _ in list(self._added.items()):
            if code == key:
                if ("a", (system, code)) in self._sent:
                    raise ValueError("this decision was already sent to the audit trail and cannot change")
                del self._added[(system, code)]
                return
        i = self.index_of(key)
        self._check_open(("s", i))
        self._decisions.pop(i, None)

    def accept_all_remaining(self) -> int:
        """Accept every suggestion without a decision; returns how many."""
        todo = self.undecided()
        for i in todo:
            self.accept(i)
        return len(todo)

    def _evidence(self, start: int | None, end: int | None) -> tuple[OffsetRef, ...]:
        if start is None or end is None:
            raise ValueError("evidence needs both a start and an end offset")
        if not 0 <= start < end <= len(self.text):
            raise ValueError(
                f"evidence offsets must satisfy 0 <= start < end <= {len(self.text)} (note length); "
                f"got start={start}, end={end}"
            )
        return (OffsetRef(start=start, end=end),)

    # --- what goes to the service -----------------------------------------------------------
    def _keyed_requests(self) -> list[tuple[tuple[str, object], dict]]:
        entry = self.item.entry
        out = []
        keyed = [(("s", i), self._decisions[i]) for i in sorted(self._decisions)]
        keyed += [(("a", k), d) for k, d in self._added.items()]
        for key, d in keyed:
            out.append((key, {
                "document_id": entry.document_id,
                "request_id": entry.request_id,
                "action": d.action,
                "codes": [_json(d.code)],
                "previous_codes": [_json(d.previous)] if d.previous is not None else [],
                "reason": d.reason.value if d.reason is not None else None,
            }))  # fmt: skip
        return out

    def feedback_requests(self) -> list[dict]:
        """One ``FeedbackRequest`` JSON dict per decision: suggestions in order, then added codes."""
        return [req for _, req in self._keyed_requests()]

    def final_codes(self) -> list[CodeRef]:
        """Accepted suggestions, replacements (at the suggestion's place) and added codes, in that
        order, each (system, code) once."""
        kept = [self._decisions[i].code for i in sorted(self._decisions) if self._decisions[i].keeps]
        kept += [d.code for d in self._added.values()]
        seen: set[tuple[str, str]] = set()
        out = []
        for c in kept:
            if (c.system, c.code) not in seen:
                seen.add((c.system, c.code))
                out.append(c)
        return out

    def submit(self, api: ReviewApi) -> FinalizeResponse:
        """Send every decision not sent yet (each once), then finalize the chart with
        :meth:`final_codes`. Every suggestion needs a decision first. Errors propagate; what was sent
        before one stays sent, so calling ``submit`` again resumes where it stopped."""
        self._check_open()
        todo = self.undecided()
        if todo:
            codes = ", ".join(self.suggestions[i].code for i in todo)
            raise ValueError(
                f"{len(todo)} suggestion(s) still need a decision (accept, reject or modify): {codes}"
            )
        for key, request in self._keyed_requests():
            if key not in self._sent:
                api.feedback(**request)
                self._sent.add(key)
        self.finalized = api.finalize(self.item.entry.request_id, self.final_codes())
        return self.finalized


def _json(code: CodeRef) -> dict:
    return code.model_dump(mode="json", exclude_defaults=True)
