"""Readers of the monitoring files: CSV (comma or semicolon), Excel (.xlsx) and the UNILAV XML of the
*Comunicazioni Obbligatorie*.

Each reader yields :class:`Item` (position in the file, values by column name, raw text) or
``regia.importing.csvfile.BadRow`` for a record that cannot be read at all. Column names are folded
(``Codice Fiscale`` → ``codice_fiscale``); what the values mean is ``validation``'s business.

UNILAV XML: one ``UniLav`` document per communication (a file may hold one, a sequence of them, or a wrapper
element around many; namespaces are ignored). The sections read are ``DatoreLavoro`` (``codiceFiscale``,
``Settore``, ``SedeLavoro/Comune``), ``Lavoratore`` (``AnagraficaCompleta/codice-fiscale``), ``InizioRapporto``
(``dataInizio``, ``dataFine``, ``tipologiaContrattuale``, ``tipoOrario``, ``qualificaProfessionale``) and the
section of the event — ``Proroga`` (``dataFineProroga``), ``Trasformazione`` (``dataTrasformazione``,
``tipologiaContrattuale``), ``Trasferimento``/``Distacco`` (``dataTrasferimento``), ``Cessazione``
(``dataCessazione``); without one, the communication is a hire. Values may be attributes or child elements,
in any letter case. Names and addresses in the document are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from defusedxml import ElementTree as SafeElementTree

from regia.importing.cells import cell_text
from regia.importing.csvfile import BadRow, read_rows, read_text


@dataclass(frozen=True)
class Item:
    line: int  # CSV: physical line; Excel: sheet row; XML: position of the UniLav document (1-based)
    values: dict[str, str]
    raw: str


class FormatError(ValueError):
    """The file as a whole cannot be read."""


def column(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def detect(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".xlsx", ".xlsm")):
        return "excel"
    if name.endswith(".xml"):
        return "unilav"
    return "csv"


def read(path: Path) -> Iterator[Item | BadRow]:
    kind = detect(path)
    if kind == "excel":
        return read_excel(path)
    if kind == "unilav":
        return read_unilav(path)
    return read_csv(path)


def read_csv(path: Path) -> Iterator[Item | BadRow]:
    head = read_text(path)[:4096].split("\n", 1)[0]
    delimiter = ";" if head.count(";") > head.count(",") else ","
    header, rows = read_rows(path, delimiter=delimiter)
    if not header:
        raise FormatError("empty file or unreadable header")
    names = [column(h) for h in header]

    def items() -> Iterator[Item | BadRow]:
        for row in rows:
            if isinstance(row, BadRow):
                yield row
            else:
                values = {names[k]: v for k, v in enumerate(row.values.values())}
                yield Item(row.line, values, row.raw)

    return items()


def read_excel(path: Path) -> Iterator[Item | BadRow]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FormatError(f"not a readable Excel file: {exc}") from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    try:
        header = [column(h) for h in next(rows)]
    except StopIteration:
        raise FormatError("empty sheet") from None

    def items() -> Iterator[Item | BadRow]:
        for number, row in enumerate(rows, start=2):
            if row is None or not any(c not in (None, "") for c in row):
                continue
            values = {h: cell_text(v) for h, v in zip(header, row, strict=False) if h}
            yield Item(number, values, json.dumps(values, ensure_ascii=False))
        book.close()

    return items()


# --- UNILAV ------------------------------------------------------------------------------------------------------

_EVENT_SECTIONS = (("cessazione", "CES", ("datacessazione", "data")),
                   ("trasformazione", "TRS", ("datatrasformazione", "data")),
                   ("proroga", "PRO", ("dataproroga", "data")),
                   ("trasferimento", "TRD", ("datatrasferimento", "datainizio", "data")),
                   ("distacco", "TRD", ("datainiziodistacco", "datainizio", "data")))
_DOCUMENT = re.compile(r"<(?:\w+:)?UniLav\b.*?</(?:\w+:)?UniLav\s*>", re.DOTALL | re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _find(element: ElementTree.Element | None, *path: str) -> ElementTree.Element | None:
    for name in path:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _value(element: ElementTree.Element | None, *names: str) -> str:
    """The first of ``names`` found as an attribute or a child element (case-insensitive); a child's
    ``codice`` attribute counts (``<tipoOrario codice="F"/>``)."""
    if element is None:
        return ""
    attrs = {k.rsplit("}", 1)[-1].lower(): v for k, v in element.attrib.items()}
    for name in names:
        if attrs.get(name, "").strip():
            return attrs[name].strip()
        child = _find(element, name)
        if child is not None:
            text = (child.text or "").strip() or child.attrib.get("codice", "").strip() \
                or child.attrib.get("code", "").strip()
            if text:
                return text
    return ""


def unilav_values(doc: ElementTree.Element) -> dict[str, str]:
    employer = _find(doc, "datorelavoro")
    worker = _find(doc, "lavoratore")
    start = _find(doc, "iniziorapporto")
    registry = _find(worker, "anagraficacompleta") if worker is not None else None
    values = {
        "codice_fiscale": _value(registry, "codice-fiscale", "codicefiscale") or _value(worker, "codicefiscale",
                                                                                        "codice-fiscale"),
        "employer_id": _value(employer, "codicefiscale", "codice-fiscale"),
        "ateco": _value(employer, "settore"),
        "comune": _value(_find(employer, "sedelavoro") if employer is not None else None, "comune"),
        "start_date": _value(start, "datainizio"),
        "end_date": _value(start, "datafine"),
        "contract": _value(start, "tipologiacontrattuale"),
        "working_time": _value(start, "tipoorario"),
        "cp2011": _value(start, "qualificaprofessionale"),
        "communicated_on": _value(doc, "datainvio")[:10] or _value(_find(doc, "datiinvio"), "datainvio")[:10],
        "event": "ASS",
        "event_date": _value(start, "datainizio"),
    }
    for section, code, date_names in _EVENT_SECTIONS:
        found = _find(doc, section)
        if found is None:
            continue
        values["event"] = code
        # an extension takes effect when communicated (its section carries the new end, not a date of its own)
        values["event_date"] = _value(found, *date_names) or (values["communicated_on"] if code == "PRO" else "") \
            or values["event_date"]
        if code == "PRO":
            values["end_date"] = _value(found, "datafineproroga", "datafine") or values["end_date"]
        if code == "CES":
            values["end_date"] = _value(found, *date_names) or values["end_date"]
        if code == "TRS":
            values["contract"] = _value(found, "tipologiacontrattuale") or values["contract"]
            values["working_time"] = _value(found, "tipoorario") or values["working_time"]
            values["end_date"] = _value(found, "datafine")
        if code == "TRD":
            values["comune"] = _value(_find(found, "sedelavoro"), "comune") or values["comune"]
        break
    return values


def read_unilav(path: Path) -> Iterator[Item | BadRow]:
    text = read_text(path)
    documents = [m.group(0) for m in _DOCUMENT.finditer(text)]
    if not documents:
        raise FormatError("no UniLav document in the file")

    def items() -> Iterator[Item | BadRow]:
        for number, source in enumerate(documents, start=1):
            try:
                doc = SafeElementTree.fromstring(source)
            except (ElementTree.ParseError, ValueError) as exc:
                yield BadRow(number, f"unreadable UniLav document ({exc})", "")
                continue
            values = unilav_values(doc)
            yield Item(number, values, json.dumps(values, ensure_ascii=False))

    return items()
