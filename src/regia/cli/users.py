"""`regia users ...`, `regia org ...` and `regia audit ...`: accounts, organisations, the audit log."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine

from regia.auth import audit, service
from regia.auth.errors import DomainError
from regia.auth.models import ORG_TYPE_LABELS, OrgType, Role
from regia.auth.principal import cli_principal
from regia.cli.common import console, engine, err, fail, print_json
from regia.db import session_factory, session_scope
from regia.i18n import gettext

app = typer.Typer(no_args_is_help=True, help="User accounts and API tokens.")
org_app = typer.Typer(no_args_is_help=True, help="Organisations (Region, Funds, providers, partnerships ...).")
audit_app = typer.Typer(no_args_is_help=True, help="The audit log: verify its hash chain, export it.")

ACTOR = cli_principal("cli")
PASSWORD_ENV = "REGIA_NEW_PASSWORD"


def _password(given: str | None, *, required: bool = True) -> str | None:
    """From --password-stdin-like env var or an interactive prompt; never from a plain option (shell history)."""
    if given is not None:
        return given
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not required:
        return None
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., "--email", help="Login of the administrator"),
    name: str = typer.Option("Amministratore", "--name"),
    organisation: str = typer.Option("Regione Lombardia", "--org", help="The Region organisation (created if "
                                                                        "missing)"),
    tax_code: str = typer.Option("80050050154", "--cf", help="Codice fiscale of the Region organisation"),
) -> None:
    """Create a Region administrator: full rights on organisations, users and the audit log. The password is
    asked for (or read from REGIA_NEW_PASSWORD)."""
    password = _password(None)
    try:
        with session_scope(engine()) as session:
            org = service.find_organisation(session, organisation)
            if org is None:
                org = service.create_organisation(session, actor=ACTOR, name=organisation, type=OrgType.REGION,
                                                  tax_code=tax_code)
            elif org.type != OrgType.REGION:
                raise fail(f"{org.name} is not a Region organisation")
            user = service.create_user(session, actor=ACTOR, email=email, display_name=name, password=password,
                                       memberships=[(org.id, Role.ADMIN)])
            console.print(f"administrator {user.email} (user {user.id}) of {org.name}")
    except DomainError as exc:
        raise fail(exc.detail) from None


@app.command("add")
def add_user(
    email: str = typer.Option(..., "--email"),
    name: str = typer.Option(..., "--name"),
    organisation: str | None = typer.Option(None, "--org", help="Id, name, codice fiscale or P.IVA"),
    role: Role = typer.Option(Role.VIEWER, "--role"),
    no_password: bool = typer.Option(False, "--no-password", help="Log in through OIDC (SPID/CIE) only"),
) -> None:
    """Add a user, optionally with a role in an organisation."""
    password = None if no_password else _password(None)
    try:
        with session_scope(engine()) as session:
            memberships = []
            if organisation:
                org = service.find_organisation(session, organisation)
                if org is None:
                    raise fail(f"no organisation {organisation!r}")
                memberships.append((org.id, role))
            user = service.create_user(session, actor=ACTOR, email=email, display_name=name, password=password,
                                       memberships=memberships)
            console.print(f"user {user.email} (id {user.id})")
    except DomainError as exc:
        raise fail(exc.detail) from None


@app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every user with their organisations and roles."""
    with session_factory(engine())() as session:
        users, _ = service.list_users(session, principal=ACTOR, limit=100_000)
        rows = [{"id": u.id, "email": u.email, "name": u.display_name, "active": u.is_active,
                 "roles": [f"{m.role.value}@{m.organisation.name}" for m in u.memberships]} for u in users]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "e-mail", "name", "roles")
    for row in rows:
        table.add_row(str(row["id"]), str(row["email"]), str(row["name"]), ", ".join(row["roles"]))  # type: ignore[arg-type]
    console.print(table)


def _set_active(email: str, active: bool) -> None:
    try:
        with session_scope(engine()) as session:
            user = service.find_user(session, email)
            if user is None:
                raise fail(f"no user {email!r}")
            service.update_user(session, actor=ACTOR, id=user.id, is_active=active)
            console.print(f"user {user.email} {'enabled' if active else 'disabled'}")
    except DomainError as exc:
        raise fail(exc.detail) from None


@app.command("disable")
def disable(email: str = typer.Argument(..., help="Login of the account")) -> None:
    """Disable an account: its sessions end and its API tokens stop working."""
    _set_active(email, False)


@app.command("enable")
def enable(email: str = typer.Argument(..., help="Login of the account")) -> None:
    """Re-enable a disabled account."""
    _set_active(email, True)


@app.command("set-password")
def set_password(email: str = typer.Option(..., "--email")) -> None:
    """Set a new password (asked for, or REGIA_NEW_PASSWORD); every session of the account ends."""
    password = _password(None) or ""
    try:
        with session_scope(engine()) as session:
            user = service.find_user(session, email)
            if user is None:
                raise fail(f"no user {email!r}")
            service.set_password(session, actor=ACTOR, user=user, password=password)
            console.print(f"password of {user.email} changed")
    except DomainError as exc:
        raise fail(exc.detail) from None


@app.command("token")
def token(
    email: str = typer.Option(..., "--email"),
    name: str = typer.Option("cli", "--name", help="What the token is for"),
    days: int = typer.Option(90, "--days", min=1, max=3650),
) -> None:
    """Issue an API bearer token for a user; it is printed once (only its hash is kept)."""
    with session_scope(engine()) as session:
        user = service.find_user(session, email)
        if user is None:
            raise fail(f"no user {email!r}")
        _, raw = service.issue_token(session, user=user, name=name, days=days, actor=ACTOR)
    typer.echo(raw)


def ensure_demo_accounts(eng: Engine) -> None:
    """For `regia demo`: the demo organisations and users (DEMO ONLY), and their logins printed."""
    from regia.auth.demo import print_demo_logins, seed_demo_accounts

    print_demo_logins(seed_demo_accounts(eng), console.print)


@app.command("demo")
def demo_accounts() -> None:
    """Create the demo organisations and users (DEMO ONLY) and print their logins."""
    ensure_demo_accounts(engine())


@org_app.command("add")
def add_org(
    name: str = typer.Argument(..., help="Name of the organisation"),
    type: OrgType = typer.Option(..., "--type", help="; ".join(f"{t.value}: {gettext(ORG_TYPE_LABELS[t], 'it')}"
                                                             for t in OrgType)),
    tax_code: str | None = typer.Option(None, "--cf", help="Codice fiscale"),
    vat_number: str | None = typer.Option(None, "--piva", help="Partita IVA"),
) -> None:
    """Add an organisation; codice fiscale and partita IVA are validated (check digits)."""
    try:
        with session_scope(engine()) as session:
            org = service.create_organisation(session, actor=ACTOR, name=name, type=type, tax_code=tax_code,
                                              vat_number=vat_number)
            console.print(f"organisation {org.id}: {org.name} ({org.type.value})")
    except DomainError as exc:
        raise fail(exc.detail) from None


@org_app.command("list")
def list_orgs(as_json: bool = typer.Option(False, "--json")) -> None:
    with session_factory(engine())() as session:
        orgs, _ = service.list_organisations(session, principal=ACTOR, limit=100_000)
        rows = [{"id": o.id, "name": o.name, "type": o.type.value, "tax_code": o.tax_code,
                 "vat_number": o.vat_number} for o in orgs]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "type", "codice fiscale", "partita IVA")
    for row in rows:
        table.add_row(*(str(row[k] or "") for k in ("id", "name", "type", "tax_code", "vat_number")))
    console.print(table)


@audit_app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit code 1 if any entry was edited, removed or reordered."""
    with session_factory(engine())() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"audit chain intact: {result.checked} entries; head {result.head}")
        return
    err.print(f"[red]audit chain broken[/red] at entry {result.first_bad_id}: {result.problem} "
              f"({result.checked} entries verified before it)")
    raise typer.Exit(1)


@audit_app.command("export")
def export(
    output: Path = typer.Option(..., "--output", "-o", help="File to write"),
    format: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
) -> None:
    """Export the whole log with its hashes (the JSON lines export can be verified on its own)."""
    if format not in ("jsonl", "csv"):
        raise fail("--format is jsonl or csv")
    with session_factory(engine())() as session, output.open("w", encoding="utf-8", newline="") as fh:
        for chunk in audit.export_json_lines(session) if format == "jsonl" else audit.export_csv(session):
            fh.write(chunk)
    console.print(f"written {output}")


