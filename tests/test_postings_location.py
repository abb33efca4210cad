"""Free-text places of postings onto comune (ISTAT), province (NUTS3) and region (NUTS2)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from regia.postings import reference
from regia.postings.location import Gazetteer


@pytest.fixture(scope="module")
def gazetteer(sqlite_taxonomy: Engine) -> Gazetteer:
    return Gazetteer(reference.for_engine(sqlite_taxonomy))


@pytest.mark.parametrize(("text", "comune", "nuts3"), [
    ("Sesto S. Giovanni (MI)", "015209", "ITC4C"),
    ("Sesto San Giovanni", "015209", "ITC4C"),
    ("20099 Sesto San Giovanni", "015209", "ITC4C"),
    ("Milano", "015146", "ITC4C"),
    ("Milano Centro", "015146", "ITC4C"),
    ("Cinisello Balsamo, MI", "015077", "ITC4C"),
    ("Cologno Monzese - MI", "015081", "ITC4C"),
    ("S. Donato Mil.se", "015192", "ITC4C"),
    ("Rho (Milano)", "015182", "ITC4C"),
    ("Lonato del Garda (BS)", "017092", "ITC47"),
    ("Sant'Angelo Lodigiano", "098050", "ITC49"),
    ("Calolziocorte", "097013", "ITC43"),
    ("Busto Arsizo", "012026", "ITC41"),  # typo: fuzzy match within Lombardy
    ("Monza", "108033", "ITC4D"),
])
def test_comuni_from_free_text(gazetteer: Gazetteer, text: str, comune: str, nuts3: str) -> None:
    loc = gazetteer.resolve(text=text)
    assert (loc.comune, loc.nuts3, loc.nuts2) == (comune, nuts3, "ITC4")


@pytest.mark.parametrize(("text", "nuts3"), [
    ("Provincia di Bergamo", "ITC46"),
    ("Città metropolitana di Milano", "ITC4C"),
    ("Monza e Brianza", "ITC4D"),
    ("MI", "ITC4C"),
    ("ITC47", "ITC47"),
])
def test_provinces_from_free_text(gazetteer: Gazetteer, text: str, nuts3: str) -> None:
    loc = gazetteer.resolve(text=text)
    assert loc.comune is None and loc.nuts3 == nuts3


def test_codes_cap_and_fields_together(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve(comune_code="16024").comune == "016024"  # leading zero lost by a spreadsheet
    assert gazetteer.resolve(postal_code="20121").comune == "015146"
    # a name present in several regions: the sigla decides, else Lombardy is preferred
    loc = gazetteer.resolve(comune="Castro", province="LE")
    assert loc.nuts3 is not None and loc.nuts3.startswith("ITF")
    assert gazetteer.resolve(comune="Castro").nuts3 == "ITC46"
    assert gazetteer.resolve(comune="Calolziocorte", province="LC", postal_code="23801").how == "cap"


def test_region_and_unknown(gazetteer: Gazetteer) -> None:
    loc = gazetteer.resolve(text="Lombardia")
    assert (loc.comune, loc.nuts3, loc.nuts2) == (None, None, "ITC4")
    assert not gazetteer.resolve(text="Atlantide").known
    assert not gazetteer.resolve().known
