"""CodiEsp (CLEF eHealth 2020, Task 1) loader and its code-mapping report.

Layout (Zenodo 3837305, unchanged)::

    <root>/<split>/text_files/<id>.txt      Spanish clinical case
    <root>/<split>/text_files_en/<id>.txt   machine-translated English (sentence-split)
    <root>/<split>/<split>D.tsv             id<TAB>code       (CIE-10-ES diagnoses, e.g. n44.8)
    <root>/<split>/<split>P.tsv             id<TAB>code       (CIE-10-ES procedures, e.g. bw03zzz, bw03)
    <root>/<split>/<split>X.tsv             id<TAB>DIAGNOSTICO|PROCEDIMIENTO<TAB>code<TAB>text<TAB>s e[;s e]

CIE-10-ES is the Spanish edition of ICD-10-CM / ICD-10-PCS 2018, so codes map one-to-one by
spelling: D codes become :attr:`CodeSystem.ICD10CM` in upper-case dotted form, P codes
:attr:`CodeSystem.ICD10PCS` in upper case (4-character P codes are the first four axes, which the
task allows). Codes keep their file order: the D/P files list codes in ranked order, which matters
for MAP. X offsets point into the Spanish text, so evidence spans are attached only when
``language="es"``; a discontinuous mention (``"2787 2801;2810 2823"``) contributes one span per part.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from medcoder.data.records import CodeLabel, CodeSystem, Document, Span
from medcoder.errors import InputFormatError

if TYPE_CHECKING:
    from medcoder.terminology.icd10cm import ICD10CM
    from medcoder.terminology.icd10pcs import ICD10PCS

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
TASKS = ("D", "P")
_TEXT_DIRS = {"en": "text_files_en", "es": "text_files"}
_TASK_SYSTEM = {"D": CodeSystem.ICD10CM, "P": CodeSystem.ICD10PCS}
_X_LABEL_TASK = {"DIAGNOSTICO": "D", "PROCEDIMIENTO": "P"}


def normalize_codiesp_code(code: str, task: str) -> str:
    """Canonical code of a CodiEsp row: ``n44.8`` -> ``N44.8`` (D), ``bw03zzz`` -> ``BW03ZZZ`` (P)."""
    code = code.strip().upper()
    if task == "D" and "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def _read_tsv(path: Path, n_fields: int) -> list[tuple[int, list[str]]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != n_fields or not all(f.strip() for f in fields):
                raise InputFormatError(
                    f"expected {n_fields} non-empty tab-separated fields, got {len(fields)}",
                    path=path,
                    line=lineno,
                )
            rows.append((lineno, fields))
    return rows


def _parse_offsets(text: str, path: Path, line: int) -> list[tuple[int, int]]:
    spans = []
    for part in text.split(";"):
        pieces = part.split()
        if len(pieces) != 2 or not all(p.isdigit() for p in pieces):
            raise InputFormatError(
                f"offsets {text!r} must look like 'start end[;start end...]'", path=path, line=line
            )
        start, end = int(pieces[0]), int(pieces[1])
        if end < start:
            raise InputFormatError(f"offset range {start} {end} ends before it starts", path=path, line=line)
        spans.append((start, end))
    return spans


def load_codiesp(
    root: Path, split: str, *, language: str = "en", tasks: Iterable[str] = TASKS
) -> list[Document]:
    """Load one CodiEsp split as documents with gold ICD-10-CM (D) and ICD-10-PCS (P) labels.

    Args:
        root: folder holding ``train/``, ``dev/`` and ``test/``.
        split: ``"train"``, ``"dev"`` or ``"test"``.
        language: ``"en"`` reads ``text_files_en`` (no spans), ``"es"`` reads ``text_files`` and
            attaches the X-file evidence spans to the labels.
        tasks: which code files to read, any of ``"D"`` and ``"P"``.

    Returns:
        One document per text file, sorted by id; labels D first then P, each in file order.
    """
    root = Path(root)
    if split not in SPLITS:
        raise ValueError(f"unknown CodiEsp split {split!r}; expected one of {', '.join(SPLITS)}")
    if language not in _TEXT_DIRS:
        raise ValueError(f"unknown CodiEsp language {language!r}; expected 'en' or 'es'")
    tasks = tuple(tasks)
    if not tasks or any(t not in TASKS for t in tasks):
        raise ValueError(f"tasks must be a non-empty subset of {TASKS}, got {tasks!r}")
    split_dir = root / split
    text_dir = split_dir / _TEXT_DIRS[language]
    if not text_dir.is_dir():
        raise FileNotFoundError(f"CodiEsp text folder not found: {text_dir}")

    codes: dict[str, list[tuple[str, str]]] = defaultdict(list)  # doc id -> [(task, code)]
    for task in tasks:
        path = split_dir / f"{split}{task}.tsv"
        seen: set[tuple[str, str]] = set()
        for _, (doc_id, raw) in _read_tsv(path, 2):
            key = (doc_id, normalize_codiesp_code(raw, task))
            if key not in seen:  # the files have no duplicates; guard anyway so labels stay unique
                seen.add(key)
                codes[doc_id].append((task, key[1]))

    spans: dict[tuple[str, str, str], list[Span]] = defaultdict(list)
    if language == "es":
        x_path = split_dir / f"{split}X.tsv"
        for lineno, (doc_id, label, raw, _mention, offsets) in _read_tsv(x_path, 5):
            task = _X_LABEL_TASK.get(label)
            if task is None:
                raise InputFormatError(
                    f"unknown X label {label!r} (DIAGNOSTICO or PROCEDIMIENTO)", path=x_path, line=lineno
                )
            if task in tasks:
                key = (doc_id, task, normalize_codiesp_code(raw, task))
                spans[key].extend(Span(s, e) for s, e in _parse_offsets(offsets, x_path, lineno))

    files = sorted(text_dir.glob("*.txt"))
    ids = {f.stem for f in files}
    orphans = sorted(set(codes) - ids)
    if orphans:
        raise InputFormatError(
            f"{len(orphans)} coded documents have no text file, e.g. {orphans[0]}", path=split_dir
        )
    docs = []
    for f in files:
        doc_id = f.stem
        text = f.read_text(encoding="utf-8")
        labels = []
        for task in tasks:  # D before P, each in file order
            for t, code in codes.get(doc_id, []):
                if t == task:
                    found = tuple(dict.fromkeys(spans.get((doc_id, task, code), ())))
                    labels.append(CodeLabel(_TASK_SYSTEM[task], code, found))
        docs.append(
            Document(
                id=doc_id,
                text=text,
                doc_type="clinical_case",
                source="codiesp",
                source_id=doc_id,
                language=language,
                labels=tuple(labels),
            )
        )
    log.info(
        "CodiEsp %s (%s): %d documents, %d labels",
        split,
        language,
        len(docs),
        sum(len(d.labels) for d in docs),
    )
    return docs


def load_codiesp_splits(
    root: Path, *, language: str = "en", tasks: Iterable[str] = TASKS
) -> dict[str, list[Document]]:
    """All three splits, in the order train, dev, test."""
    return {split: load_codiesp(root, split, language=language, tasks=tasks) for split in SPLITS}


# --------------------------------------------------------------------------- mapping report


@dataclass(frozen=True)
class SplitMapping:
    """How many codes of one split exist in the current US code sets."""

    documents: int
    d_rows: int
    d_codes: int
    d_unmapped_rows: int
    d_unmapped_codes: int
    p_rows: int
    p_codes: int
    p_unmapped_rows: int
    p_unmapped_codes: int


@dataclass(frozen=True)
class MappingReport:
    """CodiEsp codes (CIE-10-ES 2018) not found in the loaded ICD-10-CM / ICD-10-PCS releases.

    ``unmapped_d`` / ``unmapped_p`` map each missing code to its row count over all splits.
    ``d_missing_seventh`` lists the unmapped D codes that become valid once a 7th character is
    added (CodiEsp often omits the encounter character of injury codes: ``W19.XXX``).
    """

    cm_version: str
    pcs_version: str
    splits: dict[str, SplitMapping]
    unmapped_d: dict[str, int] = field(default_factory=dict)
    unmapped_p: dict[str, int] = field(default_factory=dict)
    d_missing_seventh: tuple[str, ...] = ()
    d_codes_total: int = 0
    p_codes_total: int = 0

    def to_markdown(self) -> str:
        """A short markdown summary: per-split table and the unmapped codes, most frequent first."""
        lines = [
            f"ICD-10-CM release: {self.cm_version}; ICD-10-PCS table: {self.pcs_version}",
            "",
            "| split | docs | D rows | D codes | D unmapped rows | D unmapped codes "
            "| P rows | P codes | P unmapped rows | P unmapped codes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, s in self.splits.items():
            lines.append(
                f"| {name} | {s.documents} | {s.d_rows} | {s.d_codes} | {s.d_unmapped_rows} | {s.d_unmapped_codes} "
                f"| {s.p_rows} | {s.p_codes} | {s.p_unmapped_rows} | {s.p_unmapped_codes} |"
            )
        lines += [
            "",
            f"Distinct D codes: {self.d_codes_total}, not in ICD-10-CM: {len(self.unmapped_d)}.",
            f"Of these, {len(self.d_missing_seventh)} only lack the 7th character (e.g. W19.XXX for W19.XXXA).",
            f"Distinct P codes: {self.p_codes_total}, not in ICD-10-PCS (nor a prefix of a code): {len(self.unmapped_p)}.",
        ]
        for title, codes in (("D", self.unmapped_d), ("P", self.unmapped_p)):
            top = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"{c} ({n})" for c, n in top[:40])
            more = f", ... {len(top) - 40} more" if len(top) > 40 else ""
            lines.append(
                f"Unmapped {title} codes (rows): {shown}{more}" if top else f"Unmapped {title} codes: none"
            )
        return "\n".join(lines) + "\n"


def codiesp_mapping_report(docs: Sequence[Document] | Mapping[str, Sequence[Document]]) -> MappingReport:
    """Check every CodiEsp code against the current ICD-10-CM and ICD-10-PCS code sets.

    A D code maps when ICD-10-CM knows it (category, subcategory or full code); a P code maps when
    it is a full ICD-10-PCS code or, for the 4-axis codes the task allows, a prefix of one. Pass a
    dict of splits to get counts per split; a plain list is reported as split ``"all"``.
    """
    from medcoder.terminology.icd10cm import get_icd10cm
    from medcoder.terminology.icd10pcs import get_icd10pcs

    cm, pcs = get_icd10cm(), get_icd10pcs()
    splits = dict(docs) if isinstance(docs, Mapping) else {"all": docs}
    cm_ok: dict[str, bool] = {}
    pcs_ok: dict[str, bool] = {}
    unmapped_d: dict[str, int] = defaultdict(int)
    unmapped_p: dict[str, int] = defaultdict(int)
    all_d: set[str] = set()
    all_p: set[str] = set()
    per_split = {}
    for name, split_docs in splits.items():
        counts = dict.fromkeys(("d_rows", "d_bad_rows", "p_rows", "p_bad_rows"), 0)
        d_codes: set[str] = set()
        p_codes: set[str] = set()
        d_bad: set[str] = set()
        p_bad: set[str] = set()
        for doc in split_docs:
            for label in doc.labels:
                if label.system == CodeSystem.ICD10CM:
                    ok = cm_ok.setdefault(label.code, cm.is_valid(label.code))
                    counts["d_rows"] += 1
                    d_codes.add(label.code)
                    if not ok:
                        counts["d_bad_rows"] += 1
                        d_bad.add(label.code)
                        unmapped_d[label.code] += 1
                elif label.system == CodeSystem.ICD10PCS:
                    ok = pcs_ok.setdefault(label.code, _pcs_known(pcs, label.code))
                    counts["p_rows"] += 1
                    p_codes.add(label.code)
                    if not ok:
                        counts["p_bad_rows"] += 1
                        p_bad.add(label.code)
                        unmapped_p[label.code] += 1
        all_d |= d_codes
        all_p |= p_codes
        per_split[name] = SplitMapping(
            documents=len(split_docs),
            d_rows=counts["d_rows"],
            d_codes=len(d_codes),
            d_unmapped_rows=counts["d_bad_rows"],
            d_unmapped_codes=len(d_bad),
            p_rows=counts["p_rows"],
            p_codes=len(p_codes),
            p_unmapped_rows=counts["p_bad_rows"],
            p_unmapped_codes=len(p_bad),
        )
    missing_seventh = tuple(sorted(c for c in unmapped_d if _lacks_seventh(cm, c)))
    return MappingReport(
        d_missing_seventh=missing_seventh,
        cm_version=str(getattr(cm, "version", "unknown")),
        pcs_version=str(getattr(pcs, "version", "unknown")),
        splits=per_split,
        unmapped_d=dict(unmapped_d),
        unmapped_p=dict(unmapped_p),
        d_codes_total=len(all_d),
        p_codes_total=len(all_p),
    )


def _pcs_known(pcs: ICD10PCS, code: str) -> bool:
    """Full PCS code, or (for CodiEsp's truncated codes) the prefix of at least one code."""
    return pcs.is_valid(code) if len(code) == 7 else pcs.is_valid_prefix(code)


_SEVENTH = "ABCDEFGHJKMNPQRS0123456789"  # every 7th character ICD-10-CM uses (no I, L, O)


def _lacks_seventh(cm: ICD10CM, code: str) -> bool:
    """A 6-character code that some 7th character turns into a valid ICD-10-CM code."""
    return len(code.replace(".", "")) == 6 and any(cm.is_valid(code + ch) for ch in _SEVENTH)
