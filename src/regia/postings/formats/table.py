"""Flat tables (CSV, Excel): column names of the OJA feed and of flattened schema.org JobPosting onto
Regia's field names."""

from __future__ import annotations

import re
from typing import Any

from regia.postings.formats.base import SourceSkill
from regia.taxonomy.normalize import fold

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("general_id", "id", "identifier", "job_id", "posting_id", "codice", "id_annuncio", "reference"),
    "board": ("source", "board", "site", "sito", "fonte", "portale"),
    "employer": ("companyname", "company", "employer", "hiringorganization", "hiring_organization", "azienda",
                 "datore_di_lavoro", "organization"),
    "title": ("title", "titolo", "job_title", "posizione"),
    "description": ("description", "descrizione", "testo", "text", "job_description"),
    "date_posted": ("grab_date", "dateposted", "date_posted", "data_pubblicazione", "data", "date",
                    "published"),
    "valid_through": ("expire_date", "validthrough", "valid_through", "data_scadenza", "scadenza", "expiry"),
    "comune_code": ("idcity", "comune_istat", "codice_comune", "istat"),
    "comune": ("city", "addresslocality", "comune", "citta", "locality", "localita"),
    "province_code": ("idprovince", "nuts3", "codice_provincia"),
    "province": ("province", "provincia", "addressregion", "sigla"),
    "region_code": ("idregion", "nuts2"),
    "region": ("region", "regione"),
    "postal_code": ("postalcode", "postal_code", "cap", "zip"),
    "location": ("location", "joblocation", "luogo", "sede", "place"),
    "country": ("addresscountry", "country", "nazione"),
    "contract": ("contract", "contratto", "tipo_contratto"),
    "employment_type": ("employmenttype", "employment_type"),
    "education": ("educational_level", "educationrequirements", "education", "titolo_di_studio", "istruzione"),
    "experience": ("experience", "experiencerequirements", "esperienza"),
    "working_hours": ("working_hours", "workhours", "orario"),
    "salary": ("salary", "basesalary", "retribuzione", "stipendio", "ral"),
    "sector_code": ("idsector", "ateco", "ateco_code", "sector_code", "codice_ateco"),
    "sector": ("sector", "industry", "settore"),
    "isco": ("isco_level_4", "isco", "isco08", "isco_code"),
    "cp": ("cp2011", "cp", "cp2021", "cp_code", "idprofession"),
    "occupation": ("esco_occupation_uri", "occupation_uri", "occupationalcategory", "esco_occupation"),
    "skills_text": ("skills", "competenze", "requisiti_competenze"),
    "url": ("url", "link", "indirizzo"),
}
_BY_COLUMN = {fold(alias).replace(" ", "_"): name for name, aliases in ALIASES.items() for alias in aliases}
_URI = re.compile(r"https?://data\.europa\.eu/esco/(?:skill|occupation)/[0-9a-f-]{36}")


def column_map(header: list[str]) -> dict[str, str]:
    """Header cell -> Regia field, for the columns this module knows (first alias wins)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in header:
        name = _BY_COLUMN.get(fold(str(col or "")).strip().replace(" ", "_").replace("-", "_"))
        if name and name not in taken:
            out[col] = name
            taken.add(name)
    return out


def fields(values: dict[str, Any], cmap: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col, name in cmap.items():
        value = values.get(col)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            out[name] = value
    return out


def skills_from_text(text: str) -> list[SourceSkill]:
    """ESCO skill URIs named in a free-text skills cell."""
    return [SourceSkill(uri) for uri in dict.fromkeys(_URI.findall(text or "")) if "/skill/" in uri]


def is_oja_skills(header: list[str]) -> bool:
    cols = {fold(h).strip() for h in header}
    return "general_id" in cols and "esco_skill_uri" in cols
