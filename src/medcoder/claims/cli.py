"""``medcoder claims``: export approved charts as 837s, ingest 835s, claim status, denial model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

CLAIMS_DB_ENV = "MEDCODER_CLAIMS_DB"
AUDIT_DB_ENV = "MEDCODER_AUDIT_DB"

group = typer.Typer(
    help="Claims: X12 837 export, 835 remittance ingest, status, denial model.", no_args_is_help=True
)


def _store_option() -> str:
    return typer.Option("sqlite:///medcoder_claims.db", "--store", envvar=CLAIMS_DB_ENV,
                        help=f"Claims database URL or SQLite path (default ${CLAIMS_DB_ENV}).")  # fmt: skip


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@group.command("export")
def export_cmd(
    document_id: str = typer.Option(..., "--document-id", help="The coded chart (audit document id)."),
    out: Path = typer.Option(..., "--out", help="Where to write the 837."),
    audit_db: str = typer.Option(
        None, "--audit-db", envvar=AUDIT_DB_ENV, help="Audit store with the decisions."
    ),
    context: Path = typer.Option(
        None, "--context", help="Billing context YAML/JSON (default: packaged example)."
    ),
    charge_master: Path = typer.Option(
        None, "--charge-master", help="code,charge CSV (default: packaged example)."
    ),
    request_id: str = typer.Option(
        None, "--request-id", help="Export this coding request (default: the latest)."
    ),
    fhir: Path = typer.Option(None, "--fhir", help="Also write the FHIR R4 Claim as JSON here."),
    usage: str = typer.Option("P", "--usage", help="ISA15: P production, T test."),
    denial_model: Path = typer.Option(None, "--denial-model", help="Denial model dir: hold risky claims."),
    override_prebill: bool = typer.Option(
        False, "--override-prebill", help="Export despite a pre-bill hold."
    ),
    store: str = _store_option(),
) -> None:
    """Export an approved chart (auto-finalized, or decided by coders) as an 837 and record it."""
    import datetime as dt

    from medcoder.audit.roles import Role
    from medcoder.audit.store import AuditStore, AuditWriteError
    from medcoder.claims.approve import NotApproved
    from medcoder.claims.denial import DenialModel
    from medcoder.claims.encounter import load_charge_master, load_context
    from medcoder.claims.export import ClaimRejected, PrebillHold, export_claim, exported_event
    from medcoder.claims.store import ClaimsStore, ClaimsStoreError
    from medcoder.errors import InputFormatError

    try:
        ctx, fees = load_context(context), load_charge_master(charge_master)
        model = DenialModel.load(denial_model) if denial_model is not None else None
        audit = AuditStore(audit_db)
        with ClaimsStore(store) as claims:
            export = export_claim(audit.events(document_id=document_id), document_id, context=ctx, fees=fees,
                                  store=claims, when=dt.datetime.now(), request_id=request_id, usage=usage,
                                  denial_model=model, override_prebill=override_prebill)  # fmt: skip
            try:
                audit.append(exported_event(export, actor_id="cli-billing", actor_role=Role.BILLING))
            except AuditWriteError:
                claims.forget_claim(export.claim.claim_id)  # nothing leaves unaudited
                raise
    except (NotApproved, PrebillHold, ClaimRejected, ClaimsStoreError, InputFormatError, ValueError,
            AuditWriteError) as exc:  # fmt: skip
        _fail(str(exc))
    out.write_text(export.x12)
    if fhir is not None:
        fhir.write_text(json.dumps(export.fhir, indent=2) + "\n")
    claim = export.claim
    risk = "" if export.denial_risk is None else f", denial risk {export.denial_risk:.2f}"
    typer.echo(f"claim {claim.claim_id}: {len(claim.diagnoses)} diagnoses, {len(claim.lines)} lines, "
               f"total {claim.total_charge}, ISA {export.interchange_control:09d}{risk} -> {out}")  # fmt: skip


@group.command("ingest-835")
def ingest_cmd(
    files: list[Path] = typer.Argument(..., help="835 files."),
    store: str = _store_option(),
    audit_db: str = typer.Option(None, "--audit-db", envvar=AUDIT_DB_ENV, help="Audit store (for linkage)."),
) -> None:
    """Ingest 835 remittances: checked, balanced, idempotent; a bad file is reported and skipped."""
    from medcoder.claims.store import ClaimsStore

    with ClaimsStore(store, audit_url=audit_db) as claims:
        reports = claims.ingest_files(files)
    for r in reports:
        if r.error:
            typer.echo(f"REJECTED {r.source}: {r.error}")
        elif r.duplicate:
            typer.echo(f"duplicate {r.source}: already ingested, nothing written")
        else:
            typer.echo(f"ingested {r.source}: {r.claim_payments} claim payments, {r.lines} lines, "
                       f"{r.linked_lines} linked, {r.unmatched_payments} unmatched")  # fmt: skip
    if any(r.error for r in reports):
        raise typer.Exit(1)


@group.command("status")
def status_cmd(
    claim_id: str = typer.Argument(..., help="Claim id (CLM01)."),
    store: str = _store_option(),
    audit_db: str = typer.Option(
        None, "--audit-db", envvar=AUDIT_DB_ENV, help="Audit store (coder decisions)."
    ),
) -> None:
    """Where a claim stands, and each paid or denied line with its codes, CARCs and model version."""
    from medcoder.claims.store import ClaimsStore

    with ClaimsStore(store, audit_url=audit_db) as claims:
        try:
            status = claims.claim_status(claim_id)
        except KeyError:
            _fail(f"no claim or remittance with id {claim_id}")
        lines = claims.linked_lines(claim_id)
    typer.echo(f"claim {claim_id}: {status.value}")
    for line in lines:
        carcs = ",".join(line.carcs) or "-"
        typer.echo(f"  line {line.line_number} {line.procedure} charge {line.charge} paid {line.paid} CARC {carcs} "
                   f"dx {','.join(line.diagnoses)} model {line.model_version or '-'} "
                   f"decisions {len(line.decisions)}")  # fmt: skip


@group.command("validate")
def validate_cmd(file: Path = typer.Argument(..., help="An X12 837 or 835 file.")) -> None:
    """Check an X12 file with pyx12 against its 5010 implementation guide."""
    from medcoder.claims.validate import pyx12_errors

    errors = pyx12_errors(file.read_text(encoding="utf-8"))
    typer.echo(f"{file}: {len(errors)} errors")
    for message in errors[:50]:
        typer.echo(f"  {message}")
    if errors:
        raise typer.Exit(1)


@group.command("train-denials")
def train_denials_cmd(
    out: Path = typer.Option(Path("eval/out/denial_model"), "--out", help="Model directory."),
    seed: int = typer.Option(0, "--seed"),
    train_share: float = typer.Option(0.7, "--train-share", help="Earliest share of lines to train on."),
) -> None:
    """Train the denial model on simulator-adjudicated Synthea claims; evaluate on a time split."""
    from medcoder.claims.denial_train import train_denial_model

    e = train_denial_model(out, seed=seed, train_share=train_share)
    typer.echo(f"denial model -> {out}: AUROC {e.auroc:.3f}, Brier {e.brier:.4f} (base rate {e.brier_baseline:.4f}), "
               f"CARC top-1 {e.carc_top1:.2f}, test {e.n_test} lines from {e.split_date[:10]}")  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(group, name="claims")
