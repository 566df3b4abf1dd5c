"""Check a hash chain: pure function over events in ``seq`` order and the chain head.

What each kind of tampering looks like:
- an edited field: the event's recomputed hash differs from its stored hash (``hash_mismatch``);
- a deleted event: a gap in ``seq`` (``sequence_gap``), or, at the end of the table, a chain head
  that points past the last event (``head_mismatch``);
- an inserted or reordered event: a gap or duplicate ``seq``, a hash that no longer matches because
  ``seq`` is hashed, or a ``prev_hash`` that is not the previous event's hash (``broken_link``).
Whoever can rewrite the whole table *and* the head can forge a consistent chain (SHA-256 has no
key), so publish :attr:`VerifyReport.head_hash` somewhere else and compare it later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from medcoder.audit.events import GENESIS_HASH, StoredEvent

MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the chain, at sequence number ``seq``."""

    seq: int
    kind: str  # sequence_gap | hash_mismatch | broken_link | head_mismatch | anchor_mismatch
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of :func:`verify_chain`; ``first_bad_seq`` is None when the chain is intact."""

    ok: bool
    n_events: int
    last_seq: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def first_bad_seq(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)

    def summary(self) -> str:
        """One line for logs and the CLI; names the first bad sequence number on failure."""
        if self.ok:
            return f"audit chain OK: {self.n_events} events, last seq {self.last_seq}, head {self.head_hash}"
        first = min(self.problems, key=lambda p: p.seq)
        return (
            f"audit chain BROKEN at seq {first.seq}: {first.kind} ({first.detail}); "
            f"{len(self.problems)} problem(s) in {self.n_events} events"
        )


def verify_chain(
    events: Iterable[StoredEvent],
    head_seq: int,
    head_hash: str,
    anchors: dict[int, str] | None = None,
) -> VerifyReport:
    """Walk ``events`` (ordered by ``seq``) and report every break in the chain.

    ``head_seq``/``head_hash`` come from the chain head row; ``anchors`` maps sequence numbers to
    hashes recorded elsewhere earlier (an external copy of a past head) and must still match.
    """
    problems: list[Problem] = []
    anchors = dict(anchors or {})
    expected_seq = 1
    prev_hash = GENESIS_HASH
    n = 0
    last_seq = 0

    def add(seq: int, kind: str, detail: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(seq, kind, detail))

    for event in events:
        n += 1
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                add(
                    expected_seq,
                    "sequence_gap",
                    f"expected seq {expected_seq}, next event has seq {event.seq}",
                )
            else:
                add(event.seq, "sequence_gap", f"seq {event.seq} out of order after {expected_seq - 1}")
        if event.prev_hash != prev_hash:
            add(event.seq, "broken_link", "prev_hash is not the hash of the event before it")
        if event.expected_hash() != event.hash:
            add(event.seq, "hash_mismatch", "stored hash does not match the event's fields")
        if event.seq in anchors and anchors.pop(event.seq) != event.hash:
            add(event.seq, "anchor_mismatch", "hash differs from the anchored value")
        prev_hash = event.hash
        last_seq = event.seq
        expected_seq = max(expected_seq, event.seq) + 1

    if head_seq != last_seq or head_hash != prev_hash:
        bad = min(head_seq, last_seq) + 1 if head_seq != last_seq else max(last_seq, 1)
        add(bad, "head_mismatch", f"chain head says seq {head_seq}, table ends at seq {last_seq}")
    for seq in sorted(anchors):
        add(seq, "anchor_mismatch", "anchored event is missing")
    return VerifyReport(
        ok=not problems, n_events=n, last_seq=last_seq, head_hash=prev_hash, problems=tuple(problems)
    )
