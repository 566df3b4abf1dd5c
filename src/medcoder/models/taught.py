"""Coder-taught phrases: candidates the Alphabetic Index does not reach, learned from coders' reviews.

The index coder scores only the codes its index matcher proposes, so a code the matcher never
proposes ("necrosis" coded I96, "HCV" coded B19.20 in CodiEsp) cannot be learned by refitting the
priors or the reranker. When coders add (or substitute) such a code in review and select the text
that supports it, that text becomes a *taught phrase*:

- normalised exactly as the matcher reads a clause (``medcoder.nlp.mentions.words_of``: stems,
  abbreviations expanded, stop words dropped), kept as a set of stems;
- kept when taught at least ``min_support`` times (default 2), so one coder's one selection does
  not change the model;
- consistent: a phrase taught for several codes keeps the code taught most often; a tie means the
  coders disagree and the phrase is dropped;
- at most ``max_words`` stems (default 6): a selection of a whole sentence is not a phrase.

At inference a phrase matches a clause the way an index entry does (all its stems within a window
of ``len + 1`` words, ``index_match.Positions``) and yields a ``Match`` with ``node = TAUGHT_NODE``:
the priors pool every taught phrase into one "coder-taught" path, so the reranker learns how often
taught phrases are right. Matches in negated, family or review-of-systems scope are dropped by the
same ``excluded_by_scope`` test the index matches pass, and the pipeline's ConText step checks their
evidence like any other code's. A taught phrase does not duplicate a code the index already proposes
in the same clause.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from medcoder.models.index_match import Match, Positions
from medcoder.nlp.mentions import Clause, excluded_by_scope, words_of

TAUGHT_NODE = -1
"""``Match.node`` (and ``Match.main``) of a taught-phrase match: no index node; one pooled path prior."""

TAUGHT_SYSTEM = "ICD-10-CM"  # the index coder codes ICD-10-CM only


def phrase_stems(text: str) -> frozenset[str]:
    """The stems a phrase is matched by, as the index matcher reads a clause."""
    return frozenset(w.stem for w in words_of(text))


@dataclass(frozen=True)
class TaughtPhrase:
    """One learned phrase: its stems, the code coders gave it, and how often they did."""

    stems: frozenset[str]
    code: str
    support: int

    def to_dict(self) -> dict:
        return {"stems": sorted(self.stems), "code": self.code, "support": self.support}

    @classmethod
    def from_dict(cls, d: dict) -> TaughtPhrase:
        return cls(frozenset(d["stems"]), str(d["code"]), int(d["support"]))


@dataclass
class TaughtPhrases:
    """The phrases learned from review, and counts of the teachings that were not kept (and why)."""

    phrases: tuple[TaughtPhrase, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_word: dict[str, list[TaughtPhrase]] = {}
        for p in self.phrases:
            if not p.stems:
                raise ValueError(f"taught phrase for {p.code} has no words")
            key = max(p.stems, key=lambda w: (len(w), w))  # the longest stem: usually the rarest
            self._by_word.setdefault(key, []).append(p)

    def __len__(self) -> int:
        return len(self.phrases)

    @classmethod
    def learn(
        cls,
        pairs: Iterable[tuple[str, str, str]],
        *,
        min_support: int = 2,
        max_words: int = 6,
        known: Callable[[str], bool] | None = None,
    ) -> TaughtPhrases:
        """Phrases from ``(evidence text, system, code)`` teachings (see the module doc for the rules).

        ``known`` (e.g. ``ICD10CM.is_billable``) drops codes the coder cannot suggest."""
        if min_support < 1 or max_words < 1:
            raise ValueError("min_support and max_words must be at least 1")
        dropped: Counter[str] = Counter()
        votes: dict[frozenset[str], Counter[str]] = {}
        for text, system, code in pairs:
            code = code.strip().upper()
            if system != TAUGHT_SYSTEM:
                dropped["other_system"] += 1
                continue
            if known is not None and not known(code):
                dropped["unknown_code"] += 1
                continue
            stems = phrase_stems(text)
            if not stems:
                dropped["no_words"] += 1
            elif len(stems) > max_words:
                dropped["too_long"] += 1
            else:
                votes.setdefault(stems, Counter())[code] += 1
        kept: list[TaughtPhrase] = []
        for stems, counts in votes.items():
            (code, n), *rest = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if rest and rest[0][1] == n:
                dropped["conflicting"] += sum(counts.values())
            elif n < min_support:
                dropped["rare"] += sum(counts.values())
            else:
                dropped["outvoted"] += sum(counts.values()) - n
                kept.append(TaughtPhrase(stems, code, n))
        kept.sort(key=lambda p: (p.code, sorted(p.stems)))
        return cls(tuple(kept), {k: v for k, v in sorted(dropped.items()) if v})

    def matches(self, text: str, parts: Sequence[Clause], proposed: Sequence[Match] = ()) -> list[Match]:
        """Taught-phrase matches of a note's clauses, in clause order; ``proposed`` are the index's
        matches (a code it already proposes in a clause is not proposed again there)."""
        if not self.phrases:
            return []
        have = {(m.clause, m.code) for m in proposed}
        out: list[Match] = []
        for k, clause in enumerate(parts):
            here = Positions(clause)
            seen: set[str] = set()
            for stem in dict.fromkeys(w.stem for w in clause.words):  # text order: deterministic
                for p in self._by_word.get(stem, ()):
                    if p.code in seen or (k, p.code) in have or not here.compact(set(p.stems)):
                        continue
                    spans = [(w.start, w.end) for w in clause.words if w.stem in p.stems]
                    start = min(s for s, _ in spans)
                    if excluded_by_scope(text, clause, start):
                        continue
                    seen.add(p.code)
                    out.append(
                        Match(code=p.code, index_code=p.code, node=TAUGHT_NODE, main=TAUGHT_NODE, clause=k,
                              start=start, end=max(e for _, e in spans), n_required=len(p.stems),
                              n_optional=0, depth=0, outside=False, main_words=len(p.stems), words=p.stems)
                    )  # fmt: skip
        return out

    def to_dict(self) -> dict:
        return {"phrases": [p.to_dict() for p in self.phrases], "dropped": dict(self.dropped)}

    @classmethod
    def from_dict(cls, d: dict) -> TaughtPhrases:
        return cls(tuple(TaughtPhrase.from_dict(p) for p in d["phrases"]), dict(d.get("dropped", {})))
