"""Synthetic Italian persons in two sources, with the errors real feeds carry, and the truth: for tuning the
linkage (never on FEBRL's truth), for tests, and for the scale benchmark. Clearly synthetic: names are drawn
from common Italian names, places from ISTAT's comuni; no real person.

Source A is a clean register (ISO dates, codice fiscale always present). Source B holds most of A's persons
again (``overlap``) plus persons of its own, written the way another office would: dd/mm/yyyy dates, upper
case, and, in a share of the records each, the error kinds of the brief -

- accents and apostrophes dropped or spaced (``D'Angelo`` / ``DANGELO`` / ``D ANGELO``, ``Nicolò`` / ``Nicolo``);
- a double surname written as one of its parts or the other way round;
- name and surname swapped;
- typos in names (a letter dropped, doubled, replaced, two exchanged);
- birth dates with a digit wrong or day and month exchanged;
- the codice fiscale missing, mistyped, with a wrong check character, or the one of a homonym;
- sex or comune of birth missing, the comune misspelled;
- another address (people move), abbreviations (``V.le``), the CAP missing.

*Homonyms*: some persons share name, surname, sex, birth date and comune with another (distinct) person; the
second gets an omocodic codice fiscale, as the Agenzia delle Entrate issues it.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, replace
from pathlib import Path

from stdnum.it import codicefiscale

from regia.linkage import normalize as n
from regia.linkage.records import PERSON_COLUMNS, comuni


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MALE = _words("Marco Alessandro Giuseppe Francesco Antonio Andrea Luca Giovanni Matteo Davide Lorenzo Simone Roberto "
        "Stefano Paolo Federico Riccardo Mario Luigi Nicolò Gabriele Tommaso Emanuele Daniele Fabio Massimo Carlo "
        "Claudio Michele Vincenzo Salvatore Pietro Filippo Mattia Leonardo Edoardo Christian Domenico Angelo "
        "Raffaele Gianluca Enrico Alberto Giacomo Diego Samuele Jacopo Cristian Gian Marco Pier Paolo")
FEMALE = _words("Giulia Francesca Chiara Sara Martina Valentina Alessia Federica Elena Silvia Anna Maria Laura Paola "
          "Elisa Giorgia Alice Sofia Aurora Beatrice Roberta Cristina Barbara Monica Simona Daniela Ilaria Marta "
          "Noemi Greta Camilla Emma Ludovica Rebecca Arianna Irene Veronica Serena Angela Antonella Rosa Lucia "
          "Caterina Teresa Giovanna Nicoletta Debora Michela Eleonora Benedetta Zoè")
SURNAMES = _words("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De_Luca "
            "Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso "
            "Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De_Santis "
            "D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina "
            "Sala Brambilla Galbiati Mauri Pirovano Tagliabue Vismara Zappa Cattaneo Sironi Monti Fumagalli "
            "Riva Pozzi Bassi Rota Locatelli Bonomi Crippa Ghezzi Mazza D'Amico Dell'Acqua Di_Stefano La_Rosa "
            "Lo_Russo Dall'Olio D'Alessandro De_Angelis Di_Pietro Sant'Ambrogio Cantù Forlì Nicolì Mantegazza "
            "Invernizzi Galimberti Ronchi Beretta Ferrario Pellegrini Testa Guerra Sanna Piras Orlando Fiore "
            "Amato Sorrentino Bellini Cirillo Basile Morelli Gatti Palumbo Benedetti Farina Silvestri")
STREETS = _words("Roma Garibaldi Mazzini Dante Alighieri Manzoni Verdi Cavour Matteotti Marconi Vittorio_Emanuele "
           "Kennedy Gramsci Battisti Leopardi Carducci Volta Colombo Diaz XX_Settembre IV_Novembre Montegrappa "
           "Trento Trieste Milano Bergamo Brescia Sauro Oberdan Pascoli Don_Minzoni San_Francesco")
KINDS = (("Via", 70), ("Viale", 10), ("Piazza", 8), ("Corso", 6), ("Vicolo", 3), ("Largo", 3))
ABBREVIATIONS = {"Via": "V.", "Viale": "V.le", "Piazza": "P.zza", "Corso": "C.so", "Largo": "L.go"}
BIRTHPLACES = (("Milano", 30), ("Roma", 8), ("Napoli", 8), ("Torino", 5), ("Palermo", 5), ("Bergamo", 6),
               ("Brescia", 6), ("Monza", 4), ("Como", 3), ("Varese", 3), ("Pavia", 2), ("Cremona", 2),
               ("Mantova", 2), ("Lecco", 2), ("Lodi", 1), ("Sondrio", 1), ("Bari", 3), ("Catania", 3),
               ("Genova", 2), ("Bologna", 2), ("Firenze", 2), ("Cantù", 1), ("Forlì", 1), ("Saronno", 1),
               ("Sant'Angelo Lodigiano", 1), ("Cassano d'Adda", 1), ("Canzo", 1), ("Vigevano", 1))
RESIDENCES = (("Milano", "201", 40), ("Bergamo", "241", 8), ("Brescia", "251", 8), ("Monza", "209", 6),
              ("Como", "221", 4), ("Varese", "211", 4), ("Pavia", "271", 3), ("Cremona", "261", 2),
              ("Mantova", "461", 2), ("Lecco", "239", 2), ("Lodi", "269", 1), ("Sondrio", "231", 1),
              ("Sesto San Giovanni", "200", 3), ("Cinisello Balsamo", "200", 2), ("Legnano", "200", 2),
              ("Busto Arsizio", "210", 2), ("Gallarate", "210", 2), ("Rho", "200", 2), ("Cantù", "220", 1),
              ("Saronno", "210", 1), ("Vigevano", "270", 1), ("Seregno", "208", 1))
# Share of B's records with each error (one record may carry several).
RATES = {"accents": 0.25, "double_surname": 0.5, "swap": 0.05, "typo_name": 0.12, "typo_surname": 0.1,
         "dob_typo": 0.05, "dob_swap": 0.02, "cf_missing": 0.4, "cf_typo": 0.05, "cf_check": 0.03,
         "cf_homonym": 0.01, "sex_missing": 0.1, "birthplace_missing": 0.1, "birthplace_typo": 0.05,
         "moved": 0.2, "abbreviation": 0.3, "cap_missing": 0.1, "upper": 0.5}
HOMONYM_SHARE = 0.01


@dataclass(frozen=True)
class Person:
    key: int
    nome: str
    cognome: str
    sesso: str
    nascita: dt.date
    comune_nascita: str
    cf: str
    indirizzo: str
    cap: str
    comune: str


def _weighted(rng: random.Random, items: tuple[tuple, ...]) -> tuple:
    return rng.choices(items, weights=[i[-1] for i in items])[0]


def codice_fiscale(cognome: str, nome: str, sesso: str, born: dt.date, belfiore: str, omocodia: int = 0) -> str:
    """The codice fiscale of a person (``omocodia``: how many of the last digits are replaced by letters)."""
    day = born.day + (40 if sesso == "F" else 0)
    code = (n.surname_code(cognome) + n.name_code(nome) + f"{born.year % 100:02d}" + n.MONTHS[born.month - 1]
            + f"{day:02d}" + belfiore)
    chars = list(code)
    for pos in (14, 13, 12, 10, 9, 7, 6)[:omocodia]:
        chars[pos] = n.OMOCODIA[int(chars[pos])]
    code = "".join(chars)
    return code + codicefiscale.calc_check_digit(code)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        by_name, _ = comuni()
        self.belfiore = {place: by_name[n.fold(place)] for place, _ in BIRTHPLACES if n.fold(place) in by_name}
        self.places = tuple(p for p in BIRTHPLACES if p[0] in self.belfiore)
        surname_weights = [1 / (i + 1) ** 0.6 for i in range(len(SURNAMES))]
        self.surnames = [(s.replace("_", " "), w) for s, w in zip(SURNAMES, surname_weights, strict=True)]

    def _surname(self) -> str:
        rng = self.rng
        first = rng.choices([s for s, _ in self.surnames], weights=[w for _, w in self.surnames])[0]
        if rng.random() < 0.04:  # a double surname
            second = rng.choice([s for s, _ in self.surnames if s != first])
            return f"{first} {second}"
        return first

    def _address(self) -> tuple[str, str, str]:
        rng = self.rng
        kind = _weighted(rng, KINDS)[0]
        comune, prefix, _ = _weighted(rng, RESIDENCES)
        return (f"{kind} {rng.choice(STREETS).replace('_', ' ')} {rng.randint(1, 180)}",
                f"{prefix}{rng.randint(0, 99):02d}", comune)

    def person(self, key: int) -> Person:
        rng = self.rng
        sesso = "F" if rng.random() < 0.5 else "M"
        nome = rng.choice(FEMALE if sesso == "F" else MALE)
        if rng.random() < 0.05:
            nome = f"{nome} {rng.choice(FEMALE if sesso == 'F' else MALE)}"
        cognome = self._surname()
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 55))
        place = _weighted(rng, self.places)[0]
        street, cap, comune = self._address()
        cf = codice_fiscale(cognome, nome, sesso, born, self.belfiore[place])
        return Person(key, nome, cognome, sesso, born, place, cf, street, cap, comune)

    def homonym(self, p: Person, key: int) -> Person:
        """Another person with the same name, surname, sex, birth date and comune: an omocodic code."""
        street, cap, comune = self._address()
        cf = codice_fiscale(p.cognome, p.nome, p.sesso, p.nascita, p.cf[11:15], omocodia=1)
        return replace(p, key=key, cf=cf, indirizzo=street, cap=cap, comune=comune)

    # ------------------------------------------------------------------ errors
    def _typo(self, s: str) -> str:
        rng = self.rng
        letters = [i for i, ch in enumerate(s) if ch.isalpha()]
        if len(letters) < 3:
            return s
        i = rng.choice(letters[1:])
        kind = rng.random()
        if kind < 0.3:
            return s[:i] + s[i + 1:]
        if kind < 0.5:
            return s[:i] + s[i] + s[i:]
        if kind < 0.8:
            return s[:i] + rng.choice("aeiourlnst") + s[i + 1:]
        j = i - 1
        return s[:j] + s[i] + s[j] + s[i + 1:] if s[j].isalpha() else s

    def _accents(self, s: str) -> str:
        rng = self.rng
        folded = n.fold(s).title() if rng.random() < 0.5 else s
        if "'" in s:
            folded = rng.choice([s.replace("'", ""), s.replace("'", " "), s.replace("'", "’"), n.fold(s)])
        return folded.replace("ò", "o'").replace("ù", "u'") if rng.random() < 0.3 else folded

    def _date_typo(self, d: dt.date) -> str:
        text = d.strftime("%d/%m/%Y")
        i = self.rng.choice([0, 1, 3, 4, 8, 9])
        return text[:i] + str((int(text[i]) + self.rng.randint(1, 8)) % 10) + text[i + 1:]

    def record_b(self, p: Person, homonyms: dict[int, Person]) -> dict[str, str]:
        rng, r = self.rng, RATES
        nome, cognome = p.nome, p.cognome
        parts = [w for w in cognome.split() if n.fold(w) not in n.PARTICLES]
        if len(parts) == 2 and len(cognome.split()) == 2 and rng.random() < r["double_surname"]:
            cognome = parts[0] if rng.random() < 0.6 else " ".join(reversed(parts))
        if rng.random() < r["accents"]:
            nome, cognome = self._accents(nome), self._accents(cognome)
        if rng.random() < r["typo_name"]:
            nome = self._typo(nome)
        if rng.random() < r["typo_surname"]:
            cognome = self._typo(cognome)
        if rng.random() < r["swap"]:
            nome, cognome = cognome, nome
        if rng.random() < r["upper"]:
            nome, cognome = nome.upper(), cognome.upper()
        born = p.nascita.strftime("%d/%m/%Y")
        if rng.random() < r["dob_typo"]:
            born = self._date_typo(p.nascita)
        elif rng.random() < r["dob_swap"] and p.nascita.day <= 12:
            born = p.nascita.strftime("%m/%d/%Y")
        cf = p.cf
        roll = rng.random()
        if roll < r["cf_missing"]:
            cf = ""
        elif roll < r["cf_missing"] + r["cf_typo"]:
            i = rng.randrange(16)
            cf = cf[:i] + rng.choice("ABCDEFGHLMNPRST0123456789") + cf[i + 1:]
        elif roll < r["cf_missing"] + r["cf_typo"] + r["cf_check"]:
            cf = cf[:15] + rng.choice([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != cf[15]])
        elif roll < r["cf_missing"] + r["cf_typo"] + r["cf_check"] + r["cf_homonym"] and p.key in homonyms:
            cf = homonyms[p.key].cf
        sesso = "" if rng.random() < r["sex_missing"] else rng.choice([p.sesso, p.sesso.lower(), p.sesso])
        place = p.comune_nascita
        if rng.random() < r["birthplace_missing"]:
            place = ""
        elif rng.random() < r["birthplace_typo"]:
            place = self._typo(place)
        street, cap, comune = p.indirizzo, p.cap, p.comune
        if rng.random() < r["moved"]:
            street, cap, comune = self._address()
        if rng.random() < r["abbreviation"]:
            kind = street.split()[0]
            street = street.replace(kind, ABBREVIATIONS.get(kind, kind), 1)
        if rng.random() < r["cap_missing"]:
            cap = ""
        return {"nome": nome, "cognome": cognome, "data_nascita": born, "sesso": sesso, "comune_nascita": place,
                "codice_fiscale": cf, "indirizzo": street, "cap": cap, "comune": comune}


def record_a(p: Person) -> dict[str, str]:
    return {"nome": p.nome, "cognome": p.cognome, "data_nascita": p.nascita.isoformat(), "sesso": p.sesso,
            "comune_nascita": p.comune_nascita, "codice_fiscale": p.cf, "indirizzo": p.indirizzo, "cap": p.cap,
            "comune": p.comune}


def generate(out: Path, *, n_a: int = 5000, n_b: int = 5000, overlap: float = 0.7, seed: int = 1
             ) -> tuple[Path, Path, Path]:
    """Write ``persons_a.csv``, ``persons_b.csv`` and ``truth.csv`` (id_a, id_b) under ``out``."""
    gen = Generator(seed)
    rng = gen.rng
    people: list[Person] = []
    homonyms: dict[int, Person] = {}
    while len(people) < n_a:
        p = gen.person(len(people))
        people.append(p)
        if rng.random() < HOMONYM_SHARE and len(people) < n_a:
            h = gen.homonym(p, len(people))
            homonyms[p.key], homonyms[h.key] = h, p
            people.append(h)
    shared = rng.sample(people, min(len(people), int(n_b * overlap)))
    others = [gen.person(n_a + i) for i in range(n_b - len(shared))]
    in_b = shared + others
    rng.shuffle(in_b)
    out.mkdir(parents=True, exist_ok=True)
    paths = out / "persons_a.csv", out / "persons_b.csv", out / "truth.csv"
    with paths[0].open("w", encoding="utf-8", newline="") as fa:
        w = csv.writer(fa)
        w.writerow(PERSON_COLUMNS)
        for p in people:
            w.writerow([f"A{p.key:07d}", *record_a(p).values()])
    with paths[1].open("w", encoding="utf-8", newline="") as fb, paths[2].open("w", encoding="utf-8",
                                                                               newline="") as ft:
        w, t = csv.writer(fb, delimiter=";"), csv.writer(ft)
        w.writerow(PERSON_COLUMNS)
        t.writerow(["id_a", "id_b"])
        for i, p in enumerate(in_b):
            rid = f"B{i:07d}"
            w.writerow([rid, *gen.record_b(p, homonyms).values()])
            if p.key < n_a:
                t.writerow([f"A{p.key:07d}", rid])
    return paths


def truth(path: Path) -> set[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {(r["id_a"], r["id_b"]) for r in csv.DictReader(fh)}


# ------------------------------------------------------------------------------------------------ firms
FIRM_WORDS = _words("Officine Meccanica Tessile Alimentari Costruzioni Impianti Trasporti Logistica Servizi "
                    "Elettronica Plastica Legno Vetro Carta Chimica Edilizia Informatica Consulenza Ristorazione "
                    "Brianza Orobica Lariana Padana Lombarda Ambrosiana Insubrica Valtellina Franciacorta Naviglio")
FORMS = (("S.r.l.", "SRL", "Srl"), ("S.p.A.", "SPA", "Spa"), ("S.n.c.", "SNC", "snc"), ("S.a.s.", "SAS", "Sas"),
         ("Soc. Coop.", "Società Cooperativa", "SOC COOP"))
ATECO_CODES = ("25.62.00", "28.29.99", "10.71.10", "41.20.00", "43.21.01", "49.41.00", "52.10.20", "62.01.00",
               "56.10.11", "13.20.00", "22.29.09", "16.23.10", "46.69.99", "71.12.10", "33.12.99")


def _piva(rng: random.Random) -> str:
    """A valid P.IVA: seven digits of the firm, three of the tax office (001-100), a Luhn check digit."""
    from stdnum import luhn

    body = f"{rng.randint(1, 9_999_999):07d}{rng.randint(1, 100):03d}"
    return body + luhn.calc_check_digit(body)


def generate_firms(out: Path, *, n: int = 1000, overlap: float = 0.7, seed: int = 1) -> tuple[Path, Path, Path]:
    """Two sources of firms (``firms_a.csv``, ``firms_b.csv``) and the truth: B writes names with another legal
    form spelling, typos, the P.IVA in the codice fiscale column or missing, another ATECO digit, a move."""
    rng = random.Random(seed)
    gen = Generator(seed)
    firms = []
    for i in range(n):
        name = " ".join(rng.sample(FIRM_WORDS, rng.choice((2, 2, 3))))
        if rng.random() < 0.3:
            name = f"{rng.choice(SURNAMES).replace('_', ' ')} {name}"
        street, cap_, comune = gen._address()
        firms.append({"key": i, "name": name, "form": rng.randrange(len(FORMS)), "piva": _piva(rng),
                      "ateco": rng.choice(ATECO_CODES), "indirizzo": street, "cap": cap_, "comune": comune})
    shared = rng.sample(firms, int(n * overlap))
    others = []
    for i in range(n - len(shared)):
        f = dict(rng.choice(firms))
        f.update(key=n + i, piva=_piva(rng), name=" ".join(rng.sample(FIRM_WORDS, 3)))
        others.append(f)
    in_b = shared + others
    rng.shuffle(in_b)
    out.mkdir(parents=True, exist_ok=True)
    paths = out / "firms_a.csv", out / "firms_b.csv", out / "truth_firms.csv"
    columns = ("id", "ragione_sociale", "partita_iva", "codice_fiscale", "ateco", "indirizzo", "cap", "comune")
    with paths[0].open("w", encoding="utf-8", newline="") as fa:
        w = csv.writer(fa)
        w.writerow(columns)
        for f in firms:
            w.writerow([f"FA{f['key']:06d}", f"{f['name']} {FORMS[f['form']][0]}", f["piva"], f["piva"], f["ateco"],
                        f["indirizzo"], f["cap"], f["comune"]])
    with paths[1].open("w", encoding="utf-8", newline="") as fb, paths[2].open("w", encoding="utf-8",
                                                                               newline="") as ft:
        w, t = csv.writer(fb), csv.writer(ft)
        w.writerow(columns)
        t.writerow(["id_a", "id_b"])
        for i, f in enumerate(in_b):
            name = f["name"].upper() if rng.random() < 0.5 else f["name"]
            if rng.random() < 0.15:
                name = gen._typo(name)
            name = f"{name} {rng.choice(FORMS[f['form']])}"
            piva, cf = f["piva"], ""
            roll = rng.random()
            if roll < 0.25:
                piva, cf = "", f["piva"]
            elif roll < 0.35:
                piva = ""
            elif roll < 0.4:
                piva = "IT" + piva
            ateco = f["ateco"] if rng.random() < 0.8 else f["ateco"][:5] + f"{rng.randint(0, 99):02d}".replace(".", "")
            street, cap_, comune = (f["indirizzo"], f["cap"], f["comune"]) if rng.random() < 0.85 else gen._address()
            rid = f"FB{i:06d}"
            w.writerow([rid, name, piva, cf, ateco, street, cap_, comune])
            if f["key"] < n:
                t.writerow([f"FA{f['key']:06d}", rid])
    return paths
