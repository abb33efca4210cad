"""`regia exchange ...`: client systems and their purposes, the feeds, signed bulk packages and open data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from joserfc.jwk import KeySet
from rich.table import Table

from regia.auth.errors import DomainError
from regia.auth.principal import cli_principal
from regia.cli.common import console, engine, err, fail, print_json
from regia.config import get_settings
from regia.db import session_factory, session_scope
from regia.exchange import bulk, capture, feeds, keys, opendata
from regia.exchange import service as exchange
from regia.exchange.registry import REGISTRY, LoadContext
from regia.exchange.settings import get_exchange_settings
from regia.progress import RichProgress

app = typer.Typer(no_args_is_help=True, help="Exchange with the Funds' and the Region's systems (ModI / PDND).")
clients_app = typer.Typer(no_args_is_help=True, help="Client systems: keys (JWKS), purposes, revocation.")
purposes_app = typer.Typer(no_args_is_help=True, help="Purposes (finalità) and the clients' grants.")
feeds_app = typer.Typer(no_args_is_help=True, help="Change feeds: status and refresh.")
app.add_typer(clients_app, name="clients")
app.add_typer(purposes_app, name="purposes")
app.add_typer(feeds_app, name="feeds")
ACTOR = cli_principal("cli")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: the {what} is not JSON (line {exc.lineno}: {exc.msg})") from None


def _figures() -> Any:
    from regia.exchange.eservices.needs import Figures

    return Figures(engine(), get_settings().data_dir / "facts" / "postings")


def _client_rows(clients: list[Any]) -> list[dict[str, Any]]:
    return [exchange.describe(c) | {"created_at": c.created_at.isoformat()} for c in clients]


# --- clients ------------------------------------------------------------------------------------------------

@clients_app.command("add")
def add_client(
    name: str = typer.Argument(..., help="The client system's name, e.g. 'Fondimpresa - gestionale'"),
    jwks: Path = typer.Option(..., "--jwks", help="Its public keys: a JWKS file ({\"keys\": [...]}, kid each)"),
    purpose: list[str] = typer.Option(..., "--purpose", help="A purpose it may use (repeat); see `purposes list`"),
    organisation: str | None = typer.Option(None, "--org", help="The organisation it acts for (id, name, CF, "
                                                                "P.IVA): a Fund, a provider, the Region"),
    rate_limit: int | None = typer.Option(None, "--rate-limit", min=1, help="Requests per window (else default)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Register a client system: it signs its assertions with one of these keys and names a purpose id."""
    capture.install()
    try:
        with session_scope(engine()) as session:
            client = exchange.register_client(session, actor=ACTOR, name=name, jwks=_read_json(jwks, "JWKS"),
                                              purposes=purpose, organisation=organisation, rate_limit=rate_limit)
            row = _client_rows([client])[0]
    except DomainError as exc:
        raise fail(exc.detail) from None
    if as_json:
        print_json(row)
        return
    console.print(f"client [bold]{row['name']}[/bold]  client_id {row['client_id']}")
    for g in row["grants"]:
        console.print(f"  purpose {g['purpose']:<22} purposeId {g['purpose_id']}")


@clients_app.command("list")
def list_clients(as_json: bool = typer.Option(False, "--json")) -> None:
    """Registered client systems with their status, keys and purposes."""
    with session_factory(engine())() as session:
        rows = _client_rows(exchange.list_clients(session))
    if as_json:
        print_json(rows)
        return
    table = Table("name", "client_id", "status", "keys", "purposes")
    for r in rows:
        table.add_row(r["name"], r["client_id"], r["status"], ", ".join(str(k) for k in r["kids"]),
                      ", ".join(f"{g['purpose']} ({g['status']})" for g in r["grants"]))
    console.print(table)


@clients_app.command("show")
def show_client(client: str = typer.Argument(..., help="client_id or name")) -> None:
    """One client, with its purpose ids, as JSON."""
    try:
        with session_factory(engine())() as session:
            print_json(_client_rows([exchange.get_client(session, client)])[0])
    except DomainError as exc:
        raise fail(exc.detail) from None


@clients_app.command("revoke")
def revoke_client(client: str = typer.Argument(..., help="client_id or name")) -> None:
    """Revoke a client: its vouchers stop working at once."""
    try:
        with session_scope(engine()) as session:
            row = exchange.revoke_client(session, actor=ACTOR, client_id=client)
            console.print(f"client {row.name} revoked")
    except DomainError as exc:
        raise fail(exc.detail) from None


@clients_app.command("keys")
def set_keys(client: str = typer.Argument(...), jwks: Path = typer.Option(..., "--jwks")) -> None:
    """Replace a client's public keys (rotation: register old and new together, then the new one alone)."""
    try:
        with session_scope(engine()) as session:
            row = exchange.set_keys(session, actor=ACTOR, client_id=client, jwks=_read_json(jwks, "JWKS"))
            console.print(f"client {row.name}: keys {', '.join(k['kid'] for k in row.jwks['keys'])}")
    except DomainError as exc:
        raise fail(exc.detail) from None


# --- purposes -----------------------------------------------------------------------------------------------

@purposes_app.command("list")
def list_purposes(as_json: bool = typer.Option(False, "--json")) -> None:
    """The purposes of the registered e-services and what they cover."""
    from regia.i18n import gettext

    rows = [{"code": p.code, "label": gettext(p.label, "it"), "reads": sorted(p.reads), "writes": sorted(p.writes),
             "person_level": p.person_level, "consent": p.consent} for p in REGISTRY.purposes()]
    if as_json:
        print_json(rows)
        return
    table = Table("code", "label", "reads", "writes", "consent")
    for r in rows:
        table.add_row(r["code"], r["label"], ", ".join(r["reads"]), ", ".join(r["writes"]),
                      "yes" if r["consent"] else "")
    console.print(table)


@purposes_app.command("grant")
def grant(client: str = typer.Argument(...), purpose: str = typer.Argument(...)) -> None:
    """Grant a purpose to a client (prints its purposeId)."""
    try:
        with session_scope(engine()) as session:
            row = exchange.grant(session, actor=ACTOR, client_id=client, purpose=purpose)
            console.print(f"purpose {row.purpose}: purposeId {row.purpose_id}")
    except DomainError as exc:
        raise fail(exc.detail) from None


@purposes_app.command("revoke")
def revoke_purpose(client: str = typer.Argument(...), purpose: str = typer.Argument(...)) -> None:
    """Revoke a client's purpose: vouchers for it stop working at once."""
    try:
        with session_scope(engine()) as session:
            exchange.revoke_grant(session, actor=ACTOR, client_id=client, purpose=purpose)
            console.print(f"purpose {purpose} revoked")
    except DomainError as exc:
        raise fail(exc.detail) from None


# --- feeds ----------------------------------------------------------------------------------------------------

@feeds_app.command("status")
def feeds_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Each resource's log: changes, records present, when it was refreshed."""
    from sqlalchemy import func, select

    from regia.exchange.models import Change, FeedHead

    rows = []
    with session_factory(engine())() as session:
        for r in REGISTRY.resources():
            changes = session.scalar(select(func.count(Change.seq)).where(Change.resource == r.name)) or 0
            present = session.scalar(select(func.count()).select_from(FeedHead).where(
                FeedHead.resource == r.name, FeedHead.deleted.is_(False))) or 0
            at = feeds.refreshed_at(session, r)
            rows.append({"resource": r.name, "computed": r.computed, "changes": changes, "records": present,
                         "refreshed_at": at.isoformat() if at else None})
    if as_json:
        print_json(rows)
        return
    table = Table("resource", "kind", "changes", "records", "refreshed")
    for row in rows:
        table.add_row(row["resource"], "computed" if row["computed"] else "captured", str(row["changes"]),
                      str(row["records"]), row["refreshed_at"] or "never")
    console.print(table)


@feeds_app.command("refresh")
def feeds_refresh(resource: list[str] = typer.Option(None, "--resource", help="Only these (repeat)"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Compare every current record with its feed and log what differs (after writes outside the ORM, and to
    recompute the figures)."""
    eng = engine()
    capture.install()
    chosen = [REGISTRY.resource(n) for n in resource] if resource else REGISTRY.resources()
    figures = _figures()
    out = {}
    for r in chosen:
        with session_scope(eng) as session:
            out[r.name] = feeds.refresh(session, r, LoadContext(session=session, engine=eng, figures=figures))
    if as_json:
        print_json(out)
        return
    for name, n in out.items():
        console.print(f"{name}: {n} changes logged")


# --- bulk packages and open data ----------------------------------------------------------------------------

@app.command("jwks")
def server_jwks() -> None:
    """The server's public keys (give them to whoever imports this server's packages)."""
    print_json(keys.server_jwks(get_exchange_settings()))


@app.command("export")
def export(
    output: Path = typer.Option(..., "-o", "--output", help="Folder of the package (created)"),
    resource: list[str] = typer.Option(None, "--resource", help="Resources to export (repeat); default: all"),
    fmt: str = typer.Option("ndjson", "--format", help="ndjson or parquet"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write a signed export package: data files and a manifest with counts and SHA-256, signed (JWS)."""
    capture.install()
    try:
        names = resource or None
        if names:
            for n in names:
                REGISTRY.resource(n)
    except KeyError as exc:
        raise fail(f"unknown resource {exc.args[0]!r}: {', '.join(r.name for r in REGISTRY.resources())}") \
            from None
    if fmt not in bulk.FORMATS:
        raise fail(f"--format must be one of {', '.join(bulk.FORMATS)}")
    with RichProgress(err, enabled=not as_json) as progress:
        manifest = bulk.export_package(engine(), get_exchange_settings(), output, resources=names, fmt=fmt,
                                       progress=progress, figures=_figures())
    if as_json:
        print_json(manifest)
        return
    for e in manifest["resources"]:
        console.print(f"{e['file']}: {e['records']} records, sha256 {e['sha256'][:16]}…")
    console.print(f"signed manifest: {output / 'manifest.jws'}")


@app.command("import")
def import_package(
    folder: Path = typer.Argument(..., help="The package's folder"),
    jwks: Path = typer.Option(..., "--jwks", help="The issuer's public keys (its `regia exchange jwks`)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Verify only"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Verify a package (signature, files' size, SHA-256 and counts) and import what has an importer (the
    catalogue's courses, once-only by natural key)."""
    try:
        issuer_keys = KeySet.import_key_set(_read_json(jwks, "JWKS"))
    except ValueError as exc:
        raise fail(f"{jwks}: not a JWKS ({exc})") from None
    try:
        package = bulk.verify(folder, issuer_keys)
    except bulk.PackageError as exc:
        raise fail(f"{folder / exc.file}: {exc.reason}; nothing imported") from None
    capture.install()
    result: dict[str, Any] = {"verified": True, "issuer": package.manifest.get("issuer"),
                              "resources": {n: e["records"] for n, e in package.resources.items()}}
    if not dry_run:
        result["imported"] = bulk.import_package(engine(), package)
    if as_json:
        print_json(result)
        return
    console.print(f"package of {result['issuer']} verified: " + ", ".join(
        f"{n} {c}" for n, c in result["resources"].items()))
    for name, counts in result.get("imported", {}).items():
        console.print(f"  {name}: {json.dumps({k: v for k, v in counts.items() if k != 'rejections'})}")


@app.command("open-data")
def open_data(output: Path = typer.Option(..., "-o", "--output"), as_json: bool = typer.Option(False, "--json"),
              ) -> None:
    """The catalogue and the skill figures as a Frictionless data package (CSV + datapackage.json)."""
    capture.install()
    with RichProgress(err, enabled=not as_json) as progress:
        descriptor = opendata.export_open_data(engine(), output, progress=progress, figures=_figures())
    _report_package(descriptor, output, as_json)


@app.command("opencoesione")
def opencoesione(output: Path = typer.Option(..., "-o", "--output"), as_json: bool = typer.Option(False, "--json"),
                 ) -> None:
    """The funded pacts as OpenCoesione-style tables (progetti, soggetti, localizzazioni, finanziamenti)."""
    capture.install()
    descriptor = opendata.export_opencoesione(engine(), output)
    _report_package(descriptor, output, as_json)


def _report_package(descriptor: dict[str, Any], output: Path, as_json: bool) -> None:
    if as_json:
        print_json(descriptor)
        return
    for r in descriptor["resources"]:
        console.print(f"{r['path']}: {r['x-rows']} rows")
    console.print(f"data package: {output / 'datapackage.json'}")


def demo(as_json: bool = typer.Option(False, "--json")) -> None:
    """Demo client systems (DEMO ONLY): a Fund's management system and the Region's labour information system,
    their private keys under REGIA_DATA_DIR/demo/exchange (idempotent)."""
    ensure_demo_exchange(engine(), as_json=as_json)


def ensure_demo_exchange(eng: Any, *, as_json: bool = False) -> None:
    from regia.exchange.demo_data import ensure_demo_exchange as seed

    capture.install()
    clients = seed(eng, get_settings().data_dir / "demo" / "exchange")
    if as_json:
        print_json(clients)
        return
    for c in clients:
        console.print(f"exchange client [bold]{c['name']}[/bold]  client_id {c['client_id']}  key {c['key_file']}")
