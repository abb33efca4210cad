"""The test world of the exchange: the access-test world (organisations, accounts, pact proposals), the mini
taxonomy of the catalogue tests, and three registered client systems with their keys and purposes."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from fastapi import FastAPI
from joserfc.jwk import ECKey
from pydantic import SecretStr
from sqlalchemy import Engine

from regia.auth.principal import cli_principal
from regia.db import make_engine, migrate, session_scope
from regia.exchange import capture
from regia.exchange import service as exchange
from regia.exchange.settings import ExchangeSettings
from regia.web.app import create_app
from support.accounts import ORGS, World, build_world
from support.exchange_client import ClientSystem, new_key, public_jwks

SERVER_KEY = ECKey.generate_key("P-256", private=True, auto_kid=True)
# client -> (organisation key of the test world, purposes)
CLIENTS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "fund": ("fund", ("catalog-sync", "catalog-publish", "needs-analysis", "certification-status")),
    "region": ("region", ("pacts-transparency", "needs-analysis", "catalog-sync")),
    "other": ("fund_b", ("catalog-sync",)),
    "provider": ("provider", ("catalog-publish",)),
}
KEYS = {name: new_key(f"{name}-key-1") for name in CLIENTS}
PROVIDER_VAT = ORGS["provider"][3] or ""


@dataclass
class ExchangeWorld:
    world: World
    clients: dict[str, ClientSystem] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        return self.world.engine


def settings(base_url: str = "http://testserver", data_dir: Path | None = None,
             **overrides: object) -> ExchangeSettings:
    values: dict[str, object] = {"base_url": base_url, "signing_key": SecretStr(json.dumps(SERVER_KEY.as_dict(
        private=True))), "data_dir": data_dir}
    values.update(overrides)
    return ExchangeSettings(**values)  # type: ignore[arg-type]


def build(engine: Engine) -> ExchangeWorld:
    from test_catalog_ingest import add_mini_taxonomy

    world = build_world(engine)
    add_mini_taxonomy(engine)
    out = ExchangeWorld(world)
    with session_scope(engine) as session:
        for name, (org, purposes) in CLIENTS.items():
            client = exchange.register_client(session, actor=cli_principal("test"), name=f"Sistema {name}",
                                              jwks=public_jwks(KEYS[name]), purposes=list(purposes),
                                              organisation=world.orgs[org] if org else None)
            out.clients[name] = ClientSystem(client.client_id, KEYS[name],
                                             {g.purpose: g.purpose_id for g in client.grants})
    return out


class Template:
    """Builds the exchange world once (SQLite) and hands out copies of its file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path: Path | None = None
        self.base: ExchangeWorld | None = None
        self.n = 0

    def new(self) -> ExchangeWorld:
        capture.install()  # the world is built as the app would write it: its changes logged
        if self.base is None:
            self.path = self.folder / "template.db"
            engine = make_engine(f"sqlite:///{self.path}")
            migrate(engine)
            self.base = build(engine)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
        assert self.path is not None
        self.n += 1
        copy = self.folder / f"copy{self.n}.db"
        shutil.copyfile(self.path, copy)
        engine = make_engine(f"sqlite:///{copy}")
        return replace(self.base, world=replace(self.base.world, engine=engine))


def app_for(world: ExchangeWorld, *, data_dir: Path | None = None, **overrides: object) -> FastAPI:
    """The app over the world's database; ``data_dir``: where its analytics find the postings facts."""
    from regia.config import Settings

    app = create_app(settings=Settings(data_dir=data_dir) if data_dir else None, engine=world.engine)
    app.state.auth_settings = world.world.settings
    app.state.exchange_settings = settings(**overrides)
    from regia.exchange.gate import RateLimiter

    app.state.exchange_limiter = RateLimiter(app.state.exchange_settings.rate_window)
    return app


_shared: Template | None = None


def shared_template() -> Template:
    """One template for every exchange test module of the run (building the world takes seconds)."""
    global _shared
    if _shared is None:
        _shared = Template(Path(tempfile.mkdtemp(prefix="regia-exchange-")))
        atexit.register(shutil.rmtree, _shared.folder, True)
    return _shared
