"""Batch intake of files: sniff the format, parse, and never let one bad file stop the batch.

Formats by name and content: ``*.json`` / ``*.json.gz`` FHIR (resource or Bundle), ``*.ndjson``
/ ``*.ndjson.gz`` FHIR bulk export (the NDJSON files of one batch are read as one export, see
``medcoder.ingest.fhir_ndjson``), ``*.xml`` C-CDA, ``*.hl7`` (or ``*.txt`` starting with ``MSH|``)
HL7 v2, ``*.pdf`` PDF (text or scanned), ``*.txt`` plain text. Every file yields parsed documents
or ``Rejection``s with a reason, even when a parser has a bug (the error's type is reported, the
batch goes on); the report from ``ingest_paths`` accounts for every input. Logs carry file counts
and document ids only, never note text or patient details.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from medcoder.data.records import Document
from medcoder.errors import InputFormatError
from medcoder.ingest.binary import check_text
from medcoder.ingest.ccda import parse_ccda
from medcoder.ingest.fhir_ndjson import parse_ndjson, parse_ndjson_by_file
from medcoder.ingest.fhir_parse import Sectionizer
from medcoder.ingest.fhir_resource import parse_fhir_resource
from medcoder.ingest.hl7v2 import parse_hl7v2, split_messages
from medcoder.ingest.model import BatchReport, FileLine, IngestedDocument, Rejection
from medcoder.ingest.pdf import extract_pdf
from medcoder.ingest.readiness import ReadinessPolicy, triage
from medcoder.ingest.text import decode_bytes, normalise_whitespace
from medcoder.nlp.sections import rule_sections

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 50_000_000
FHIR_SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz")
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")


def _unzip(data: bytes, lower: str) -> tuple[bytes, str]:
    """Size check, then gunzip ``*.gz``; returns the bytes and the name without ``.gz``."""
    if len(data) > MAX_FILE_BYTES:
        raise InputFormatError(f"file is {len(data)} bytes, over the {MAX_FILE_BYTES} byte limit")
    if not lower.endswith(".gz"):
        return data, lower
    try:
        return gzip.decompress(data), lower[:-3]
    except (OSError, EOFError) as e:
        raise InputFormatError(f"not valid gzip: {e}") from e


def _rejection(name: str, e: InputFormatError) -> Rejection:
    return Rejection(name, e.problem + (f" (line {e.line})" if e.line else ""))


def _internal(name: str, e: Exception) -> Rejection:
    """A parser bug must not stop the batch: reject the file naming the error type (never its text)."""
    log.error("parser error on %s: %s", name, type(e).__name__)
    return Rejection(name, f"could not be parsed (internal {type(e).__name__}; please report it)")


def parse_bytes(
    data: bytes, name: str, *, sectionizer: Sectionizer | None = None
) -> list[IngestedDocument | Rejection]:
    """Parse one file's bytes (``name`` picks the format); failures become ``Rejection``s."""
    sectionizer = sectionizer or rule_sections
    try:
        data, lower = _unzip(data, name.lower())
        if lower.endswith(".ndjson"):
            return parse_ndjson([(name, data)], sectionizer=sectionizer)
        if lower.endswith(".json"):
            try:
                resource = json.loads(data)
            except UnicodeDecodeError as e:
                raise InputFormatError(f"JSON is not UTF-8 (byte offset {e.start})") from e
            except json.JSONDecodeError as e:
                raise InputFormatError(f"malformed JSON: {e.msg}", line=e.lineno) from e
            except RecursionError as e:
                raise InputFormatError("JSON is nested too deeply") from e
            if not isinstance(resource, dict):
                raise InputFormatError("JSON is not an object (expected a FHIR resource)")
            return parse_fhir_resource(resource, where=name, sectionizer=sectionizer)
        if lower.endswith(".xml"):
            return [parse_ccda(data, where=name)]
        if lower.endswith(".pdf"):
            return [parse_pdf(data, name, sectionizer=sectionizer)]
        if lower.endswith(".hl7") or (lower.endswith(".txt") and data.lstrip().startswith(b"MSH|")):
            return parse_hl7_file(data, name)
        if lower.endswith(".txt"):
            return [parse_text(data, name, sectionizer=sectionizer)]
        raise InputFormatError(f"unsupported file type {Path(name).suffix or '(none)'}")
    except InputFormatError as e:
        return [_rejection(name, e)]
    except Exception as e:  # noqa: BLE001 - the last guard of "never lose a batch"
        return [_internal(name, e)]


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
    text = normalise_whitespace(check_text(data, "utf-8", "text file", name))
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
    paths: Iterable[Path],
    *,
    policy: ReadinessPolicy | None = None,
    sectionizer: Sectionizer | None = None,
    only: tuple[str, ...] | None = None,
) -> BatchReport:
    """Parse every file, check readiness, and report ready / held / rejected documents.

    The NDJSON files of the batch are parsed together as one bulk export. With ``only`` (name
    suffixes), other files are rejected with that reason instead of parsed.
    """
    tagged: list[tuple[str, IngestedDocument | Rejection]] = []
    ndjson: list[tuple[str, bytes]] = []
    names: list[str] = []
    for path in iter_files(paths):
        name, lower = str(path), path.name.lower()
        names.append(name)
        if only is not None and not lower.endswith(only):
            tagged.append((name, Rejection(name, f"not one of the accepted file types ({', '.join(only)})")))
            continue
        try:
            data = path.read_bytes()
        except OSError as e:
            tagged.append((name, Rejection(name, f"cannot read file: {e.strerror}")))
            continue
        if not lower.endswith(NDJSON_SUFFIXES):
            tagged.extend((name, r) for r in parse_bytes(data, name, sectionizer=sectionizer))
            continue
        try:
            ndjson.append((name, _unzip(data, lower)[0]))
        except InputFormatError as e:
            tagged.append((name, _rejection(name, e)))
    if ndjson:
        try:
            tagged.extend(parse_ndjson_by_file(ndjson, sectionizer=sectionizer or rule_sections))
        except Exception as e:  # noqa: BLE001 - as in parse_bytes
            tagged.extend((name, _internal(name, e)) for name, _ in ndjson)
    report = triage((r for _, r in tagged), policy)
    report.files = _file_lines(names, tagged)
    log.info("ingested %d files: %s", len(names), report.summary())
    return report


def _file_lines(names: list[str], tagged: list[tuple[str, IngestedDocument | Rejection]]) -> list[FileLine]:
    docs: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for name, result in tagged:
        (rejected if isinstance(result, Rejection) else docs)[name] += 1
    return [FileLine(name, docs[name], rejected[name]) for name in names]
