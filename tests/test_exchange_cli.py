"""`regia exchange …` as an operator runs it: register a client system with its JWKS and purposes, list it,
rotate its keys, revoke a purpose and the client; export a signed package and import it elsewhere (a tampered
one is refused, naming the file); bad input names the file and the reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.auth.principal import SYSTEM
from regia.catalog import service as catalog
from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine, make_engine, migrate
from regia.exchange.settings import get_exchange_settings
from support.exchange_client import new_key, public_jwks
from support.exchange_world import SERVER_KEY, shared_template
from test_catalog_ingest import add_mini_taxonomy
from test_exchange_bulk import course


@pytest.fixture
def regia(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[CliRunner, Engine]]:
    world = shared_template().new()
    db = tmp_path / "cli.db"
    shutil.copyfile(world.engine.url.database or "", db)
    world.engine.dispose()
    monkeypatch.setenv("REGIA_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("REGIA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGIA_EXCHANGE_SIGNING_KEY", json.dumps(SERVER_KEY.as_dict(private=True)))
    for cache in (get_settings, get_engine, get_exchange_settings):
        cache.cache_clear()
    yield CliRunner(), get_engine()
    get_engine().dispose()
    for cache in (get_settings, get_engine, get_exchange_settings):
        cache.cache_clear()


def test_register_list_rotate_and_revoke_a_client(regia: tuple[CliRunner, Engine], tmp_path: Path) -> None:
    runner, _ = regia
    jwks = tmp_path / "fondo.jwks.json"
    jwks.write_text(json.dumps(public_jwks(new_key("fondo-2026"))))
    added = runner.invoke(app, ["exchange", "clients", "add", "Fondimpresa - gestionale", "--jwks", str(jwks),
                                "--purpose", "catalog-sync", "--purpose", "catalog-publish", "--org", "Fondimpresa",
                                "--json"])
    assert added.exit_code == 0, added.output
    client = json.loads(added.stdout)
    assert client["kids"] == ["fondo-2026"] and {g["purpose"] for g in client["grants"]} == {"catalog-sync",
                                                                                              "catalog-publish"}
    listed = json.loads(runner.invoke(app, ["exchange", "clients", "list", "--json"]).stdout)
    assert "Fondimpresa - gestionale" in {c["name"] for c in listed}

    rotated = tmp_path / "rotated.json"
    rotated.write_text(json.dumps(public_jwks(new_key("fondo-2026"), new_key("fondo-2027"))))
    assert runner.invoke(app, ["exchange", "clients", "keys", client["client_id"], "--jwks", str(rotated)]
                         ).exit_code == 0
    assert runner.invoke(app, ["exchange", "purposes", "revoke", client["client_id"], "catalog-sync"]).exit_code == 0
    assert runner.invoke(app, ["exchange", "clients", "revoke", "Fondimpresa - gestionale"]).exit_code == 0
    shown = json.loads(runner.invoke(app, ["exchange", "clients", "show", client["client_id"]]).stdout)
    assert shown["status"] == "revoked" and shown["kids"] == ["fondo-2026", "fondo-2027"]
    assert {g["purpose"]: g["status"] for g in shown["grants"]}["catalog-sync"] == "revoked"


def test_bad_input_names_the_file_and_the_reason(regia: tuple[CliRunner, Engine], tmp_path: Path) -> None:
    runner, _ = regia
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [new_key("k1").as_dict(private=True)]}))
    refused = runner.invoke(app, ["exchange", "clients", "add", "X", "--jwks", str(private), "--purpose",
                                  "catalog-sync"])
    assert refused.exit_code == 1 and "private key material" in refused.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    refused = runner.invoke(app, ["exchange", "clients", "add", "X", "--jwks", str(broken), "--purpose", "x"])
    assert refused.exit_code == 1 and "broken.json" in "".join(refused.output.split())
    assert "not JSON" in refused.output
    jwks = tmp_path / "ok.json"
    jwks.write_text(json.dumps(public_jwks(new_key("k2"))))
    refused = runner.invoke(app, ["exchange", "clients", "add", "X", "--jwks", str(jwks), "--purpose", "spying"])
    assert refused.exit_code == 1 and "unknown purpose 'spying'" in refused.output


def test_export_and_import_a_signed_package(regia: tuple[CliRunner, Engine], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    runner, engine = regia
    catalog.publish(engine, [course("CLI1", "Corso da esportare")], source="fondo", tagger=None, principal=SYSTEM)
    out = tmp_path / "pkg"
    exported = runner.invoke(app, ["exchange", "export", "-o", str(out), "--resource", "catalog.courses",
                                   "--resource", "catalog.editions", "--json"])
    assert exported.exit_code == 0, exported.output
    assert {r["name"]: r["records"] for r in json.loads(exported.stdout)["resources"]} == {
        "catalog.courses": 1, "catalog.editions": 1}
    keys = tmp_path / "issuer.jwks.json"
    keys.write_text(runner.invoke(app, ["exchange", "jwks"]).stdout)

    other = tmp_path / "elsewhere.db"
    elsewhere = make_engine(f"sqlite:///{other}")
    migrate(elsewhere)
    add_mini_taxonomy(elsewhere)
    elsewhere.dispose()
    get_engine().dispose()
    monkeypatch.setenv("REGIA_DATABASE_URL", f"sqlite:///{other}")  # the CLI now runs on the other Regia
    for cache in (get_settings, get_engine):
        cache.cache_clear()
    imported = runner.invoke(app, ["exchange", "import", str(out), "--jwks", str(keys), "--json"])
    assert imported.exit_code == 0, imported.output
    result = json.loads(imported.stdout)
    assert result["verified"] and result["imported"]["catalog"]["stored"] == 1
    assert catalog.count(get_engine()) == 1

    (out / "catalog.courses.ndjson").write_text((out / "catalog.courses.ndjson").read_text().replace("esportare",
                                                                                                     "manomettere"))
    tampered = runner.invoke(app, ["exchange", "import", str(out), "--jwks", str(keys)])
    assert tampered.exit_code == 1
    said = "".join(tampered.output.split())  # the console wraps long lines
    assert "pkg/catalog.courses.ndjson:" in said and "nothingimported" in said


def test_demo_clients_are_registered_once_with_their_private_keys(regia: tuple[CliRunner, Engine],
                                                                  tmp_path: Path) -> None:
    runner, _ = regia
    first = runner.invoke(app, ["demo-data", "exchange", "--json"])
    assert first.exit_code == 0, first.output
    clients = json.loads(first.output)
    assert [c["name"] for c in clients] == ["Fondimpresa - gestionale (demo)",
                                            "Regione Lombardia - sistema informativo lavoro (demo)"]
    assert "certification-status" in clients[0]["purposes"] and "programming-transparency" in clients[1]["purposes"]
    again = runner.invoke(app, ["demo-data", "exchange", "--json"])
    assert again.exit_code == 0 and json.loads(again.output) == clients  # idempotent: same ids, same keys
    from regia.db import session_factory
    from regia.exchange import service

    _, eng = regia
    for c in clients:
        key = json.loads(Path(c["key_file"]).read_text())
        assert "d" in key  # the private half, for trying the voucher flow; the public half is what is registered
        with session_factory(eng)() as session:
            [registered] = service.get_client(session, c["client_id"]).jwks["keys"]
        assert {k: registered[k] for k in ("kid", "x", "y")} == {k: key[k] for k in ("kid", "x", "y")}
        assert "d" not in registered
