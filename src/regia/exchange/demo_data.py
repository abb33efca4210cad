"""Demo client systems of the exchange (DEMO ONLY): a Fund's management system and the Region's labour
information system, registered with public keys whose private halves are written under
``REGIA_DATA_DIR/demo/exchange/<slug>.jwk.json`` (so that one can try the voucher flow against ``regia demo``).

Idempotent: a client already registered under its demo name is left as it is (its key file kept)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import Engine, select

from regia.auth.models import Organisation
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.exchange import service
from regia.exchange.models import Client

DEMO_CLIENTS = (  # slug, name, organisation (demo accounts' names), purposes
    ("fondimpresa", "Fondimpresa - gestionale (demo)", "Fondimpresa",
     ("catalog-sync", "catalog-publish", "needs-analysis", "certification-status")),
    ("regione-sil", "Regione Lombardia - sistema informativo lavoro (demo)", "Regione Lombardia",
     ("catalog-sync", "needs-analysis", "pacts-transparency", "programming-transparency",
      "certification-register")),
)


def _organisation(session: Any, name: str) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.name == name).order_by(Organisation.id))


def ensure_demo_exchange(engine: Engine, folder: Path) -> list[dict[str, Any]]:
    """Registers the demo clients missing; returns each with its client_id, purposeIds and key file."""
    out = []
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:
        for slug, name, org, purposes in DEMO_CLIENTS:
            key_file = folder / f"{slug}.jwk.json"
            client = session.scalar(select(Client).where(Client.name == name))
            if client is None:
                key = ECKey.generate_key("P-256", parameters={"kid": f"{slug}-demo-1"}, private=True)
                client = service.register_client(session, actor=cli_principal("demo"), name=name,
                                                 jwks={"keys": [key.as_dict(private=False)]},
                                                 purposes=list(purposes), organisation=_organisation(session, org))
                key_file.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
                os.chmod(key_file, 0o600)
            out.append({"name": client.name, "client_id": client.client_id, "key_file": str(key_file),
                        "purposes": {g.purpose: g.purpose_id for g in client.grants}})
    return out
