"""Synthetic Lombardy job postings for demos, tests and benchmarks - clearly synthetic, in every format.

Composed from the taxonomy: titles are ESCO occupations' Italian labels, texts name the occupation's essential
and optional skills (Italian terms of Regia's lexicon where there is one, else ESCO's English label, as Italian
ads use English loanwords), with Italian phrasing. Provinces are weighted by population, comuni by a Zipf law
around the capoluogo, sectors (ATECO 2007 divisions) follow the occupation's ISCO sub-major group, dates span
24 months with growth and a few skills that grow over time (so that "emerging skills" has something to find).

Deliberately planted, and listed in ``manifest.json``:

- exact duplicates: the same ad re-published on another board or format, and re-scraped rows of the feed;
- near-duplicates: the same employer, title and place with a lightly edited text;
- bad rows: missing titles, impossible dates, unknown codes, truncated lines, broken JSON, bad skill rows;
- personal data (e-mails, phones, contact names) in some texts, which ingest must strip.

Every URL is under ``*.demo.invalid`` (RFC 2606): ingest marks such postings as synthetic and the pages say so.
No real firm or person: employer names are composed from place adjectives and trade words.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.db import session_factory
from regia.postings import reference
from regia.postings.reference import OccupationText, Reference

DEMO_END = dt.date(2026, 10, 31)
MONTHS = 24
TREND_MIN_GROUPS = 12  # a growing skill is needed by occupations of at least this many ISCO sub-major groups
FORMAT_SHARES = {"oja": 0.45, "jsonld": 0.2, "jsonl": 0.2, "xlsx": 0.15}
EXACT_SHARE = 0.06  # re-published on another board/format
RESCRAPE_SHARE = 0.03  # same feed row scraped again weeks later
NEAR_SHARE = 0.03  # lightly edited copy
BAD_SHARE = 0.004
PII_SHARE = 0.08

# Resident population, 1 January 2024 (ISTAT, rounded to thousands): weights of the provinces.
POPULATION = {
    "ITC4C": 3_215_000, "ITC47": 1_254_000, "ITC46": 1_104_000, "ITC41": 877_000, "ITC4D": 871_000,
    "ITC42": 596_000, "ITC48": 534_000, "ITC4B": 404_000, "ITC4A": 352_000, "ITC43": 332_000,
    "ITC49": 227_000, "ITC44": 180_000,
}
# ISCO-08 sub-major group -> weight of its demand in online ads, and the ATECO 2007 divisions it works in.
ISCO2 = {
    "11": (1, ["70", "64", "46"]), "12": (2, ["70", "46", "62"]), "13": (2, ["25", "28", "52", "86"]),
    "14": (2, ["56", "55", "47"]), "21": (5, ["28", "25", "71", "27", "29"]),
    "22": (3, ["86", "87"]), "23": (1, ["85"]), "24": (5, ["69", "70", "64", "46"]),
    "25": (8, ["62", "63", "58"]), "26": (1, ["69", "90"]), "31": (6, ["28", "25", "71", "43"]),
    "32": (4, ["86", "87", "47"]), "33": (8, ["46", "69", "82", "64", "66"]), "34": (2, ["93", "56", "90"]),
    "35": (4, ["62", "61"]), "41": (3, ["82", "69"]), "42": (4, ["82", "79", "64"]), "43": (5, ["52", "46", "69"]),
    "44": (1, ["82"]), "51": (8, ["56", "55", "96"]), "52": (9, ["47", "46"]), "53": (3, ["87", "88"]),
    "54": (1, ["80"]), "61": (1, ["01"]), "62": (1, ["02", "03"]), "71": (5, ["41", "43"]),
    "72": (9, ["25", "28", "29", "45"]), "73": (1, ["18", "32"]), "74": (5, ["27", "43", "33"]),
    "75": (3, ["10", "16", "14", "31"]), "81": (4, ["20", "22", "24", "10"]), "82": (5, ["27", "29", "28"]),
    "83": (6, ["49", "52", "53"]), "91": (4, ["81"]), "93": (8, ["52", "49", "25"]), "94": (2, ["56"]),
    "96": (2, ["38", "81"]),
}
GROWING = ("25", "35", "21", "31")  # sub-major groups whose share grows over the period
CONTRACTS = [("Tempo indeterminato", 35), ("Tempo determinato", 30), ("Somministrazione", 14),
             ("Apprendistato", 9), ("Stage", 5), ("Collaborazione", 4), ("Lavoro autonomo", 3)]
EXPERIENCE = [("Nessuna", 25), ("Fino a 2 anni", 35), ("Da 2 a 4 anni", 25), ("Oltre 4 anni", 15)]
EDUCATION = {"1": "Laurea magistrale", "2": "Laurea magistrale", "3": "Diploma", "4": "Diploma",
             "5": "Diploma", "6": "Licenza media", "7": "Qualifica professionale", "8": "Diploma",
             "9": "Licenza media"}
BOARDS = ["DEMO_BOARD_A", "DEMO_BOARD_B", "DEMO_BOARD_C", "DEMO_AGENCY_D", "DEMO_BOARD_E"]
PLACES = ["Orobica", "Lariana", "Brianzola", "Insubrica", "Padana", "Lombarda", "Ambrosiana", "Camuna",
          "Valtellinese", "Lomellina", "Cremasca", "Benacense", "Sebina", "Ticinese", "Olonese", "Abduana",
          "Seriana", "Brembana", "Verbana", "Mincio", "Lambro", "Naviglio", "Franciacorta", "Oltrepò",
          "Martesana", "Valchiavenna", "Valcamonica", "Lodigiana", "Vigevanese", "Mantovana"]
TRADES = {
    "C": ["Meccanica", "Officine", "Metalli", "Componenti", "Industrie", "Tecnoplast", "Minuterie", "Automazioni"],
    "F": ["Costruzioni", "Edil", "Impianti", "Cantieri"], "G": ["Commerciale", "Distribuzione", "Market", "Forniture"],
    "H": ["Logistica", "Trasporti", "Spedizioni", "Magazzini"], "I": ["Ristorazione", "Hotel", "Trattoria", "Catering"],
    "J": ["Software", "Digital", "Informatica", "Data Lab"], "K": ["Finanza", "Assicurazioni", "Credito"],
    "M": ["Consulting", "Studio Associato", "Engineering", "Progetti"], "N": ["Servizi", "Multiservizi", "Facility"],
    "P": ["Formazione", "Istituto"], "Q": ["Sanità", "Assistenza", "Residenza", "Cure"],
}
LEGAL = ["Srl", "Spa", "S.r.l.", "S.p.A.", "Snc", "Sas", "Soc. Coop."]
AGENCIES = ["Lavoro Insubria Agenzia Srl", "Risorse Padane Spa", "Staff Ambrosiano Srl", "Selezione Lariana Srl"]
FIRST = ["Giulia", "Marco", "Chiara", "Luca", "Sara", "Andrea", "Elena", "Paolo", "Marta", "Davide"]
LAST = ["Brambilla", "Colombo", "Ferrario", "Galbiati", "Mauri", "Pirovano", "Sala", "Tagliabue", "Vismara", "Zappa"]
TRANSVERSAL_IT = ["problem solving", "lavoro di squadra", "orientamento al cliente", "capacità organizzative",
                  "precisione e affidabilità", "flessibilità", "team working", "capacità di comunicazione"]
LOANWORDS = ["know-how", "smart working", "welfare aziendale", "onboarding", "performance", "customer care"]

OJA_COLUMNS = ["general_id", "grab_date", "expire_date", "source", "companyname", "title", "description", "idcity",
               "city", "idprovince", "province", "idregion", "region", "contract", "educational_level",
               "experience", "working_hours", "salary", "idsector", "sector", "isco_level_4",
               "esco_occupation_uri", "url"]
SKILL_COLUMNS = ["general_id", "esco_skill_uri", "esco_skill_label", "skill_type", "digital", "green"]
XLSX_COLUMNS = ["codice", "data_pubblicazione", "data_scadenza", "azienda", "titolo", "descrizione", "comune",
                "provincia", "cap", "contratto", "orario", "titolo_di_studio", "esperienza", "settore", "ateco",
                "retribuzione", "competenze", "link"]


@dataclass
class Ad:
    """One synthetic posting, before it is written in some format."""

    uid: int
    occupation: OccupationText
    title: str
    paragraphs: list[str]
    employer: str
    comune: str
    date_posted: dt.date
    valid_through: dt.date
    contract: str
    hours: str
    education: str
    experience: str
    salary: str
    division: str
    skills: list[tuple[str, str]]  # (uri, label as written)
    board: str
    has_pii: bool = False
    fmt: str = "oja"
    source_id: str = ""

    @property
    def description(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Manifest:
    n: int
    seed: int
    end: str
    files: dict[str, str] = field(default_factory=dict)
    records: int = 0
    postings: dict[str, int] = field(default_factory=dict)  # posting records per file
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    bad_skill_rows: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # kind, original (file, line), copy (file, line)
    with_personal_data: int = 0
    synthetic: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class _Vocabulary:
    def __init__(self, engine: Engine) -> None:
        self.ref: Reference = reference.for_engine(engine)
        with session_factory(engine)() as session:
            self.occupations = reference.occupation_texts(session)
            self.skill_en = reference.labels_by_uri(session, "skill", "en")
            self.skill_it = reference.labels_by_uri(session, "skill", "it")
        try:
            from regia.classify.lexicon import entries

            for e in entries():
                if e.lang == "it":
                    self.skill_it.setdefault(e.uri, e.term)
        except ImportError:  # pragma: no cover - the classifier package is part of Regia
            pass
        self.by_isco2: dict[str, list[OccupationText]] = defaultdict(list)
        for occ in self.occupations:
            if occ.isco[:2] in ISCO2:
                self.by_isco2[occ.isco[:2]].append(occ)
        if not self.by_isco2:
            raise ValueError("the database holds no ESCO occupations with Italian labels, an ISCO group and essential "
                             "skills to write postings for: import the taxonomy first (regia taxonomy import)")
        self.comuni_by_province: dict[str, list[str]] = defaultdict(list)
        for c in sorted(self.ref.comuni.values(), key=lambda c: c.code):
            if c.nuts3 in POPULATION:
                self.comuni_by_province[c.nuts3].append(c.code)
        # Skills that grow over time are digital or green skills that occupations of many kinds need (computer
        # literacy, spreadsheets, pollution prevention, CAD ...): drawn from all 1,700 flagged skills, the demo
        # planted "use ultrasonic equipment" or "advise on mining environmental issues" among Lombardy's most
        # demanded skills. Small taxonomies (tests) fall back to every flagged skill.
        groups: dict[str, set[str]] = defaultdict(set)  # skill -> ISCO sub-major groups of the occupations needing it
        for occ in self.occupations:
            for u in (*occ.essential, *occ.optional):
                groups[u].add(occ.isco[:2])
        flagged = sorted(u for u, f in self.ref.collections.items()
                         if ("digital" in f or "green" in f) and u in self.skill_en)
        self.flag_skills = [u for u in flagged if len(groups[u]) >= TREND_MIN_GROUPS] or flagged


def _weighted(rng: random.Random, pairs: list[tuple[str, float]] | list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


class Generator:
    def __init__(self, vocab: _Vocabulary, seed: int, end: dt.date = DEMO_END) -> None:
        self.v = vocab
        self.rng = random.Random(seed)
        self.end = end
        rng = self.rng
        first = end.replace(day=1)
        self.months = []
        y, m = first.year, first.month
        for _ in range(MONTHS):
            self.months.append(dt.date(y, m, 1))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        self.months.reverse()
        # Zipf order of occupations within each sub-major group, and of comuni within each province
        self.occ_weights = {}
        for k, occs in self.v.by_isco2.items():
            order = occs[:]
            rng.shuffle(order)
            self.occ_weights[k] = (order, [1 / (i + 1) ** 1.1 for i in range(len(order))])
        self.comune_weights = {}
        for p, codes in self.v.comuni_by_province.items():
            capoluogo = [c for c in codes if self.v.ref.comuni[c].name == self.v.ref.provinces[p].name.split()[0]]
            rest = [c for c in codes if c not in capoluogo]
            rng.shuffle(rest)
            places = capoluogo + rest
            weights = [1 / (i + 1) ** 0.9 for i in range(len(places))]
            if capoluogo:
                weights[0] = sum(weights[1:]) * 0.55
            self.comune_weights[p] = (places, weights)
        self.trend_skills = rng.sample(self.v.flag_skills, min(8, len(self.v.flag_skills)))
        self.employers: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.used_names: set[str] = set()

    # ------------------------------------------------------------------ pieces
    def _month(self) -> tuple[int, dt.date]:
        weights = [1.0 + 0.8 * i / MONTHS + (0.15 if d.month in (3, 4, 9, 10) else 0) -
                   (0.35 if d.month == 8 else 0) for i, d in enumerate(self.months)]
        i = self.rng.choices(range(MONTHS), weights=weights)[0]
        start = self.months[i]
        next_month = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        day = self.rng.randrange((next_month - start).days)
        return i, start + dt.timedelta(days=day)

    def _occupation(self, t: float) -> OccupationText:
        groups = [k for k in ISCO2 if k in self.occ_weights]
        weights = [ISCO2[k][0] * (1 + 1.2 * t if k in GROWING else 1.0) for k in groups]
        group = self.rng.choices(groups, weights=weights)[0]
        order, w = self.occ_weights[group]
        return self.rng.choices(order, weights=w)[0]

    def _employer(self, province: str, division: str) -> str:
        pool = self.employers[(province, division)]
        if pool and self.rng.random() < 0.75:
            return self.rng.choice(pool)
        section = self.v.ref.ateco_path(division)
        trades = TRADES.get(section[2] if section and section[2] else "", ["Servizi", "Industrie", "Gruppo"])
        for _ in range(50):
            name = f"{self.rng.choice(trades)} {self.rng.choice(PLACES)}"
            if self.rng.random() < 0.4:
                name += f" {self.rng.choice(['Nord', 'Group', 'Italia', 'Tech', '2000', 'Due', 'Tre', 'Sud'])}"
            name += f" {self.rng.choice(LEGAL)}"
            if name not in self.used_names:
                break
        self.used_names.add(name)
        pool.append(name)
        return name

    def _label(self, uri: str) -> str:
        it = self.v.skill_it.get(uri)
        if it and self.rng.random() < 0.8:
            return it
        return self.v.skill_en.get(uri, "")

    @staticmethod
    def _title_case(text: str) -> str:
        return text[:1].upper() + text[1:]

    def _title(self, occ: OccupationText) -> str:
        labels = occ.labels_it
        label = labels[0] if self.rng.random() < 0.7 or len(labels) == 1 else self.rng.choice(labels[1:])
        if "/" in label and self.rng.random() < 0.5:
            label = label.split("/")[0].strip() + " (m/f)"
        title = self._title_case(label)
        r = self.rng.random()
        if r < 0.08:
            title = f"{title} junior"
        elif r < 0.14:
            title = f"{title} senior"
        elif r < 0.18:
            title = f"Cercasi {label}"
        return title

    # ------------------------------------------------------------------ one ad
    def ad(self, uid: int) -> Ad:
        rng = self.rng
        month_index, posted = self._month()
        t = month_index / (MONTHS - 1)
        occ = self._occupation(t)
        province = rng.choices(list(POPULATION), weights=list(POPULATION.values()))[0]
        places, weights = self.comune_weights[province]
        comune = rng.choices(places, weights=weights)[0]
        division = rng.choice(ISCO2[occ.isco[:2]][1])
        contract = _weighted(rng, CONTRACTS)
        agency = contract == "Somministrazione" and rng.random() < 0.8
        employer = rng.choice(AGENCIES) if agency else self._employer(province, division)
        essential = rng.sample(occ.essential, min(len(occ.essential), rng.randint(3, 6)))
        optional = rng.sample(occ.optional, min(len(occ.optional), rng.randint(0, 2)))
        trend = [s for s in self.trend_skills if rng.random() < 0.002 + 0.25 * t ** 3]  # accelerating
        skills = [(u, self._label(u)) for u in [*essential, *optional, *trend[:2]] if self._label(u)]
        skills = [(u, lab) for u, lab in skills if lab]
        title = self._title(occ)
        place = self.v.ref.comuni[comune].name
        sigla = self.v.ref.provinces[province].sigla
        hours = "Part time" if rng.random() < 0.22 else "Full time"
        education = EDUCATION.get(occ.isco[0], "Diploma")
        experience = _weighted(rng, EXPERIENCE)
        salary = ""
        if rng.random() < 0.35:
            base = {"1": 45, "2": 35, "3": 28}.get(occ.isco[0], 22) + rng.randint(-3, 6)
            salary = f"RAL {base}.000-{base + rng.randint(2, 6)}.000 EUR"
        labels = [lab for _, lab in skills]
        duties = labels[: max(1, len(labels) // 2)]
        reqs = labels[len(duties):]
        who = rng.choice(["un/una", "una figura di", "un/a"]) + f" {occ.labels_it[0]}"
        opener = rng.choice([
            f"{employer}, realtà {rng.choice(['dinamica', 'in crescita', 'storica', 'strutturata'])} del territorio "
            f"di {place}, ricerca {who} da inserire {rng.choice(['nel proprio organico', 'nel team', 'in reparto'])}.",
            f"Per {'azienda cliente' if agency else 'la propria sede'} di {place} ({sigla}) {employer} seleziona "
            f"{who}.",
            f"Siamo {employer} e cerchiamo {who} per la sede di {place}.",
        ])
        para = [opener,
                "La risorsa si occuperà di: " + "; ".join(duties) + ".",
                "Requisiti: " + ", ".join([f"{education.lower()}", f"esperienza {experience.lower()}", *reqs,
                                            rng.choice(TRANSVERSAL_IT)]) + "."]
        if rng.random() < 0.4:
            para.append(f"Gradita conoscenza della lingua inglese e {rng.choice(TRANSVERSAL_IT)}.")
        para.append(f"Offriamo contratto {contract.lower()}, {hours.lower()}"
                    + (f", {salary}" if salary else "") + f", {rng.choice(LOANWORDS)}.")
        has_pii = rng.random() < PII_SHARE
        if has_pii:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            para.append(rng.choice([
                f"Inviare il CV a {first.lower()}.{last.lower()}@{employer.split()[0].lower()}.demo.invalid",
                f"Per informazioni contattare {first} {last} al numero 0{rng.randint(2, 3)}{rng.randint(10, 99)} "
                f"{rng.randint(100000, 999999)}",
                f"Referente: Sig.ra {first} {last}, tel. 3{rng.randint(20, 49)} {rng.randint(1000000, 9999999)}",
            ]))
        valid = posted + dt.timedelta(days=rng.choice([30, 30, 45, 60]))
        return Ad(uid, occ, title, para, employer, comune, posted, valid, contract, hours, education, experience,
                  salary, division, skills, rng.choice(BOARDS), has_pii)

    def near_copy(self, ad: Ad, uid: int) -> Ad:
        """The same ad lightly edited: a word changed and a short sentence added."""
        paras = ad.paragraphs[:]
        paras[0] = paras[0].replace(" ricerca ", " cerca ").replace(" seleziona ", " ricerca ").replace(
            " cerchiamo ", " ricerchiamo ")
        paras.insert(len(paras) - 1, self.rng.choice(["Inserimento immediato.", "Si valutano anche profili junior.",
                                                       "Disponibilità a lavorare su turni."]))
        shift = dt.timedelta(days=self.rng.randint(1, 20))
        posted = min(ad.date_posted + shift, self.end)
        return replace(ad, uid=uid, paragraphs=paras, board=self.rng.choice(BOARDS), date_posted=posted,
                       valid_through=ad.valid_through + shift, has_pii=ad.has_pii)


# ---------------------------------------------------------------------------------------------- writers
def _url(ad: Ad) -> str:
    board = ad.board.lower().replace("_", "-")
    return f"https://{board}.demo.invalid/annunci/{ad.source_id}"


def _jobposting(ad: Ad, ref: Reference, rng: random.Random) -> dict[str, Any]:
    c = ref.comuni[ad.comune]
    p = ref.provinces[c.nuts3]
    employment = {"Tempo determinato": ["TEMPORARY"], "Stage": ["INTERN"], "Lavoro autonomo": ["CONTRACTOR"],
                  "Collaborazione": ["CONTRACTOR"]}.get(ad.contract, [])
    employment.append("PART_TIME" if ad.hours == "Part time" else "FULL_TIME")
    obj: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": ad.board, "value": ad.source_id},
        "title": ad.title,
        "description": "".join(f"<p>{para}</p>" for para in ad.paragraphs),
        "datePosted": ad.date_posted.isoformat(), "validThrough": ad.valid_through.isoformat(),
        "employmentType": employment if len(employment) > 1 else employment[0],
        "hiringOrganization": {"@type": "Organization", "name": ad.employer},
        "jobLocation": {"@type": "Place", "address": {
            "@type": "PostalAddress", "addressLocality": c.name, "addressRegion": p.sigla, "addressCountry": "IT"}},
        "industry": ref.ateco_labels.get(ad.division, ""),
        "educationRequirements": ad.education,
        "skills": ", ".join(label for _, label in ad.skills[:4]),
        "url": _url(ad),
    }
    if rng.random() < 0.5:
        obj["occupationalCategory"] = {"@type": "CategoryCode", "codeValue": ad.occupation.isco,
                                       "inCodeSet": "ISCO-08"}
    if ad.salary:
        lo, hi = ad.salary.removeprefix("RAL ").removesuffix(" EUR").split("-")
        obj["baseSalary"] = {"@type": "MonetaryAmount", "currency": "EUR", "value": {
            "@type": "QuantitativeValue", "minValue": int(lo.replace(".", "")), "maxValue": int(hi.replace(".", "")),
            "unitText": "YEAR"}}
    return obj


class _Files:
    """Open output files of one generation, tracking each record's line."""

    def __init__(self, out: Path, ref: Reference, rng: random.Random) -> None:
        self.out = out
        self.ref = ref
        self.rng = rng
        (out / "oja-feed").mkdir(parents=True, exist_ok=True)
        (out / "jsonld").mkdir(parents=True, exist_ok=True)
        (out / "jsonl").mkdir(parents=True, exist_ok=True)
        (out / "xlsx").mkdir(parents=True, exist_ok=True)
        self.paths = {"oja": out / "oja-feed" / "postings.csv", "oja-skills": out / "oja-feed" / "skills.csv",
                      "jsonld": out / "jsonld" / "postings.json", "jsonl": out / "jsonl" / "postings.jsonl",
                      "xlsx": out / "xlsx" / "postings.xlsx"}
        self.oja = self.paths["oja"].open("w", encoding="utf-8", newline="")
        self.skills = self.paths["oja-skills"].open("w", encoding="utf-8", newline="")
        self.jsonld = self.paths["jsonld"].open("w", encoding="utf-8")
        self.jsonl = self.paths["jsonl"].open("w", encoding="utf-8")
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("annunci")
        self.lines = {"oja": 1, "oja-skills": 1, "jsonld": 1, "jsonl": 0, "xlsx": 1}
        self._row(self.oja, "oja", OJA_COLUMNS)
        self._row(self.skills, "oja-skills", SKILL_COLUMNS)
        self.lines["oja"] = self.lines["oja-skills"] = 1
        self.jsonld.write("[\n")
        self.jsonld_first = True
        self.ws.append(XLSX_COLUMNS)

    def name(self, kind: str) -> str:
        return self.paths[kind].name

    def _row(self, fh: Any, kind: str, values: list[Any], raw_tail: str | None = None) -> int:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(values)
        text = buf.getvalue()
        if raw_tail is not None:
            text = raw_tail
        line = self.lines[kind] + 1
        fh.write(text)
        self.lines[kind] += text.count("\n")
        return line

    # ------------------------------------------------------------------ records
    def oja_values(self, ad: Ad) -> list[Any]:
        c = self.ref.comuni[ad.comune]
        p = self.ref.provinces[c.nuts3]
        occ_uri = ad.occupation.uri if self.rng.random() < 0.7 else ""
        return [ad.source_id, ad.date_posted.isoformat(), ad.valid_through.isoformat(), ad.board, ad.employer,
                ad.title, ad.description, c.code, c.name, p.nuts3, p.name, p.nuts2, self.ref.regions.get(p.nuts2, ""),
                ad.contract, ad.education, ad.experience, ad.hours, ad.salary, ad.division,
                self.ref.ateco_labels.get(ad.division, "").capitalize(), ad.occupation.isco, occ_uri, _url(ad)]

    def write_oja(self, ad: Ad, values: list[Any] | None = None, raw: str | None = None,
                  skills: bool = True) -> int:
        line = self._row(self.oja, "oja", values or self.oja_values(ad), raw)
        if skills:
            for uri, label in ad.skills:
                flags = self.ref.skill_flags(uri)
                self._row(self.skills, "oja-skills", [ad.source_id, uri, label, "skill/competence",
                                                      "Y" if "digital" in flags else "N",
                                                      "Y" if "green" in flags else "N"])
        return line

    def write_skill_row(self, values: list[str]) -> int:
        return self._row(self.skills, "oja-skills", values)

    def write_jsonld(self, obj: dict[str, Any] | None, raw: str | None = None) -> int:
        text = raw if raw is not None else json.dumps(obj, ensure_ascii=False)
        if not self.jsonld_first:
            self.jsonld.write(",\n")
            self.lines["jsonld"] += 1
        else:
            self.lines["jsonld"] += 1
        self.jsonld_first = False
        self.jsonld.write(text)
        return self.lines["jsonld"]

    def write_jsonl(self, obj: dict[str, Any] | None, raw: str | None = None) -> int:
        self.jsonl.write((raw if raw is not None else json.dumps(obj, ensure_ascii=False)) + "\n")
        self.lines["jsonl"] += 1
        return self.lines["jsonl"]

    def xlsx_values(self, ad: Ad) -> list[Any]:
        c = self.ref.comuni[ad.comune]
        p = self.ref.provinces[c.nuts3]
        return [ad.source_id, ad.date_posted, ad.valid_through, ad.employer, ad.title, ad.description, c.name,
                p.sigla, "", ad.contract, ad.hours, ad.education, ad.experience,
                self.ref.ateco_labels.get(ad.division, ""), ad.division, ad.salary,
                "; ".join(label for _, label in ad.skills[:4]), _url(ad)]

    def write_xlsx(self, values: list[Any]) -> int:
        self.ws.append(values)
        self.lines["xlsx"] += 1
        return self.lines["xlsx"]

    def close(self) -> None:
        self.jsonld.write("\n]\n")
        for fh in (self.oja, self.skills, self.jsonld, self.jsonl):
            fh.close()
        self.wb.save(self.paths["xlsx"])


def _write(files: _Files, ad: Ad) -> tuple[str, int]:
    if ad.fmt == "oja":
        return files.name("oja"), files.write_oja(ad)
    if ad.fmt == "jsonld":
        return files.name("jsonld"), files.write_jsonld(_jobposting(ad, files.ref, files.rng))
    if ad.fmt == "jsonl":
        return files.name("jsonl"), files.write_jsonl(_jobposting(ad, files.ref, files.rng))
    return files.name("xlsx"), files.write_xlsx(files.xlsx_values(ad))


def _plant_bad(files: _Files, ad: Ad, kind: int) -> dict[str, Any]:
    """Write ``ad`` broken in one of several ways; returns what the quarantine must show."""
    fmt = ad.fmt
    ref = files.ref
    fld: str | None
    if fmt == "oja":
        values = files.oja_values(ad)
        col = OJA_COLUMNS.index
        variants: list[tuple[str, str, Callable[[list[Any]], None]]] = [
            ("title", "missing title", lambda v: v.__setitem__(col("title"), "")),
            ("grab_date", "not a date", lambda v: v.__setitem__(col("grab_date"), "2025-13-45")),
            ("expire_date", "before publication", lambda v: v.__setitem__(
                col("expire_date"), (ad.date_posted - dt.timedelta(days=10)).isoformat())),
            ("idcity", "unknown ISTAT comune code", lambda v: v.__setitem__(col("idcity"), "999999")),
            ("idprovince", "unknown NUTS3", lambda v: v.__setitem__(col("idprovince"), "ITC4Z")),
            ("isco_level_4", "unknown ISCO-08", lambda v: v.__setitem__(col("isco_level_4"), "0999")),
            ("idsector", "unknown ATECO", lambda v: v.__setitem__(col("idsector"), "04")),
        ]
        if kind % (len(variants) + 1) == len(variants):
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow(values)
            text = buf.getvalue()
            cut = text.index('"') + 40 if '"' in text else len(text) // 2
            line = files.write_oja(ad, raw=text[:cut] + "\n", skills=False)
            return {"file": files.name("oja"), "line": line, "field": None, "reason": "truncated",
                    "id": ad.source_id}
        fld, reason, change = variants[kind % (len(variants) + 1)]
        change(values)
        line = files.write_oja(ad, values=values, skills=False)
        return {"file": files.name("oja"), "line": line, "field": fld, "reason": reason, "id": ad.source_id}
    if fmt in ("jsonld", "jsonl"):
        obj = _jobposting(ad, ref, files.rng)
        write = files.write_jsonld if fmt == "jsonld" else files.write_jsonl
        choice = kind % 4
        if choice == 0:
            text = json.dumps(obj, ensure_ascii=False)
            line = write(None, raw=text[: len(text) // 2])
            fld, reason = None, "JSON"
        elif choice == 1:
            obj.pop("title")
            line = write(obj)
            fld, reason = "title", "missing title"
        elif choice == 2:
            obj["datePosted"] = "ieri"
            line = write(obj)
            fld, reason = "datePosted", "not a date"
        else:
            obj["validThrough"] = (ad.date_posted - dt.timedelta(days=5)).isoformat()
            line = write(obj)
            fld, reason = "validThrough", "before publication"
        return {"file": files.name(fmt), "line": line, "field": fld, "reason": reason,
                "id": None if choice == 0 else ad.source_id}
    values = files.xlsx_values(ad)
    if kind % 2 == 0:
        values[XLSX_COLUMNS.index("titolo")] = None
        fld, reason = "titolo", "missing title"
    else:
        values[XLSX_COLUMNS.index("data_pubblicazione")] = "da definire"
        fld, reason = "data_pubblicazione", "not a date"
    return {"file": files.name("xlsx"), "line": files.write_xlsx(values), "field": fld, "reason": reason,
            "id": ad.source_id}


def generate(engine: Engine, out: Path, *, n: int = 200_000, seed: int = 7, end: dt.date = DEMO_END,
             progress: Any = None) -> Manifest:
    """Write about ``n`` posting records (duplicates and bad rows included) under ``out``; returns the
    manifest (also written to ``out/manifest.json``)."""
    vocab = _Vocabulary(engine)
    gen = Generator(vocab, seed, end)
    rng = gen.rng
    out.mkdir(parents=True, exist_ok=True)
    files = _Files(out, vocab.ref, random.Random(seed + 1))
    manifest = Manifest(n=n, seed=seed, end=end.isoformat(), files={k: str(p.relative_to(out))
                                                                   for k, p in files.paths.items()})
    fmts = list(FORMAT_SHARES)
    shares = list(FORMAT_SHARES.values())
    counters: dict[str, int] = defaultdict(int)
    written: list[tuple[Ad, str, int]] = []  # recent ads (for duplicates)

    def new_id(fmt: str) -> str:
        counters[fmt] += 1
        prefix = {"oja": "", "jsonld": "LD-", "jsonl": "JL-", "xlsx": "XL-"}[fmt]
        return f"{prefix}{seed:02d}{counters[fmt]:07d}" if fmt != "oja" else f"{seed}{counters[fmt]:07d}"

    if progress is not None:
        progress.start("demo postings", n)
    uid = 0
    n_bad = 0
    while manifest.records < n:
        uid += 1
        roll = rng.random()
        if len(written) >= 20 and roll < EXACT_SHARE + RESCRAPE_SHARE + NEAR_SHARE:
            original, ofile, oline = written[rng.randrange(len(written))]
            if roll < EXACT_SHARE:
                kind = "exact"
                fmt = rng.choices(fmts, weights=shares)[0]
                copy = replace(original, uid=uid, fmt=fmt, board=rng.choice(BOARDS),
                               date_posted=min(end, original.date_posted + dt.timedelta(days=rng.randint(0, 6))),
                               valid_through=original.valid_through + dt.timedelta(days=7))
                copy.source_id = new_id(fmt)
            elif roll < EXACT_SHARE + RESCRAPE_SHARE and original.fmt == "oja":
                kind = "rescrape"
                copy = replace(original, uid=uid, date_posted=min(end, original.date_posted + dt.timedelta(
                    days=rng.randint(7, 28))))
            else:
                kind = "near"
                fmt = rng.choices(fmts, weights=shares)[0]
                copy = gen.near_copy(original, uid)
                copy.fmt = fmt
                copy.source_id = new_id(fmt)
            file, line = _write(files, copy)
            manifest.postings[file] = manifest.postings.get(file, 0) + 1
            manifest.duplicates.append({"kind": kind, "original": [ofile, oline], "copy": [file, line]})
        else:
            ad = gen.ad(uid)
            ad.fmt = rng.choices(fmts, weights=shares)[0]
            ad.source_id = new_id(ad.fmt)
            if rng.random() < BAD_SHARE:
                bad = _plant_bad(files, ad, n_bad)
                manifest.bad_rows.append(bad)
                manifest.postings[bad["file"]] = manifest.postings.get(bad["file"], 0) + 1
                n_bad += 1
            else:
                file, line = _write(files, ad)
                manifest.postings[file] = manifest.postings.get(file, 0) + 1
                manifest.with_personal_data += int(ad.has_pii)
                written.append((ad, file, line))
                if len(written) > 5000:
                    written.pop(rng.randrange(len(written)))
        manifest.records += 1
        if progress is not None:
            progress.advance()
    # a few bad rows of the skills file (not postings: they are quarantined but not counted as postings)
    oja_ids = [a.source_id for a, _, _ in written if a.fmt == "oja"]
    for i in range(max(1, n // 20000)):
        rid = oja_ids[i % len(oja_ids)] if oja_ids else "0"
        if i % 2 == 0:
            values = [rid, "http://data.europa.eu/esco/skill/not-a-uri", "bad uri", "skill/competence", "N", "N"]
            fld, reason = "esco_skill_uri", "not an ESCO skill URI"
        else:
            values = [rid, "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be",
                      "use spreadsheets software", "skill/competence", "forse", "N"]
            fld, reason = "digital", "must be Y or N"
        line = files.write_skill_row(values)
        manifest.bad_skill_rows.append({"file": files.name("oja-skills"), "line": line, "field": fld,
                                        "reason": reason, "id": rid})
    files.close()
    (out / "manifest.json").write_text(json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    return manifest


def input_files(out: Path) -> list[Path]:
    """The files to give `regia ingest postings`, in a sensible order (the feed first)."""
    names = ["oja-feed/postings.csv", "oja-feed/skills.csv", "jsonld/postings.json", "jsonl/postings.jsonl",
             "xlsx/postings.xlsx"]
    return [out / name for name in names if (out / name).is_file()]
