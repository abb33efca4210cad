"""Validators of the catalogue's input: partita IVA / codice fiscale (property tests), field parsing, and the
CSV/JSON readers (what is written is what is read)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.it import codicefiscale

from regia.catalog import formats
from regia.catalog.validation import (
    Invalid,
    parse_funding,
    parse_modality,
    parse_targets,
    validate_tax_id,
)

digits = st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda s: int(s[:7]) != 0)


@given(digits)
def test_a_partita_iva_with_its_check_digit_is_accepted(body: str) -> None:
    vat = body + luhn.calc_check_digit(body)
    assert validate_tax_id(vat) == vat
    assert validate_tax_id(f"IT {vat[:5]} {vat[5:]}") == vat  # prefix and spaces are tolerated


@given(digits, st.integers(min_value=1, max_value=9))
def test_a_partita_iva_with_a_wrong_check_digit_is_rejected(body: str, shift: int) -> None:
    wrong = str((int(luhn.calc_check_digit(body)) + shift) % 10)
    with pytest.raises(Invalid) as exc:
        validate_tax_id(body + wrong)
    assert exc.value.field == "provider_vat"


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./", max_size=20))
def test_anything_accepted_is_a_valid_partita_iva_or_codice_fiscale(text: str) -> None:
    try:
        value = validate_tax_id(text)
    except Invalid:
        return
    assert (len(value) == 11 and luhn.is_valid(value)) or codicefiscale.is_valid(value)


@given(st.sampled_from(["RSSMRA80A01F205X", "BNCGNN75C41L219U", "VRDLGU62T10H501Z"]))
def test_a_persons_codice_fiscale_is_checked(cf: str) -> None:
    if codicefiscale.is_valid(cf):
        assert validate_tax_id(cf.lower()) == cf
    else:
        with pytest.raises(Invalid):
            validate_tax_id(cf)


def test_field_aliases() -> None:
    assert parse_modality("In presenza") == "presenza"
    assert parse_modality("FAD") == "online"
    assert parse_targets("Disoccupati; cassa integrazione;occupati") == ["disoccupati", "sospesi", "occupati"]
    assert str(parse_funding("fondo:Fondimpresa")) == "fondo:Fondimpresa"
    assert parse_funding("FSE+ 2021-2027").channel == "fse+"
    for bad, fn in (("teleport", parse_modality), ("pensionati", parse_targets), ("lotteria", parse_funding)):
        with pytest.raises(Invalid):
            fn(bad)


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\ufeff"),
               max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8))
def test_csv_reader_reads_back_what_was_written(tmp_path_factory: pytest.TempPathFactory,
                                                rows: list[tuple[str, str, str]]) -> None:
    path = Path(tmp_path_factory.mktemp("csv")) / "c.csv"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["provider_name", "title", "description"])
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    _, items = formats.read(path)
    got = [(i.values["provider_name"], i.values["title"], i.values["description"])
           for i in items if isinstance(i, formats.Item)]
    expected = [r for r in rows if any(c.strip() for c in r)]  # blank records are skipped
    assert [tuple(x.replace("\r\n", "\n").replace("\r", "\n") for x in r) for r in got] == \
        [tuple(x.replace("\r\n", "\n").replace("\r", "\n") for x in r) for r in expected]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.fixed_dictionaries({"title": cell, "hours": st.integers(1, 999)}), max_size=6))
def test_json_reader_reads_arrays_and_json_lines(tmp_path_factory: pytest.TempPathFactory,
                                                 records: list[dict[str, object]]) -> None:
    folder = Path(tmp_path_factory.mktemp("json"))
    (folder / "a.json").write_text(json.dumps(records), encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    for name in ("a.json", "b.jsonl"):
        _, items = formats.read(folder / name)
        got = [i.values for i in items if isinstance(i, formats.Item)]
        assert got == [{"title": r["title"], "hours": str(r["hours"])} for r in records]
