"""Route × role rows of the exchange API (regia.exchange, ``/exchange/v1``).

The machine API is for registered client systems, which authenticate with vouchers of their own (tested in
``tests/test_exchange_security.py``): **every people's role is denied** on every e-service route — session
cookies and people's API tokens are not vouchers (401) — hence the empty sets. The token endpoint, the
server's keys, the e-service catalogue, the list of refusal reasons and the OpenAPI document are public: they
hold no data and a client needs them to call at all (the token endpoint authenticates the client by its signed
assertion: a person reaching it without one gets 400, not data). The person's page is for every signed-in
person, about themselves."""

from __future__ import annotations

from support.accounts import ALL_ROLES, World

ALL = frozenset(ALL_ROLES)
AUTHENTICATED = ALL - {"anonymous"}
NOBODY: frozenset[str] = frozenset()  # machine API: no person, whatever the role
P = "/exchange/v1"

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", f"{P}/token"): ALL,
    ("GET", f"{P}/.well-known/jwks.json"): ALL,
    ("GET", f"{P}/eservices"): ALL,
    ("GET", f"{P}/problems"): ALL,
    ("GET", f"{P}/openapi.json"): ALL,
    ("GET", f"{P}/catalog/courses/changes"): NOBODY,
    ("GET", f"{P}/catalog/courses/{{id:path}}"): NOBODY,
    ("POST", f"{P}/catalog/courses"): NOBODY,
    ("GET", f"{P}/catalog/editions/changes"): NOBODY,
    ("GET", f"{P}/catalog/editions/{{id:path}}"): NOBODY,
    ("GET", f"{P}/needs/skills"): NOBODY,
    ("GET", f"{P}/needs/skills/changes"): NOBODY,
    ("GET", f"{P}/needs/skills/{{id:path}}"): NOBODY,
    ("GET", f"{P}/needs/mismatch"): NOBODY,
    ("GET", f"{P}/needs/mismatch/changes"): NOBODY,
    ("GET", f"{P}/needs/mismatch/{{id:path}}"): NOBODY,
    ("GET", f"{P}/pacts/calls/changes"): NOBODY,
    ("GET", f"{P}/pacts/calls/{{id:path}}"): NOBODY,
    ("GET", f"{P}/pacts/projects/changes"): NOBODY,
    ("GET", f"{P}/pacts/projects/{{id:path}}"): NOBODY,
    ("GET", f"{P}/certification/credentials/changes"): NOBODY,
    ("GET", f"{P}/certification/credentials/{{id:path}}"): NOBODY,
    ("GET", f"{P}/programming/plans/changes"): NOBODY,
    ("GET", f"{P}/programming/plans/{{id:path}}"): NOBODY,
    ("GET", f"{P}/outcomes/courses/changes"): NOBODY,
    ("GET", f"{P}/outcomes/courses/{{id:path}}"): NOBODY,
    ("GET", f"{P}/outcomes/participations/changes"): NOBODY,
    ("GET", f"{P}/outcomes/participations/{{id:path}}"): NOBODY,
    # the person's page (regia.exchange.pages, policy resource personal_data): every signed-in person, for
    # their own data only (the page shows the signed-in person's accesses and consents, nobody else's)
    ("GET", "/account/data"): AUTHENTICATED,
    ("POST", "/account/data/consents"): AUTHENTICATED,
}


def params(world: World) -> dict[str, str]:
    return {"id:path": "1"}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if method == "POST" and path == f"{P}/catalog/courses":
        # a valid body: only the missing voucher can refuse it
        return {"json": {"courses": [{"provider_name": "Ente", "provider_vat": "09000000019", "title": "Corso",
                                      "hours": 10, "modality": "online"}]}}
    if method == "POST" and path == "/account/data/consents":
        return {"data": {"csrf_token": csrf or "", "purpose": "catalog-sync", "decision": "give"}}
    return None
