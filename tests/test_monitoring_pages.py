"""Monitoring API and pages on simulated outcomes: indicators per dimension (JSON, CSV) with each Fund seeing only
its own participations' figures, the impact estimate's JSON shape, the pages and the report in Italian and (with
?lang=en) English, the PDF report, the open-data package (valid Frictionless, nothing under 5 people), and no
person-level value in any answer."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from regia.auth import sessions
from regia.monitoring import opendata
from regia.web.app import create_app
from support import outcomes_world
from support.accounts import World


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, World, object]:
    world, manifest = outcomes_world.build(tmp_path_factory.mktemp("outcomes-pages"))
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    return TestClient(app), world, manifest


def api(site: tuple, role: str, path: str, **params: object) -> object:
    client, world, _ = site
    return client.get(path, params=params, headers=world.bearer(role))


def page(site: tuple, role: str, path: str, **params: object) -> object:
    client, world, _ = site
    cookie, _ = world.session_cookie(role)
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    try:
        return client.get(path, params=params)
    finally:
        client.cookies.clear()


def test_funds_see_their_own_figures_and_the_region_all(site: tuple) -> None:
    region = api(site, "region_viewer", "/api/monitoring/indicators", by="fund").json()
    funds = {row["key"]: row["participants"] for row in region["rows"]}
    assert set(funds) == {"Fondimpresa", "Fondo Terziario Lombardo"} and region["synthetic"]
    own = api(site, "fund_editor", "/api/monitoring/indicators", by="programme").json()
    assert own["total"]["participants"] == funds["Fondimpresa"]
    other = api(site, "fund_b_editor", "/api/monitoring/indicators", by="programme").json()
    assert other["rows"] == [] and other["total"]["participants"] == 0
    by_target = api(site, "region_admin", "/api/monitoring/indicators", by="target_group").json()
    total = by_target["total"]
    assert total["participants"] == sum(r["participants"] for r in by_target["rows"])
    assert 0 < total["employed_12m_rate"] < 1 and total["completion_rate"] > 0.7
    assert "person" not in str(by_target)


def test_indicators_csv_has_the_counts_behind_the_rates(site: tuple) -> None:
    response = api(site, "region_viewer", "/api/monitoring/indicators.csv", by="province", lang="en")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[-1]["label"] == "Total"
    milano = next(r for r in rows if r["key"] == "ITC4C")
    assert milano["label"] == "Milano"
    assert float(milano["employed_12m_rate"]) == pytest.approx(int(milano["employed_12m"]) /
                                                               int(milano["observed_12m"]), abs=1e-4)


def test_impact_json_has_the_documented_shape(site: tuple) -> None:
    body = api(site, "region_viewer", "/api/monitoring/impact", outcome="employed_12m", method="ipw").json()
    assert list(body)[:7] == ["method", "outcome", "att", "ci", "n_treated", "n_control", "balance"]
    assert body["method"] == "ipw" and body["ci"][0] < body["att"] < body["ci"][1]
    assert set(body["balance"]["age"]) == {"before", "after"}
    none = api(site, "region_viewer", "/api/monitoring/impact", method="did", programme="NESSUNO")
    assert none.status_code == 422 and none.json()["key"] == "monitoring.impact.err.no_participants"
    assert none.headers["content-type"].startswith("application/problem+json") and none.json()["messaggio"]
    assert api(site, "fund_editor", "/api/monitoring/impact").status_code == 403


def test_pages_and_report_in_italian_and_english(site: tuple) -> None:
    _, world, _ = site
    it = page(site, "region_viewer", "/esiti", by="province")
    assert it.status_code == 200 and "Esiti della formazione" in it.text and "Milano" in it.text
    assert "Dati sintetici" in it.text
    en = page(site, "region_viewer", "/esiti", by="province", lang="en")
    assert "Training outcomes" in en.text and "Employed at 12 months" in en.text
    course = page(site, "region_viewer", f"/esiti/corsi/{world.courses['provider']}")
    assert "Corso di prova online" in course.text and "Occupati a 12 mesi" in course.text
    cabina = page(site, "fund_editor", "/esiti/cabina")
    assert cabina.status_code == 200 and "Cabina di regia" in cabina.text
    report = page(site, "region_viewer", "/esiti/impatto/rapporto", outcome="employed_12m", method=["psm", "did"])
    assert report.status_code == 200
    for heading in ("In breve", "I dati", "Il metodo", "Le ipotesi", "I controlli", "Per chi funziona",
                    "Avvertenze"):
        assert heading in report.text
    assert "non va letta come effetto" in report.text  # the naive difference, labelled
    english = page(site, "region_viewer", "/esiti/impatto/rapporto", outcome="days_worked_12m", method="did",
                   lang="en")
    assert "The assumptions" in english.text and "parallel trends" in english.text
    pdf = page(site, "region_viewer", "/esiti/impatto/rapporto.pdf", outcome="employed_12m", method="did")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Valutazione d'impatto" in text and "Le ipotesi" in text


def test_open_data_package_is_valid_and_discloses_nothing_small(site: tuple, tmp_path: Path) -> None:
    client, _, _ = site
    response = client.get("/api/monitoring/opendata.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        zf.extractall(tmp_path)
    assert opendata.validate(tmp_path) == []
    counts = [c.name for c in opendata.COLUMNS]
    suppressed = 0
    for path in tmp_path.glob("esiti_per_*.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            for name in counts:
                if row[name] == "c":
                    suppressed += 1
                else:
                    assert int(row[name]) >= 5, (path.name, row)
    assert suppressed > 0
