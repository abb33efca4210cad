"""A realistic synthetic catalogue: accredited providers across Lombardy's 12 provinces publishing courses
(as CSV files in the shape of ``shared/samples/courses``), and a Fund publishing the courses it finances: part
of them already published by their providers (re-sent with small edits and the Fund's own codes, so that the
once-only recognition has something to recognise), the rest its own *Conto di Sistema* courses.

Dates are relative to the day the catalogue is generated (editions start from a month before to ten months
after it), so the demo's catalogue is always current. The demo accounts' providers (``regia.auth.demo``) are
among the providers, so that their editors have courses of their own to edit. Courses a Fund finances are for
the employees of member firms (*occupati*, *occupati sospesi*), as the Funds' rules say.

Courses are drawn from templates written for the Lombard labour market (welding, CNC, logistics, care,
hospitality, digital, green...). Each template names the ESCO occupation it prepares for; a course declares
(``skills`` column) a sample of that occupation's essential skills for most providers, while the others
leave the tagging to the classifier. Synthetic content: no real provider or firm. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from stdnum import luhn

from regia.catalog.validation import COLUMNS
from regia.clock import rome_today
from regia.taxonomy.models import ESSENTIAL_SKILL, Concept, Label, Relation

ESCO = "http://data.europa.eu/esco/occupation/"
LOMBARDY = ("ITC41", "ITC42", "ITC43", "ITC44", "ITC46", "ITC47", "ITC48", "ITC49", "ITC4A", "ITC4B", "ITC4C",
            "ITC4D")
# Relative weight of each province in the number of providers (roughly its population).
PROVINCE_WEIGHT = {"ITC41": 9, "ITC42": 6, "ITC43": 4, "ITC44": 2, "ITC46": 11, "ITC47": 12, "ITC48": 5,
                   "ITC49": 2, "ITC4A": 3, "ITC4B": 4, "ITC4C": 32, "ITC4D": 9}
FUNDS = ("Fondimpresa", "Fondartigianato", "For.Te.", "Fon.Coop", "Fondo Formazione PMI", "FonARCom")
PUBLISHING_FUND = "Fondimpresa"  # the Fund whose own list (fondo.csv) the demo ingests
FUND_TARGETS = ("occupati", "sospesi")  # whom a Fund's resources may train: employees of member firms
# The demo accounts' providers, by the province they are placed in: (name, partita IVA) as in regia.auth.demo.
DEMO_PROVIDERS = {"ITC4C": ("Formazione Lombarda (demo)", "09000000019"),
                  "ITC4D": ("CFP Monza e Brianza (demo)", "09000000142")}


@dataclass(frozen=True)
class Template:
    key: str
    titles: tuple[str, ...]
    description: str
    hours: tuple[int, ...]
    occupation: str  # ESCO occupation id (after .../occupation/)
    targets: tuple[str, ...]
    eqf: int | None = None
    certification: str = ""
    modality: tuple[str, ...] = ("presenza",)
    weight: int = 3


T = Template
TEMPLATES: tuple[Template, ...] = (
    T("sald", ("Saldatura MIG/MAG", "Saldatore a filo continuo MIG/MAG", "Tecniche di saldatura TIG e MIG"),
      "Processi di saldatura ad arco, a filo e TIG su acciaio e alluminio; lettura del disegno tecnico e dei "
      "simboli di saldatura; controllo visivo dei giunti, difetti e sicurezza in officina.",
      (40, 80, 120, 160), "7aedaa07-3884-4c5b-88f9-80997b2aa54b", ("disoccupati", "occupati", "sospesi"), 3,
      "Saldatore (QRSP)", weight=5),
    T("cnc", ("Operatore macchine CNC", "Tornitura e fresatura CNC", "Conduzione di macchine utensili a CNC"),
      "Conduzione di torni e centri di lavoro a controllo numerico: attrezzaggio, avvio del ciclo, controllo "
      "dimensionale con strumenti di misura, lettura del disegno meccanico.",
      (80, 120, 200), "5c082067-ea18-4ccb-8c43-e70b18ad8120", ("disoccupati", "occupati", "apprendisti"), 3,
      "Operatore macchine utensili (QRSP)", weight=5),
    T("cncprog", ("Programmazione CNC ISO", "Programmatore di macchine a controllo numerico"),
      "Programmazione ISO (G-code) di torni e frese CNC, CAD/CAM, ottimizzazione dei parametri di taglio.",
      (60, 100), "6e5ceba0-df96-465f-adb4-2e06ae715d43", ("occupati", "disoccupati"), 4, weight=3),
    T("fres", ("Fresatura su macchine tradizionali e CNC",), "Fresatura, utensili, parametri di taglio, "
      "misura e controllo dei pezzi.", (60, 80), "a1c9f8b7-c4ce-4b15-ac3c-3378c300d8f2", ("disoccupati",), 3),
    T("magaz", ("Magazziniere e gestione delle scorte", "Addetto al magazzino e alla logistica"),
      "Ricevimento e stoccaggio delle merci, inventario, gestione delle scorte, documenti di trasporto, "
      "software gestionale di magazzino.", (40, 60, 80), "bea705fe-06ac-4147-b8e0-6e8ac1208d8f",
      ("disoccupati", "stranieri", "occupati"), 2, weight=4),
    T("carr", ("Carrellista: conduzione del carrello elevatore", "Patentino per carrello elevatore"),
      "Conduzione in sicurezza del carrello elevatore, movimentazione dei carichi, stabilità, manutenzione "
      "ordinaria (accordo Stato-Regioni).", (12, 16), "808becc8-5a4e-4e71-a043-c2ea32b56ae3",
      ("disoccupati", "occupati", "stranieri"), 2, weight=4),
    T("logi", ("Logistica e supply chain", "Tecniche di logistica integrata"), "Pianificazione dei flussi, "
      "trasporti, indicatori logistici, gestione degli ordini.", (40, 80), "e4f33b45-ee95-48b5-b2f8-e397aa14ed41",
      ("occupati", "disoccupati"), 4, modality=("presenza", "blended")),
    T("elet", ("Impianti elettrici civili", "Elettricista installatore"), "Impianti elettrici civili e del "
      "terziario, schemi, quadri, norme CEI, verifiche e sicurezza elettrica.", (80, 120, 200),
      "4910419f-b4af-4f59-b544-9dbebc8a74f0", ("disoccupati", "apprendisti", "studenti"), 3,
      "Installatore impianti elettrici (QRSP)", weight=4),
    T("eleind", ("Elettricista industriale e automazione", "PLC e automazione industriale"),
      "Quadri elettrici di macchina, PLC, sensori e attuatori, ricerca guasti negli impianti industriali.",
      (80, 120), "5df63943-f1bc-4438-90f1-92768a7a23c8", ("occupati", "disoccupati", "sospesi"), 4),
    T("manut", ("Manutentore meccanico", "Manutenzione industriale"), "Manutenzione preventiva e correttiva "
      "di macchinari e impianti, diagnosi dei guasti, lubrificazione, sicurezza.", (60, 100),
      "86c49d9c-b37d-4a14-8e9d-d0357005a48d", ("occupati", "sospesi", "disoccupati"), 3, weight=4),
    T("manel", ("Manutentore elettromeccanico",), "Manutenzione di apparecchiature elettromeccaniche, motori, "
      "quadri e impianti.", (80, 120), "5d009d45-3bb9-4e33-8760-294f59adec8c", ("occupati", "disoccupati"), 3),
    T("mecind", ("Meccanico di macchinari industriali",), "Montaggio, regolazione e riparazione di macchinari "
      "industriali, oleodinamica e pneumatica.", (80, 160), "269c47e7-9017-4aa6-bce8-49e89a696a64",
      ("disoccupati", "occupati"), 3),
    T("cad", ("Disegno meccanico CAD 2D/3D", "Disegnatore meccanico con CAD"), "Disegno tecnico meccanico, "
      "quotatura, tolleranze, modellazione 3D con CAD.", (40, 60, 80), "38240cc5-d1d9-4de9-9480-29c51da291eb",
      ("occupati", "disoccupati", "studenti"), 4, modality=("presenza", "blended", "online")),
    T("auto", ("Meccanico di autoveicoli", "Autoriparazione e diagnosi elettronica"), "Diagnosi elettronica, "
      "motore, freni, sospensioni e manutenzione dei veicoli.", (120, 200), "4ad4024e-d1d3-4dea-b6d1-2c7948111dce",
      ("disoccupati", "apprendisti", "studenti"), 3, "Meccatronico dell'autoriparazione (QRSP)"),
    T("idra", ("Idraulico installatore", "Impianti idrotermosanitari"), "Impianti idraulici e termici, "
      "tubazioni, saldobrasatura, caldaie e pompe di calore.", (80, 120), "ed3cf43d-c2c1-4c46-82fc-1375e27e0290",
      ("disoccupati", "apprendisti"), 3),
    T("solar", ("Installatore di impianti fotovoltaici", "Tecnico di impianti solari"), "Progettazione e "
      "installazione di impianti fotovoltaici e solari termici, accumulo, connessione in rete, manutenzione.",
      (60, 80, 120), "75b63949-1b93-4bf2-a777-ccf978dc3e8a", ("disoccupati", "occupati", "sospesi"), 4,
      "Installatore FER (QRSP)", weight=3),
    T("energ", ("Efficienza energetica negli edifici", "Consulente energetico"), "Diagnosi energetica, "
      "certificazione, isolamento, riduzione dei consumi e fonti rinnovabili.", (40, 60),
      "de74eb4e-c95e-425a-9b3a-7be805ec0321", ("occupati",), 5, modality=("online", "blended")),
    T("cuoco", ("Cuoco di ristorazione", "Tecniche di cucina"), "Preparazione di piatti, organizzazione "
      "della cucina, igiene degli alimenti e HACCP, costi del menu.", (120, 300),
      "90f75f67-495d-49fa-ab57-2f320e251d7e",
      ("disoccupati", "stranieri", "studenti"), 3, "Operatore della ristorazione (QRSP)", weight=4),
    T("sala", ("Cameriere di sala e bar", "Servizio di sala"), "Accoglienza del cliente, servizio al tavolo, "
      "bar e caffetteria, comunicazione in inglese.", (60, 100), "d5db9d5c-2ebf-4a54-a79a-1b7e7ff70471",
      ("disoccupati", "stranieri", "studenti"), 2),
    T("haccp", ("HACCP per addetti alla ristorazione", "Igiene alimentare e HACCP"), "Igiene degli alimenti, "
      "piano di autocontrollo, gestione delle non conformità, allergeni.", (8, 12, 16),
      "90f75f67-495d-49fa-ab57-2f320e251d7e", ("occupati", "disoccupati", "stranieri"), 2,
      modality=("presenza", "online")),
    T("cont", ("Contabilità e bilancio", "Addetto alla contabilità"), "Contabilità generale, partita doppia, "
      "IVA, bilancio d'esercizio, software gestionali.", (60, 80, 120), "c3aae59e-1441-4b3e-bdd1-6da50dc7cf42",
      ("disoccupati", "occupati"), 4, modality=("presenza", "blended", "online")),
    T("uff", ("Excel avanzato per l'ufficio", "Office automation e Excel"), "Formule, tabelle pivot, "
      "grafici e macro per il lavoro d'ufficio e il controllo di gestione.", (16, 24, 32),
      "6c999fc7-c6b7-4ef3-a4b9-af124a1783a2", ("occupati", "disoccupati", "sospesi"), 3,
      modality=("online", "blended", "presenza"), weight=4),
    T("amm", ("Segreteria amministrativa", "Assistente amministrativo"), "Gestione documentale, "
      "corrispondenza, fatturazione, archiviazione digitale, rapporti con clienti e fornitori.", (60, 100),
      "044d78cc-f62f-4532-83a5-8e04f2889652", ("disoccupati", "stranieri"), 3),
    T("oss", ("Operatore socio-sanitario (OSS)",), "Assistenza alla persona, igiene, mobilizzazione, "
      "supporto sanitario, relazione con il paziente e la famiglia.", (1000,), "d38c2107-98f2-47b7-8bb4-f69750d51082",
      ("disoccupati", "stranieri", "occupati"), 3, "Operatore socio sanitario (OSS)", weight=3),
    T("web", ("Sviluppo web front-end", "Web developer: HTML, CSS e JavaScript"), "HTML, CSS, JavaScript, "
      "framework moderni, accessibilità e pubblicazione di siti web.", (80, 160, 300),
      "c40a2919-48a9-40ea-b506-1f34f693496d", ("disoccupati", "studenti", "occupati"), 5,
      modality=("online", "blended"), weight=3),
    T("data", ("Analisi dei dati con Python", "Data science e machine learning"), "Python, pandas, statistica, "
      "visualizzazione dei dati, modelli di apprendimento automatico.", (60, 120),
      "258e46f9-0075-4a2e-adae-1ff0477e0f30",
      ("occupati", "disoccupati"), 6, modality=("online", "blended")),
    T("cyber", ("Sicurezza informatica per le PMI", "Cybersecurity di base"), "Minacce informatiche, "
      "protezione dei dati, reti, backup, gestione degli incidenti, GDPR.", (24, 40),
      "a44a1dc5-be08-4840-8bd5-770c4ac1ca6d",
      ("occupati",), 5, modality=("online", "blended")),
    T("mkt", ("Marketing digitale e social media", "Digital marketing per le imprese"), "Strategia digitale, "
      "social media, SEO, campagne online, analisi dei risultati.", (32, 48), "356227b9-2263-4dbd-81e9-7dfc6d3f3af7",
      ("occupati", "disoccupati"), 5, modality=("online", "blended")),
    T("este", ("Estetista",), "Trattamenti estetici del viso e del corpo, igiene, cosmetologia, gestione del "
      "cliente.", (900,), "a1e1a788-2352-4172-8fcf-1f985a6968b0", ("studenti", "apprendisti"), 3, "Estetista (QRSP)"),
    T("parr", ("Acconciatore", "Tecniche di acconciatura"), "Taglio, colore, piega, cura del cliente e del "
      "salone.", (300, 900), "099c6bb0-22d3-4c5d-8bf5-70910af381ef", ("studenti", "apprendisti"), 3),
    T("pul", ("Addetto alle pulizie professionali",), "Tecniche e prodotti di pulizia, sanificazione, "
      "macchinari, sicurezza.", (24, 40), "303a1e34-cb16-4054-b323-81e5eec17397", ("disoccupati", "stranieri"), 2),
    T("mur", ("Muratore edile", "Tecniche di muratura"), "Murature, intonaci, lettura del progetto, sicurezza "
      "nei cantieri.", (80, 120), "05f321f8-055b-407d-bf19-e0ddabda56b7", ("disoccupati", "stranieri", "apprendisti"),
      2),
    T("vend", ("Addetto alle vendite", "Tecniche di vendita nel retail"), "Accoglienza del cliente, vendita, "
      "cassa, allestimento del punto vendita.", (40, 60), "13da27aa-ca6a-476d-ab2c-efc9e5bd97b2",
      ("disoccupati", "studenti", "stranieri"), 2, modality=("presenza", "blended")),
)
PROVIDER_KINDS = ("Centro Formazione", "Scuola Professionale", "Istituto Tecnico Superiore", "Accademia dei Mestieri",
                  "Fondazione Lavoro", "Ente Formativo", "Consorzio Formazione", "Cooperativa Formazione")


def make_vat(rng: random.Random, office: int) -> str:
    body = f"{rng.randrange(1, 10_000_000):07d}{office:03d}"
    return body + luhn.calc_check_digit(body)


@dataclass
class Place:
    code: str
    name: str
    nuts3: str


def _places(session: Session) -> dict[str, list[Place]]:
    rows = session.execute(select(Concept.code, Concept.attrs, Label.text).join(Label, Label.concept_id == Concept.id)
                           .where(Concept.type == "territory", Concept.level == "comune", Label.kind == "preferred"))
    by_province: dict[str, list[Place]] = {p: [] for p in LOMBARDY}
    capoluoghi: dict[str, list[Place]] = {p: [] for p in LOMBARDY}
    for code, attrs, name in rows:
        attrs = attrs or {}
        nuts3 = attrs.get("nuts3")
        if nuts3 in by_province:
            place = Place(code, name, nuts3)
            by_province[nuts3].append(place)
            if attrs.get("capoluogo"):
                capoluoghi[nuts3].append(place)
    # The capoluogo first: providers cluster there, as they do in reality.
    return {p: capoluoghi[p] + sorted(by_province[p], key=lambda x: x.code) for p in LOMBARDY}


def _essential(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    occ = Concept.__table__.alias("o")
    skill = Concept.__table__.alias("s")
    uris = [ESCO + t.occupation for t in TEMPLATES]
    rows = session.execute(select(occ.c.uri, skill.c.uri).select_from(Relation)
                           .join(occ, occ.c.id == Relation.source_id).join(skill, skill.c.id == Relation.target_id)
                           .where(Relation.type == ESSENTIAL_SKILL, occ.c.uri.in_(uris)))
    for o, s in rows:
        out.setdefault(o, []).append(s)
    return {k: sorted(v) for k, v in out.items()}


def generate(engine: Engine, out_dir: Path, *, courses: int = 2000, seed: int = 7,
             start: date | None = None) -> list[tuple[Path, str]]:
    """Write the demo catalogue under ``out_dir``: ``providers.csv`` (the providers' own lists, source
    ``enti-accreditati``) and ``fondo.csv`` (source ``fondimpresa``: the providers' courses Fondimpresa
    finances, re-sent with small edits, and courses of its own).
    Returns ``[(path, source), ...]`` in ingest order."""
    rng = random.Random(seed)
    start = start or rome_today() - timedelta(days=30)
    with Session(engine) as session:
        places = _places(session)
        essential = _essential(session)
    if not any(places.values()):
        raise RuntimeError("no Lombard comuni in the database: import the taxonomy first (regia taxonomy import)")
    n_providers = max(24, courses // 60)
    provinces = list(PROVINCE_WEIGHT)
    weights = [PROVINCE_WEIGHT[p] for p in provinces]
    providers = []
    for i in range(n_providers):
        nuts3 = provinces[i] if i < len(provinces) else rng.choices(provinces, weights)[0]
        home = places[nuts3][0] if rng.random() < 0.5 else rng.choice(places[nuts3][:40])
        name = f"{rng.choice(PROVIDER_KINDS)} {home.name}" + ("" if rng.random() < 0.7 else f" {i + 1}")
        # the first provider of each province declares its skills: every province has some tagged supply
        vat = make_vat(rng, rng.randrange(1, 101))
        if i < len(provinces) and nuts3 in DEMO_PROVIDERS:
            name, vat = DEMO_PROVIDERS[nuts3]
            home = places[nuts3][0]
        providers.append({"name": name, "vat": vat, "home": home,
                          "declares": i < len(provinces) or rng.random() < 0.7,
                          "prefix": "".join(w[0] for w in name.split()[:3]).upper()})
    tmpl_weights = [t.weight for t in TEMPLATES]
    rows: list[dict[str, str]] = []
    fund_rows: list[dict[str, str]] = []
    for c in range(courses):
        # the first courses guarantee every province the main manufacturing templates
        prov = providers[c % len(provinces)] if c < 6 * len(provinces) else rng.choice(providers)
        tmpl = TEMPLATES[c // len(provinces) % 6] if c < 6 * len(provinces) else rng.choices(TEMPLATES, tmpl_weights)[0]
        home: Place = prov["home"]
        comune = home if rng.random() < 0.75 else rng.choice(places[home.nuts3][:60])
        modality = rng.choice(tmpl.modality)
        day0 = start + timedelta(days=rng.randrange(0, 300))
        hours = rng.choice(tmpl.hours)
        weeks = max(1, hours // 20)
        funding = rng.choices(["regione", "fse+", f"fondo:{rng.choice(FUNDS)}", "impresa"], [3, 3, 3, 1])[0]
        if funding.startswith("fondo:"):
            targets = ["occupati"] + (["sospesi"] if "sospesi" in tmpl.targets else [])
        else:
            targets = [t for t in tmpl.targets if rng.random() < 0.8] or [tmpl.targets[0]]
        skills = essential.get(ESCO + tmpl.occupation, [])
        if skills:
            k = min(len(skills), max(3, int(len(skills) * rng.uniform(0.4, 0.9))))
            skills = sorted(rng.sample(skills, k))
        title = rng.choice(tmpl.titles)
        code = f"{prov['prefix']}-{tmpl.key.upper()}-{c + 1:06d}"
        row = {
            "provider_name": prov["name"], "provider_vat": prov["vat"], "course_code": code, "title": title,
            "description": tmpl.description, "hours": str(hours), "modality": modality,
            "comune": "" if modality == "online" else comune.code, "start_date": day0.isoformat(),
            "end_date": (day0 + timedelta(weeks=weeks)).isoformat(), "seats": str(rng.choice((12, 15, 18, 20, 25))),
            "cost_eur": "0" if funding != "impresa" else str(rng.choice((250, 480, 900))), "funding": funding,
            "targets": ";".join(targets), "eqf_level": str(tmpl.eqf or ""), "certification": tmpl.certification,
            "skills": ";".join(skills) if prov["declares"] else "",
            "occupations": ESCO + tmpl.occupation if prov["declares"] else "",
        }
        rows.append(row)
        if funding == f"fondo:{PUBLISHING_FUND}":
            # the Fund publishes a course it finances: its own code, a re-worded title, the same place and dates
            edited = dict(row)
            edited["course_code"] = f"FND-{c + 1:06d}"
            edited["title"] = _reword(title, rng)
            edited["seats"] = str(int(row["seats"]) + rng.choice((0, 0, 2)))
            edited["skills"] = edited["occupations"] = ""
            fund_rows.append(edited)
        if funding == f"fondo:{PUBLISHING_FUND}" and rng.random() < 0.5:
            # and a course of its own Conto di Sistema notices, run by the same provider, found in no other list
            own = dict(row)
            own_tmpl = rng.choices(TEMPLATES, tmpl_weights)[0]
            own_day = start + timedelta(days=rng.randrange(15, 300))
            own_hours = rng.choice(own_tmpl.hours)
            own.update({"course_code": f"FND-CS-{c + 1:06d}", "title": rng.choice(own_tmpl.titles),
                        "description": own_tmpl.description, "hours": str(own_hours),
                        "start_date": own_day.isoformat(),
                        "end_date": (own_day + timedelta(weeks=max(1, own_hours // 20))).isoformat(),
                        "targets": ";".join(FUND_TARGETS), "eqf_level": str(own_tmpl.eqf or ""),
                        "certification": own_tmpl.certification, "skills": "", "occupations": ""})
            fund_rows.append(own)
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = [*COLUMNS, "skills", "occupations"]
    paths = []
    for name, data, source in (("providers.csv", rows, "enti-accreditati"), ("fondo.csv", fund_rows, "fondimpresa")):
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(data)
        paths.append((path, source))
    return paths


def _reword(title: str, rng: random.Random) -> str:
    """A Fund's re-wording of a provider's title: still recognisably the same course."""
    variants = [title.replace(" e ", " ed ") if " e " in title else title, title.replace(":", " -"), title.upper()]
    if len(title) > 20:
        variants.append(f"Corso {title[0].lower()}{title[1:]}")
    return rng.choice(variants)
