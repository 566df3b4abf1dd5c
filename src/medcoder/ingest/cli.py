"""Command-line entry points of medcoder.ingest (registered by medcoder.cli).

``medcoder ingest fhir|ccda|hl7|pdf|dir`` parse sources (``fhir``: a server, or Bundle / NDJSON
bulk-export files) into ``Document`` records, check chart readiness, write ready documents in the
dataset format (``--out`` .jsonl/.csv/.parquet) or post them to the coding service
(``--send-to``), and write a JSON report of held-back and rejected documents and of every input
file (``--report``). Output on the terminal is counts and reasons, never note text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from medcoder.data.codec import document_to_dict
from medcoder.data.io import write_documents
from medcoder.ingest.model import BatchReport
from medcoder.ingest.readiness import triage
from medcoder.nlp.pipeline import medspacy_sections
from medcoder.nlp.sections import rule_sections

# medcoder.cli imports this module for `medcoder --help`: the modules that need the optional ingest
# extra (lxml, fhir.resources, httpx, pyjwt) are imported inside the commands that use them.

group = typer.Typer(help="Clinical document intake: FHIR R4, C-CDA, HL7 v2, PDF/OCR, with readiness checks.",
                    no_args_is_help=True)  # fmt: skip

OUT = typer.Option(None, "--out", help="Write ready documents here (.jsonl, .csv or .parquet).")
REPORT = typer.Option(
    None, "--report", help="Write the full report (held and rejected, with reasons) as JSON."
)
SEND = typer.Option(
    None, "--send-to", help="POST each ready document (dataset JSON shape) to this coding-service URL."
)
ALL = typer.Option(False, "--include-held", help="Also write held-back documents to --out.")
MEDSPACY = typer.Option(
    False, "--medspacy-sections", help="Detect sections in plain text with medspacy (slower)."
)


def _sectionizer(medspacy: bool):  # noqa: ANN202
    return medspacy_sections if medspacy else rule_sections


def _finish(
    report: BatchReport, out: Path | None, report_path: Path | None, send_to: str | None, include_held: bool
) -> None:
    docs = [d.document for d in (report.parsed if include_held else report.ready)]
    if out is not None:
        write_documents(docs, out)
    if send_to:
        import httpx

        with httpx.Client(timeout=60) as http:
            for doc in docs:
                http.post(send_to, json=document_to_dict(doc)).raise_for_status()
    if report_path is not None:
        report_path.write_text(json.dumps(report_to_dict(report), indent=2), encoding="utf-8")
    console = Console()
    table = Table(title="intake")
    for col in ("files", "ready", "held", "rejected"):
        table.add_column(col, justify="right")
    s = report.summary()
    files = str(len(report.files)) if report.files else "-"
    table.add_row(files, str(s["ready"]), str(s["held"]), str(s["rejected"]))
    console.print(table)
    if report.rejected:
        rej = Table(title="rejected")
        rej.add_column("source")
        rej.add_column("id")
        rej.add_column("reason")
        for r in report.rejected:
            rej.add_row(Path(r.source).name, r.source_id or "", r.reason)
        console.print(rej)


def report_to_dict(report: BatchReport) -> dict:
    """The JSON shape of ``--report``: counts, held documents with findings, rejections, and one line
    per input file (documents parsed, rejections) when the input was files."""
    return {
        "summary": report.summary(),
        "ready": [d.document.id for d in report.ready],
        "held": [
            {
                "id": d.document.id,
                "source_id": d.document.source_id,
                "findings": [{"check": f.check, "severity": f.severity, "reason": f.reason} for f in fs],
            }
            for d, fs in report.held
        ],  # fmt: skip
        "rejected": [
            {"source": r.source, "source_id": r.source_id, "reason": r.reason} for r in report.rejected
        ],
        "files": [{"path": f.path, "documents": f.documents, "rejected": f.rejected} for f in report.files],
    }


def _files(
    paths: list[Path], out: Path | None, report: Path | None, send_to: str | None, held: bool, ms: bool,
    only: tuple[str, ...] | None = None,
) -> None:  # fmt: skip
    from medcoder.ingest.batch import ingest_paths

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise typer.BadParameter(f"not found: {', '.join(missing)}")
    _finish(ingest_paths(paths, sectionizer=_sectionizer(ms), only=only), out, report, send_to, held)


@group.command("ccda")
def ccda(paths: list[Path], out: Path | None = OUT, report: Path | None = REPORT, send_to: str | None = SEND,
         include_held: bool = ALL) -> None:  # fmt: skip
    """Parse C-CDA XML documents (and section fragments)."""
    _files(paths, out, report, send_to, include_held, False)


@group.command("hl7")
def hl7(paths: list[Path], out: Path | None = OUT, report: Path | None = REPORT, send_to: str | None = SEND,
        include_held: bool = ALL, medspacy_sections: bool = MEDSPACY) -> None:  # fmt: skip
    """Parse HL7 v2 files (MDM^T02, ORU^R01; one or more messages per file)."""
    _files(paths, out, report, send_to, include_held, medspacy_sections)


@group.command("pdf")
def pdf(paths: list[Path], out: Path | None = OUT, report: Path | None = REPORT, send_to: str | None = SEND,
        include_held: bool = ALL, medspacy_sections: bool = MEDSPACY) -> None:  # fmt: skip
    """Extract PDFs (text layer, or Tesseract OCR for scanned pages)."""
    _files(paths, out, report, send_to, include_held, medspacy_sections)


@group.command("dir")
def directory(paths: list[Path], out: Path | None = OUT, report: Path | None = REPORT, send_to: str | None = SEND,
              include_held: bool = ALL, medspacy_sections: bool = MEDSPACY) -> None:  # fmt: skip
    """Ingest every file under the given folders (format chosen per file)."""
    _files(paths, out, report, send_to, include_held, medspacy_sections)


@group.command("fhir")
def fhir(
    paths: list[Path] | None = typer.Argument(
        None,
        help="FHIR files instead of a server: Bundles or resources (.json, .json.gz), bulk-export "
        "NDJSON (.ndjson, .ndjson.gz; the files given are read as one export), or folders of them.",
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="FHIR R4 base URL (search a server)."),
    since: dt.datetime | None = typer.Option(
        None, "--since", formats=["%Y-%m-%d"], help="Documents dated on/after."
    ),
    patient: str | None = typer.Option(None, "--patient", help="Patient id or reference."),
    encounter: str | None = typer.Option(None, "--encounter", help="Encounter id or reference."),
    any_doc_status: bool = typer.Option(False, "--any-doc-status", help="Do not require docStatus=final."),
    client_id: str | None = typer.Option(None, "--client-id", help="SMART backend-services client id."),
    key_file: Path | None = typer.Option(None, "--key-file", help="PEM private key for the RS384 assertion."),
    token_url: str | None = typer.Option(None, "--token-url", help="Token endpoint (default: discovered)."),
    out: Path | None = OUT,
    report: Path | None = REPORT,
    send_to: str | None = SEND,
    include_held: bool = ALL,
    medspacy_sections: bool = MEDSPACY,
) -> None:
    """Ingest FHIR documents from a server (--base-url: DocumentReferences with status current and
    docStatus final) or from files (a Bundle, an NDJSON bulk export), without standing up a server."""
    if paths and not base_url:
        server_only = {"--since": since, "--patient": patient, "--encounter": encounter, "--client-id": client_id,
                       "--any-doc-status": any_doc_status or None}  # fmt: skip
        given = [k for k, v in server_only.items() if v is not None]
        if given:
            raise typer.BadParameter(f"{', '.join(given)} only apply with --base-url")
        from medcoder.ingest.batch import FHIR_SUFFIXES

        _files(paths, out, report, send_to, include_held, medspacy_sections, only=FHIR_SUFFIXES)
        return
    if not base_url or paths:
        raise typer.BadParameter(
            "give either --base-url or FHIR files (a Bundle .json or bulk-export .ndjson)"
        )
    from medcoder.ingest.fhir_client import FhirClient
    from medcoder.ingest.smart_auth import SmartBackendAuth, discover_token_endpoint

    auth = None
    if client_id:
        if key_file is None:
            raise typer.BadParameter("--client-id needs --key-file")
        url = token_url or discover_token_endpoint(base_url)
        auth = SmartBackendAuth(url, client_id, key_file.read_bytes())
    with FhirClient(base_url, auth=auth) as client:
        results = list(client.documents(
            sectionizer=_sectionizer(medspacy_sections), patient=patient, encounter=encounter,
            since=since.date() if since else None, doc_status=None if any_doc_status else "final",
        ))  # fmt: skip
    _finish(triage(results), out, report, send_to, include_held)


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root medcoder command."""
    root.add_typer(group, name="ingest")
