"""Record linkage of persons and firms (Splink on DuckDB): the command's contract on a synthetic Italian pair of
sources with the brief's error kinds, bad rows reported and left out, clerical decisions kept and reused,
stable identity keys, the Italian normalisation rules."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from stdnum.it import codicefiscale
from typer.testing import CliRunner

from regia.auth.principal import Principal
from regia.cli import app
from regia.db import make_engine, migrate, session_factory
from regia.linkage import demo_data, records, service
from regia.linkage import normalize as n
from regia.linkage.model import Options
from regia.linkage.models import MATCH, NON_MATCH, PENDING, LinkageReview

PERSONS = 1500
FAST = {"max_pairs_u": 3e5, "em_max_pairs": 3e5}  # service tests: lighter training, the same model


def f1(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(pairs & truth)
    p, r = tp / max(1, len(pairs)), tp / max(1, len(truth))
    return p, r, 2 * p * r / max(1e-9, p + r)


def read_pairs(path: Path) -> dict[tuple[str, str], float]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [] or list(rows[0]) == ["id_a", "id_b", "probability"]
    return {(r["id_a"], r["id_b"]): float(r["probability"]) for r in rows}


@pytest.fixture(scope="module")
def italian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[tuple[str, str]]]:
    """A generated pair of sources, with hand-written records of the hard cases added to them."""
    out = tmp_path_factory.mktemp("italian")
    a, b, truth_path = demo_data.generate(out, n_a=PERSONS, n_b=PERSONS, seed=3)
    truth = demo_data.truth(truth_path)
    cf = demo_data.codice_fiscale("D'Angelo", "Giuseppe", "M", dt.date(1980, 5, 12), "F205")
    wrong_check = cf[:15] + ("A" if cf[15] != "A" else "B")
    with a.open("a", encoding="utf-8", newline="") as fa, b.open("a", encoding="utf-8", newline="") as fb:
        ca, cb = csv.writer(fa), csv.writer(fb, delimiter=";")
        # D'Angelo / DANGELO, name and surname swapped, dd/mm/yyyy, a wrong check character, moved house
        ca.writerow(["A-HARD-1", "Giuseppe", "D'Angelo", "1980-05-12", "M", "Milano", cf, "Via Roma 3", "20121",
                     "Milano"])
        cb.writerow(["B-HARD-1", "DANGELO", "GIUSEPPE", "12/05/1980", "", "MILANO", wrong_check, "V.le Monza 88",
                     "20127", "Milano"])
        # a double surname written as its first part, accents dropped, no codice fiscale
        ca.writerow(["A-HARD-2", "Nicolò", "Sant'Ambrogio Bianchi", "1975-11-30", "M", "Cantù",
                     demo_data.codice_fiscale("Sant'Ambrogio Bianchi", "Nicolò", "M", dt.date(1975, 11, 30), "B639"),
                     "Piazza Garibaldi 1", "22063", "Cantù"])
        cb.writerow(["B-HARD-2", "Nicolo'", "SANTAMBROGIO", "30/11/1975", "m", "Cantu", "", "P.zza Garibaldi 1",
                     "22063", "Cantu"])
    return a, b, truth | {("A-HARD-1", "B-HARD-1"), ("A-HARD-2", "B-HARD-2")}


def test_persons_command_links_the_italian_set(italian: tuple[Path, Path, set], tmp_path: Path) -> None:
    a, b, truth = italian
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(app, ["linkage", "persons", str(a), str(b), "-o", str(out), "--json", "--no-store"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    pairs = read_pairs(out)
    assert all(p >= 0.9 for p in pairs.values())
    precision, recall, score = f1(set(pairs), truth)
    assert score >= 0.97, (precision, recall)
    assert ("A-HARD-1", "B-HARD-1") in pairs and ("A-HARD-2", "B-HARD-2") in pairs
    # counts and the model's parameters
    assert summary["links"] == len(pairs) and summary["records_a"] == summary["records_b"] == PERSONS + 2
    assert 0 < summary["comparisons"] <= 100 * (summary["records_a"] + summary["records_b"])
    names = {c["name"] for c in summary["parameters"]["comparisons"]}
    assert {"cognome", "nome", "dob8", "cf", "belfiore"} <= names
    cf_levels = next(c for c in summary["parameters"]["comparisons"] if c["name"] == "cf")["levels"]
    exact = next(lv for lv in cf_levels if lv["level"].startswith("Exact match"))
    assert exact["match_weight"] > 5  # the same codice fiscale is strong evidence, learnt without labels


def test_bad_rows_are_reported_and_left_out(tmp_path: Path) -> None:
    a, b, _ = demo_data.generate(tmp_path / "set", n_a=400, n_b=400, seed=9)
    lines = a.read_text(encoding="utf-8").splitlines()
    lines[5] = "," + lines[5].split(",", 1)[1]  # no id
    lines.insert(9, lines[8])  # the same id again
    lines.insert(20, 'A-BROKEN,"Mario,Rossi,1980-01-01,M,Milano,,Via Roma 1,20100,Milano')  # unbalanced quote
    lines.insert(30, "A-NONAME,,,1980-01-01,M,Milano,,,,")
    lines.insert(40, "A-BADDATE,Mario,Bianchi,31/13/1980,X,Milano,,Via Roma 2,2O1X0,Milano")
    a.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(app, ["linkage", "persons", str(a), str(b), "-o", str(out), "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "persons_a.csv row 6 (id -) id: missing id [rejected]" in text
    assert "row 10 (id A0000007) id: duplicate id: first at row 9 [rejected]" in text
    assert "row 21 (id -) -: unreadable record" in text
    assert "(id A-NONAME) cognome: no name and no surname [rejected]" in text
    for fld in ("data_nascita", "sesso", "cap"):
        assert f"(id A-BADDATE) {fld}:" in text and "[value left out]" in text
    assert read_pairs(out)  # the valid rows still link
    # a file without the contract's columns
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,Mario\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["linkage", "persons", str(bad), str(b), "-o", str(out), "--no-store"])
    assert result.exit_code == 2 and "bad.csv: missing column(s) nome, cognome" in " ".join(result.output.split())


def test_firms_command(tmp_path: Path) -> None:
    a, b, truth_path = demo_data.generate_firms(tmp_path, n=500, seed=4)
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(app, ["linkage", "firms", str(a), str(b), "-o", str(out), "--no-store", "--json"])
    assert result.exit_code == 0, result.output
    assert f1(set(read_pairs(out)), demo_data.truth(truth_path))[2] >= 0.97


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'regia.db'}")
    migrate(engine)
    return engine


def test_review_decisions_are_kept_and_reused(db: Engine, italian: tuple[Path, Path, set]) -> None:
    a, b, truth = italian
    options = Options(threshold=0.99999, review_low=0.2, **FAST)  # a wide uncertain band, for the test's sake
    first = service.link_files("persons", a, b, engine=db, options=options)
    assert first.queued > 2
    with session_factory(db)() as session:
        pending, total = service.queue(session, kind="persons")
        assert total == first.queued and pending[0].status == PENDING
        right = next(r for r in pending if (r.id_a, r.id_b) in truth)
        wrong = next((r for r in pending if (r.id_a, r.id_b) not in truth), None)
        system = Principal(via="system", label="test")
        service.decide(session, review_id=right.id, match=True, principal=system, version=right.version)
        if wrong is not None:
            service.decide(session, review_id=wrong.id, match=False, principal=system)
        session.commit()
        accepted, rejected = (right.id_a, right.id_b), (wrong.id_a, wrong.id_b) if wrong else None
    second = service.link_files("persons", a, b, engine=db, options=options)
    links = {(ia, ib): p for ia, ib, p in second.result.pairs}
    assert second.decisions >= 1 and accepted in links
    assert rejected is None or rejected not in links
    assert second.queued == 0  # nothing new: the undecided pairs are already queued, the decided ones stay decided
    with session_factory(db)() as session:
        statuses = {rid: status for rid, status in session.execute(select(LinkageReview.id, LinkageReview.status))}
        assert statuses[right.id] == MATCH and (wrong is None or statuses[wrong.id] == NON_MATCH)


def test_person_key_is_stable_and_shared_by_linked_records(db: Engine, italian: tuple[Path, Path, set]) -> None:
    a, b, _ = italian
    service.link_files("persons", a, b, engine=db, options=Options(**FAST))
    src_a, src_b = records.read(a, "persons"), records.read(b, "persons")
    with session_factory(db)() as session:
        key_a = service.person_key(session, record=src_a.raw["A-HARD-1"], source="persons_a.csv")
        key_b = service.person_key(session, record=src_b.raw["B-HARD-1"], source="persons_b.csv")
        assert key_a == key_b  # one person in two sources
        assert service.person_key(session, record={**src_a.raw["A-HARD-1"], "id": "OTHER-9"}) == key_a  # content
        stranger = {"id": "X1", "nome": "Ada", "cognome": "Lovelace", "data_nascita": "1815-12-10", "sesso": "F",
                    "comune_nascita": "", "codice_fiscale": "", "indirizzo": "", "cap": "", "comune": ""}
        new = service.person_key(session, record=stranger, source="registry")
        session.commit()
        assert new not in (key_a, key_b) and service.person_key(session, record=stranger, source="registry") == new
    service.link_files("persons", a, b, engine=db, options=Options(**FAST))  # linked again: the same keys
    with session_factory(db)() as session:
        assert service.person_key(session, record=src_a.raw["A-HARD-1"], source="persons_a.csv") == key_a


# ------------------------------------------------------------------------------------------ normalisation
@pytest.mark.parametrize(("raw", "key"), [("D'Angelo", "DANGELO"), ("D Angelo", "DANGELO"), ("DANGELO", "DANGELO"),
                                          ("d’angelo", "DANGELO"), ("De Luca", "DELUCA"), ("Nicolò", "NICOLO"),
                                          ("Dell'Acqua", "DELLACQUA")])
def test_name_keys(raw: str, key: str) -> None:
    assert n.name_key(raw) == key


def test_double_surnames_keep_their_parts() -> None:
    assert n.name_tokens("Sant'Ambrogio Bianchi") == ["SANTAMBROGIO", "BIANCHI"]
    assert n.name_tokens("de la Cruz Rossi") == ["DELACRUZ", "ROSSI"]


@pytest.mark.parametrize("text", ["1980-05-12", "12/05/1980", "12-05-1980", "12.05.1980", "19800512", "12/05/80"])
def test_dates(text: str) -> None:
    assert n.parse_date(text) == dt.date(1980, 5, 12)


def test_codice_fiscale_as_evidence() -> None:
    cf = demo_data.codice_fiscale("Rossi", "Maria", "F", dt.date(1985, 12, 10), "A562")
    assert cf.startswith("RSSMRA85T50A562") and codicefiscale.is_valid(cf)
    assert n.cf_decode(cf) == (dt.date(1985, 12, 10), "F", "A562")
    omocode = demo_data.codice_fiscale("Rossi", "Maria", "F", dt.date(1985, 12, 10), "A562", omocodia=1)
    assert omocode != cf and codicefiscale.is_valid(omocode) and n.cf_valid(omocode)
    assert n.deomocode(omocode)[:15] == cf[:15] and n.cf_decode(omocode) == n.cf_decode(cf)
    wrong = cf[:15] + ("A" if cf[15] != "A" else "B")
    assert n.cf_shaped(wrong) and not n.cf_valid(wrong) and n.cf_decode(wrong)[0] == dt.date(1985, 12, 10)
    assert n.cf_names_swapped(cf, "Rossi", "Maria") and not n.cf_names_swapped(cf, "Maria", "Rossi")
    # a record whose name and surname were swapped is read back the right way round
    raw = {"id": "1", "nome": "Rossi", "cognome": "Maria", "data_nascita": "", "sesso": "", "comune_nascita": "",
           "codice_fiscale": cf, "indirizzo": "", "cap": "", "comune": ""}
    feats = records.person_features(raw, [])
    assert feats is not None and (feats["nome"], feats["cognome"]) == ("MARIA", "ROSSI")
    assert (feats["dob8"], feats["sesso"], feats["belfiore"]) == ("19851210", "F", "A562")  # filled from the code


@given(st.text(max_size=40))
def test_normalisers_never_raise(text: str) -> None:
    n.fold(text)
    n.name_tokens(text)
    n.parse_date(text)
    n.date_digits(text)
    n.address(text)
    n.firm_name(text)
    code = n.alnum(text)
    n.cf_decode(code[:16])
    raw = dict.fromkeys(records.PERSON_COLUMNS, text)
    raw["id"] = "x"
    records.person_features(raw, [])
    records.firm_features(dict.fromkeys(records.FIRM_COLUMNS, text) | {"id": "x"}, [])
