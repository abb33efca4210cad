"""`regia credentials …` (verifiable credentials of the certification domain), `regia ingest standards` and
`regia demo-data certification`.

``verify`` exits 0 only when every credential in the file is valid; 1 otherwise (tampered, revoked, unknown
issuer, not delegated, expired, malformed), printing each verdict with its reason (``--json``: the verdicts).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from regia.auth.errors import DomainError
from regia.auth.principal import cli_principal
from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Verifiable credentials (Open Badges 3.0, eddsa-rdfc-2022).")


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@app.command("list")
def list_credentials(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """Every credential: id, certificate, issuer, status."""
    from regia.certification import credentials

    with Session(engine()) as session:
        rows = [{"credential_id": c.id, "certificate_id": c.document_id,
                 "certificate": c.body.get("name"), "kind": c.kind, "issuer": c.issuer.name,
                 "issued_at": c.issued_at.isoformat(), "status": "revoked" if c.revoked_at else "active",
                 "revocation_reason": c.revocation_reason}
                for c in credentials.list_visible(session, principal=cli_principal(), limit=100_000)]
    if as_json:
        print_json(rows)
        return
    table = Table("credential", "certificate", "issuer", "status")
    table.columns[0].overflow = "fold"
    for row in rows:
        table.add_row(str(row["credential_id"]), str(row["certificate_id"]), str(row["issuer"]), str(row["status"]))
    console.print(table)


@app.command("issue")
def issue(certificate: str = typer.Option(..., "--certificate", help="Certificate document id or number"),
          out: Path = typer.Option(..., "-o", "--out", help="File to write the credential(s) into")) -> None:
    """Issue the credentials of a certificate not issued yet and write them (an object for one competence, a
    list for several)."""
    from regia.certification import credentials, procedure

    actor = cli_principal()
    eng = engine()
    with Session(eng) as session:
        try:
            document = procedure.document_by_number_or_id(session, principal=actor, ref=certificate)
            if document.kind != "certificate":
                raise fail(f"{certificate} is a {document.kind} document, not a certificate", 2)
            request = procedure.get(session, principal=actor, id=document.request_id)
            credentials.issue(session, actor=actor, request=request, document=document)
            session.commit()
        except DomainError as exc:
            raise fail(exc.detail) from None
        bodies = [c.body for c in credentials.of_document(session, document.id)]
    _write(out, bodies[0] if len(bodies) == 1 else bodies)
    err.print(f"{len(bodies)} credential(s) of {document.number} written to {out}")


@app.command("show")
def show(credential_id: str = typer.Argument(..., help="Credential id (UUID or urn:uuid:…)"),
         out: Path = typer.Option(..., "-o", "--out", help="File to write the signed credential into")) -> None:
    """Write a credential as it was issued (signed JSON-LD)."""
    from regia.certification import credentials

    with Session(engine()) as session:
        try:
            credential = credentials.get(session, principal=cli_principal(), id=credential_id)
        except DomainError as exc:
            raise fail(exc.detail) from None
        _write(out, credential.body)
    err.print(f"credential {credential_id} written to {out}")


@app.command("revoke")
def revoke(credential_id: str = typer.Argument(..., help="Credential id"),
           reason: str = typer.Option(..., "--reason", help="Why it is revoked (kept and shown to verifiers)")) -> None:
    """Revoke a credential: its status list bit is set and the list re-signed (audited)."""
    from regia.certification import credentials

    with Session(engine()) as session:
        try:
            credential = credentials.revoke(session, actor=cli_principal(), id=credential_id, reason=reason)
            session.commit()
        except DomainError as exc:
            raise fail(exc.detail) from None
        console.print(f"revoked {credential.id} (status list {credential.status_list_id}, "
                      f"index {credential.status_index})")


@app.command("verify")
def verify(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A credential (JSON), or a list"),
           as_json: bool = typer.Option(False, "--json", help="Print the verdict(s) as JSON"),
           trust_key: str = typer.Option(None, "--trust-key", metavar="MULTIBASE",
                                         help="Trust this Ed25519 publicKeyMultibase for the verification method")
           ) -> None:
    """Verify credentials: valid / tampered / revoked / unknown issuer / not delegated / expired / malformed.
    Exit code 0 only when valid."""
    from regia.certification import verify as verifier

    raw = file.read_bytes()
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        parsed = None
    items = parsed if isinstance(parsed, list) and parsed else [raw if parsed is None else parsed]
    with Session(engine()) as session:
        verdicts = [verifier.verify(session, item, trust_key=trust_key) for item in items]
    if as_json:
        print_json(verdicts[0].as_dict() if len(verdicts) == 1 else [v.as_dict() for v in verdicts])
    else:
        for v in verdicts:
            colour = "green" if v.valid else "red"
            console.print(f"[{colour}]{v.status}[/{colour}]: {v.reason}"
                          + (f" — {v.summary.get('name')}" if v.summary.get("name") else ""))
            for note in v.notes:
                console.print(f"  note: {note}")
    if not all(v.valid for v in verdicts):
        raise typer.Exit(1)


def ingest_standards(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="QRSP standards, .csv or .json"),
    source: str = typer.Option(None, "--source", help="Source name (default: the file's own, or its name)"),
    start_at: int = typer.Option(0, "--start-at", min=0, help="Resume after this many profiles (checkpoint)"),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON"),
) -> None:
    """Import QRSP standards (idempotent; rejected profiles go to `regia ingest quarantine`)."""
    from regia.certification import ingest
    from regia.progress import RichProgress

    reports = []
    eng = engine()
    with RichProgress(err, enabled=not as_json) as progress:
        for path in files:
            reports.append(ingest.import_standards(eng, path, actor=cli_principal(), source=source,
                                                   start_at=start_at, progress=progress))
    if as_json:
        print_json([r.as_dict() for r in reports])
        return
    for r in reports:
        console.print(f"{r.file}: read {r.read}, stored {r.stored}, unchanged {r.unchanged}, rejected {r.rejected}"
                      f" (competences {r.competences}; checkpoint {r.checkpoint})")
        for rejection in r.rejections:
            console.print(f"  [red]rejected[/red] {rejection}")


def demo_certification(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON")) -> None:
    """DEMO standards, a delegated Fund, requests in every phase, issued and one revoked credential."""
    from regia.certification import demo_data

    summary = demo_data.ensure_demo_certification(engine())
    if as_json:
        print_json(summary)
    else:
        console.print(f"certification demo: {summary['requests']} requests {summary['by_status']}, "
                      f"{summary['credentials']} credentials ({summary['revoked']} revoked)")
