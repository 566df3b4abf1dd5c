"""Batch intake of files: sniff the format, parse, and never let one bad file stop the batch.

Formats by name and content: ``*.json`` / ``*.json.gz`` FHIR (resource or Bundle), ``*.xml``
C-CDA, ``*.hl7`` (or text starting with ``MSH|``) HL7 v2, ``*.pdf`` PDF (text or scanned),
``*.txt`` plain text. Every file yields parsed documents or ``Rejection``s with a reason; the
report from ``ingest_paths`` accounts for every input. Logs carry file counts and document ids
only, never note text or patient details.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from medcoder.data.records import Document
from medcoder.errors import InputFormatError
from medcoder.ingest.ccda import parse_ccda
from medcoder.ingest.fhir_parse import Sectionizer
from medcoder.ingest.fhir_resource import parse_fhir_resource
from medcoder.ingest.hl7v2 import parse_hl7v2, split_messages
from medcoder.ingest.model import BatchReport, IngestedDocument, Rejection
from medcoder.ingest.pdf import extract_pdf
from medcoder.ingest.readiness import ReadinessPolicy, triage
from medcoder.ingest.text import decode_bytes, normalise_whitespace
from medcoder.nlp.sections import rule_sections

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 50_000_000


def parse_bytes(
    data: bytes, name: str, *, sectionizer: Sectionizer | None = None
) -> list[IngestedDocument | Rejection]:
    """Parse one file's bytes (``name`` picks the format); failures become ``Rejection``s."""
    sectionizer = sectionizer or rule_sections
    lower = name.lower()
    try:
        if len(data) > MAX_FILE_BYTES:
            raise InputFormatError(f"file is {len(data)} bytes, over the {MAX_FILE_BYTES} byte limit")
        if lower.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as e:
                raise InputFormatError(f"not valid gzip: {e}") from e
            lower = lower[:-3]
        if lower.endswith(".json"):
            try:
                resource = json.loads(data)
            except UnicodeDecodeError as e:
                raise InputFormatError(f"JSON is not UTF-8 (byte offset {e.start})") from e
            except json.JSONDecodeError as e:
                raise InputFormatError(f"malformed JSON: {e.msg}", line=e.lineno) from e
            if not isinstance(resource, dict):
                raise InputFormatError("JSON is not an object (expected a FHIR resource)")
            return parse_fhir_resource(resource, where=name, sectionizer=sectionizer)
        if lower.endswith(".xml"):
            return [parse_ccda(data, where=name)]
        if lower.endswith(".pdf"):
            return [parse_pdf(data, name, sectionizer=sectionizer)]
        if lower.endswith((".hl7", ".txt")) and data.lstrip().startswith(b"MSH|"):
            return parse_hl7_file(data, name)
        if lower.endswith(".txt"):
            return [parse_text(data, name, sectionizer=sectionizer)]
        raise InputFormatError(f"unsupported file type {Path(name).suffix or '(none)'}")
    except InputFormatError as e:
        line = f" (line {e.line})" if e.line else ""
        return [Rejection(name, e.problem + line)]


def parse_hl7_file(data: bytes, name: str) -> list[IngestedDocument | Rejection]:
    """Every message in an HL7 v2 file; a bad message is rejected, the others still parse."""
    out: list[IngestedDocument | Rejection] = []
    for i, msg in enumerate(split_messages(decode_bytes(data, "utf-8", where=name))):
        try:
            out.append(parse_hl7v2(msg, where=f"{name}#{i + 1}"))
        except InputFormatError as e:
            out.append(Rejection(name, e.problem, f"message {i + 1}"))
    return out


def parse_pdf(data: bytes, name: str, *, sectionizer: Sectionizer | None = None) -> IngestedDocument:
    """A PDF file as one document (patient and encounter unknown: readiness will say so)."""
    pdf = extract_pdf(data, where=name)
    doc = Document(id=f"pdf:{Path(name).stem}", text=pdf.text, sections=sectionizer(pdf.text) if sectionizer else (),
                   source="pdf", source_id=Path(name).name)  # fmt: skip
    return IngestedDocument(doc, ocr_confidence=pdf.ocr_confidence)


def parse_text(data: bytes, name: str, *, sectionizer: Sectionizer | None = None) -> IngestedDocument:
    """A plain-text note (UTF-8) as one document."""
    text = normalise_whitespace(decode_bytes(data, "utf-8", where=name))
    doc = Document(id=f"text:{Path(name).stem}", text=text, sections=sectionizer(text) if sectionizer else (),
                   source="text", source_id=Path(name).name)  # fmt: skip
    return IngestedDocument(doc)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under ``paths`` (directories recursively, sorted; hidden files skipped)."""
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        else:
            yield p


def ingest_paths(
    paths: Iterable[Path], *, policy: ReadinessPolicy | None = None, sectionizer: Sectionizer | None = None
) -> BatchReport:
    """Parse every file, check readiness, and report ready / held / rejected documents."""
    results: list[IngestedDocument | Rejection] = []
    n_files = 0
    for path in iter_files(paths):
        n_files += 1
        try:
            data = path.read_bytes()
        except OSError as e:
            results.append(Rejection(str(path), f"cannot read file: {e.strerror}"))
            continue
        results.extend(parse_bytes(data, str(path), sectionizer=sectionizer))
    report = triage(results, policy)
    log.info("ingested %d files: %s", n_files, report.summary())
    return report
