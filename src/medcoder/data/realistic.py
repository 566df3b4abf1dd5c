"""The team's realistic dev set: US-style notes hand-coded with ICD-10-CM, CPT/HCPCS and evidence.

Layout (``data/realistic/`` in the repository; see ``data_cards/realistic.md`` and
``docs/annotation_guide.md``)::

    notes/<note_id>.txt        notes the team wrote (office visit, H&P, discharge, ED, consult, op note)
    annotations/<batch>.jsonl  one JSON object per coded note (any number of batch files)
    agreement/<coder>.jsonl    second, independent codings of some notes (inter-coder agreement)

MTSamples notes are not copied into the project: an annotation names the MTSamples row and the
SHA-256 of its transcription, and :func:`load_realistic` reads the text from the shared data
folder, so the offsets are checked against exactly the text the coder saw.

One annotation::

    {"note_id": "rd-a-001", "source": "team" | "mtsamples", "mtsamples_row": 1234,
     "text_sha256": "...", "note_type": "office_visit", "specialty": "...",
     "setting": "outpatient" | "inpatient" | "emergency", "split": "dev" | "holdout",
     "coder": "a",
     "codes": [{"system": "ICD-10-CM", "code": "E11.22", "principal": false,
                "evidence": [{"start": 10, "end": 24, "text": "type 2 diabetes"}]}],
     "distractors": [{"kind": "negated", "start": 0, "end": 9, "text": "no chest pain",
                      "code": "R07.9"}],
     "comment": "why, when the choice is not obvious"}

``distractors`` are statements a careless coder would code but a coder following the Official
Guidelines must not (negated, family history, resolved, rule-out/possible in outpatient care,
hypothetical); ``code`` is the code such a coder would wrongly assign.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medcoder.data.records import CodeLabel, CodeSystem, Document, Setting, Span
from medcoder.paths import REPO_ROOT, shared_data_dir
from medcoder.terminology.icd10cm import get_icd10cm

NOTE_TYPES = (
    "office_visit",
    "hp",
    "discharge_summary",
    "ed",
    "consult",
    "operative",
    "procedure",
    "progress",
    "radiology",
    "other",
)
DISTRACTOR_KINDS = ("negated", "family", "resolved", "rule_out", "hypothetical", "historical")
SPLITS = ("dev", "holdout")


class AnnotationError(ValueError):
    """An annotation that does not match its note or the schema; the message names file and note."""


@dataclass(frozen=True, slots=True)
class Evidence:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class GoldCode:
    system: CodeSystem
    code: str
    evidence: tuple[Evidence, ...]
    principal: bool = False


@dataclass(frozen=True, slots=True)
class Distractor:
    kind: str
    start: int
    end: int
    text: str
    code: str | None


@dataclass(frozen=True, slots=True)
class RealisticNote:
    """One coded note: its text, encounter facts and the gold a coder assigned."""

    note_id: str
    source: str
    text: str
    note_type: str
    specialty: str
    setting: Setting
    split: str
    coder: str
    codes: tuple[GoldCode, ...]
    distractors: tuple[Distractor, ...]

    def codes_of(self, system: CodeSystem) -> set[str]:
        return {c.code for c in self.codes if c.system is system}

    def document(self) -> Document:
        """The note as a ``Document`` with gold labels (evidence spans kept)."""
        labels = tuple(
            CodeLabel(c.system, c.code, tuple(Span(e.start, e.end) for e in c.evidence)) for c in self.codes
        )
        return Document(
            id=self.note_id,
            text=self.text,
            doc_type=self.note_type,
            setting=self.setting,
            source=f"realistic:{self.source}",
            labels=labels,
        )


def realistic_dir() -> Path:
    return REPO_ROOT / "data" / "realistic"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MTSamples:
    """Row index -> transcription of the shared MTSamples CSV (read once)."""

    def __init__(self, path: Path | None = None) -> None:
        import pandas as pd  # pandas is a heavy import; only the loaders of MTSamples need it

        self.path = path or shared_data_dir() / "mtsamples" / "mtsamples.csv.gz"
        if not self.path.exists():
            raise FileNotFoundError(f"MTSamples not found at {self.path} (set MEDCODER_SHARED_DATA)")
        with gzip.open(self.path, "rt", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, index_col=0)
        self.frame = frame

    def text(self, row: int) -> str:
        value = self.frame.loc[row, "transcription"]
        if not isinstance(value, str) or not value.strip():
            raise KeyError(f"MTSamples row {row} has no transcription")
        return value


@functools.cache
def mtsamples() -> MTSamples:
    """The shared MTSamples table, read once per process (4,999 rows, about 1 s)."""
    return MTSamples()


def _req(obj: dict, key: str, where: str):  # type: ignore[no-untyped-def]
    if key not in obj:
        raise AnnotationError(f"{where}: missing field {key!r}")
    return obj[key]


def _span(obj: dict, text: str, where: str) -> tuple[int, int, str]:
    start, end, quoted = (
        int(_req(obj, "start", where)),
        int(_req(obj, "end", where)),
        str(_req(obj, "text", where)),
    )
    if not 0 <= start < end <= len(text):
        raise AnnotationError(f"{where}: span [{start},{end}) outside the note's {len(text)} characters")
    if text[start:end] != quoted:
        raise AnnotationError(
            f"{where}: text[{start}:{end}] is {text[start:end]!r}, annotation says {quoted!r}"
        )
    return start, end, quoted


def parse_annotation(obj: dict, text: str, where: str) -> RealisticNote:
    """Validate one annotation against its note text; raise ``AnnotationError`` naming ``where``."""
    note_id = str(_req(obj, "note_id", where))
    where = f"{where} note {note_id}"
    if obj.get("text_sha256") and obj["text_sha256"] != sha256_text(text):
        raise AnnotationError(f"{where}: text_sha256 does not match the note text (the source changed)")
    note_type = str(_req(obj, "note_type", where))
    if note_type not in NOTE_TYPES:
        raise AnnotationError(f"{where}: note_type {note_type!r} not in {NOTE_TYPES}")
    split = str(_req(obj, "split", where))
    if split not in SPLITS:
        raise AnnotationError(f"{where}: split {split!r} not in {SPLITS}")
    try:
        setting = Setting(str(_req(obj, "setting", where)))
    except ValueError as e:
        raise AnnotationError(f"{where}: {e}") from None
    codes = []
    for k, c in enumerate(_req(obj, "codes", where)):
        w = f"{where} codes[{k}]"
        try:
            system = CodeSystem(str(_req(c, "system", w)))
        except ValueError as e:
            raise AnnotationError(f"{w}: {e}") from None
        ev = tuple(
            Evidence(*_span(e, text, f"{w} evidence[{i}]")) for i, e in enumerate(_req(c, "evidence", w))
        )
        if not ev:
            raise AnnotationError(f"{w}: a gold code needs at least one evidence span")
        codes.append(
            GoldCode(system, str(_req(c, "code", w)).strip().upper(), ev, bool(c.get("principal", False)))
        )
    distractors = []
    for k, d in enumerate(obj.get("distractors", [])):
        w = f"{where} distractors[{k}]"
        kind = str(_req(d, "kind", w))
        if kind not in DISTRACTOR_KINDS:
            raise AnnotationError(f"{w}: kind {kind!r} not in {DISTRACTOR_KINDS}")
        s, e, q = _span(d, text, w)
        distractors.append(Distractor(kind, s, e, q, d.get("code")))
    return RealisticNote(
        note_id=note_id,
        source=str(_req(obj, "source", where)),
        text=text,
        note_type=note_type,
        specialty=str(obj.get("specialty", "")),
        setting=setting,
        split=split,
        coder=str(obj.get("coder", "")),
        codes=tuple(codes),
        distractors=tuple(distractors),
    )


def _lines(path: Path) -> Iterator[tuple[int, dict]]:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                raise AnnotationError(f"{path.name}:{n}: not JSON ({e.msg})") from None


def note_text(obj: dict, root: Path, where: str) -> str:
    """The text an annotation refers to: the team's note file or the MTSamples row."""
    source = obj.get("source")
    if source == "team":
        path = root / "notes" / f"{obj.get('note_id')}.txt"
        if not path.exists():
            raise AnnotationError(f"{where}: team note file {path.name} not found in notes/")
        return path.read_text(encoding="utf-8")
    if source == "mtsamples":
        return mtsamples().text(int(_req(obj, "mtsamples_row", where)))
    raise AnnotationError(f"{where}: source must be 'team' or 'mtsamples', got {source!r}")


def load_file(path: Path, root: Path | None = None) -> list[RealisticNote]:
    """The notes of one annotation file, validated (``root``: the folder holding ``notes/``)."""
    root = root or path.parent.parent
    return [
        parse_annotation(obj, note_text(obj, root, f"{path.name}:{n}"), f"{path.name}:{n}")
        for n, obj in _lines(path)
    ]


def load_realistic(
    split: str | None = None, root: Path | None = None, folder: str = "annotations"
) -> list[RealisticNote]:
    """All annotated notes (``split`` = "dev" | "holdout" | None for both), in note_id order.

    Raises ``AnnotationError`` on the first invalid annotation or a note_id coded twice."""
    root = root or realistic_dir()
    notes: dict[str, RealisticNote] = {}
    for path in sorted((root / folder).glob("*.jsonl")):
        for note in load_file(path, root):
            if note.note_id in notes:
                raise AnnotationError(f"{path.name}: note {note.note_id} is annotated twice")
            notes[note.note_id] = note
    return [notes[k] for k in sorted(notes) if split is None or notes[k].split == split]


def icd_codes_not_billable(notes: Iterable[RealisticNote]) -> list[tuple[str, str]]:
    """(note_id, code) for every ICD-10-CM gold code that is not a billable FY2026 code."""
    cm = get_icd10cm()
    return [
        (n.note_id, c.code)
        for n in notes
        for c in n.codes
        if c.system is CodeSystem.ICD10CM and not (cm.is_valid(c.code) and cm.is_billable(c.code))
    ]


def locate(text: str, quote: str, nth: int = 0) -> dict:
    """``{"start", "end", "text"}`` of the ``nth`` occurrence of ``quote`` in ``text`` (annotators' helper)."""
    start = -1
    for _ in range(nth + 1):
        start = text.find(quote, start + 1)
        if start < 0:
            raise AnnotationError(f"{quote!r} occurs fewer than {nth + 1} times in the note")
    return {"start": start, "end": start + len(quote), "text": quote}


def check_paths(paths: Iterable[Path]) -> list[str]:
    """Validate annotation files; one line per problem (empty when all is well)."""
    problems: list[str] = []
    for path in paths:
        try:
            notes = load_file(path)
        except (AnnotationError, KeyError, FileNotFoundError) as e:
            problems.append(str(e))
            continue
        problems += [f"{path.name} note {n}: {c} is not a billable FY2026 ICD-10-CM code"
                     for n, c in icd_codes_not_billable(notes)]  # fmt: skip
    return problems


if __name__ == "__main__":
    import sys

    found = check_paths(Path(p) for p in sys.argv[1:])
    print("\n".join(found) or "ok")
    raise SystemExit(1 if found else 0)


def agreement(first: Iterable[RealisticNote], second: Iterable[RealisticNote]) -> dict[str, float]:
    """Inter-coder agreement on ICD-10-CM over the notes both coded.

    ``f1_exact`` / ``f1_category``: micro-F1 of one coder's code sets against the other's (symmetric),
    on full codes and on 3-character categories. ``kappa``: Cohen's kappa over (note, code) decisions,
    the codes being every code either coder used anywhere in the sample (so "both did not assign"
    is counted for codes that were plausible in the sample, not for all 74k codes)."""
    a = {n.note_id: n.codes_of(CodeSystem.ICD10CM) for n in first}
    b = {n.note_id: n.codes_of(CodeSystem.ICD10CM) for n in second}
    ids = sorted(set(a) & set(b))

    def f1(x: dict[str, set[str]], y: dict[str, set[str]]) -> float:
        tp = sum(len(x[i] & y[i]) for i in ids)
        return 2 * tp / max(1, sum(len(x[i]) + len(y[i]) for i in ids))

    cat = lambda d: {i: {c[:3] for c in d[i]} for i in ids}  # noqa: E731
    universe = sorted(set().union(*(a[i] | b[i] for i in ids))) if ids else []
    pairs = [(c in a[i], c in b[i]) for i in ids for c in universe]
    n = max(1, len(pairs))
    observed = sum(x == y for x, y in pairs) / n
    pa, pb = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    return {"notes": float(len(ids)), "f1_exact": f1(a, b), "f1_category": f1(cat(a), cat(b)), "kappa": kappa}
