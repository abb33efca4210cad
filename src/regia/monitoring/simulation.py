"""Synthetic outcomes data with a KNOWN effect: registered unemployed, participations in the demo's courses
and the CO events of everyone's jobs, written as the files the ingest reads (CSV and UNILAV XML).

The data-generating process (``regia demo-data outcomes --seed N --effect X --persons N``):

- **People**: ``persons`` registered unemployed (DID registration day uniform over 2022-07 … 2025-06) with
  age, sex, citizenship, education (ISCED) and a comune of residence in Lombardy; plus employed workers on
  Fund-financed courses (they appear in the indicators, not in the impact evaluation).
- **Employment without the programme**: each calendar month from 2022-01 to 2026-12 a person is, independently
  of the other months, in a stable job with probability ``p·q``, in a fixed-term/agency job with ``p·(1-q)``, or
  not employed; ``p = c + m(t)``, with an employability ``c`` that depends on the covariates and on an
  unobserved component, and a mild common trend ``m(t)``; ``q`` depends on the covariates. Consecutive months in
  the same kind of job are one contract (hires, extensions, transformations from fixed-term to open-ended,
  transfers, terminations, some communicated late), aligned on calendar months.
- **Selection**: a person enrols with a probability that is a logistic function of age, sex, citizenship and
  education only (those less likely to find work on their own are more likely to be sent to a course), so
  enrolees differ from non-enrolees on observables and — through them — on past employment. Entry month:
  uniform over 2024-01 … 2025-12 after the registration.
- **The effect**: in the entry month a participant does not work (lock-in); from the month after, the
  probability of a stable job is raised by ``effect`` (percentage points as a share), that of a fixed-term job
  is unchanged. So the ATT on ``employed_6m``, ``employed_12m`` and ``stable_12m`` is exactly ``effect`` (as
  long as probabilities stay in [0, 1]: ``exact_range`` in the manifest), and on ``days_worked_12m`` it is
  ``effect`` × the days of the 12 months after entry (≈ 365 × effect). The manifest's ``true_att`` gives each
  outcome's ATT, computed from the simulated probabilities (it equals the above within the exact range).

Identifying assumptions that hold by construction (and which the report states): unconfoundedness given the
covariates (selection depends on observables only — so PSM and IPW are consistent, also conditioning on the
pre-entry history), overlap (every covariate cell has participants and non-participants), parallel trends in
calendar and in event time (the untreated outcome is a person level plus a common trend, months independent
given the person — so DiD and Callaway–Sant'Anna are consistent), no anticipation, no spill-overs. The naive
difference is biased by the selection. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from stdnum import luhn
from stdnum.it import codicefiscale

from regia.monitoring.panel import month_first, month_index, month_last

FIRST_MONTH = month_index(date(2022, 1, 1))
LAST_MONTH = month_index(date(2026, 12, 1))
ENTRY_FIRST = month_index(date(2024, 1, 1))
ENTRY_LAST = month_index(date(2025, 12, 1))
REGISTERED_FROM, REGISTERED_TO = date(2022, 7, 1), date(2025, 6, 30)
SOURCE = "demo-outcomes"

# comune of residence (ISTAT code, cadastral code, weight): the provincial capitals of Lombardy
COMUNI = (("015146", "F205", 32), ("016024", "A794", 11), ("017029", "B157", 12), ("012133", "L682", 9),
          ("108033", "F704", 9), ("013075", "C933", 6), ("018110", "G388", 5), ("020030", "E897", 4),
          ("097042", "E507", 4), ("019036", "D150", 3), ("098031", "E648", 2), ("014061", "I829", 2))
CADASTRAL = {istat: cadastral for istat, cadastral, _ in COMUNI}
PROGRAMMES = (("GOL-2024", "gol", "PL-GOL-A1"), ("DUL-2025", "regione", "PL-DUL-B2"),
              ("FSE-FORMAZIONE", "fse+", "PL-FSE-A3"))
FUNDS = ("Fondimpresa", "Fondo Terziario Lombardo")
ATECO = ("C.25.62.00", "C.28.41.00", "H.52.10.00", "G.47.11.00", "I.56.10.11", "Q.87.30.00", "N.81.21.00",
         "F.43.21.01", "J.62.01.00", "C.10.71.10")
CP2011 = ("7.2.1.1.0", "6.2.1.2.0", "8.1.3.1.0", "4.1.1.2.0", "5.1.2.2.0", "5.3.1.1.0", "8.1.4.3.0",
          "6.1.3.6.0", "3.1.2.2.0", "7.4.4.1.0")
MONTH_LETTERS = "ABCDEHLMPRST"
CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"


@dataclass
class Manifest:
    seed: int
    effect: float
    persons: int
    participants: int
    employed_participants: int
    files: dict[str, list[str]] = field(default_factory=dict)
    true_att: dict[str, float] = field(default_factory=dict)
    exact_range: tuple[float, float] = (0.0, 0.0)
    naive_bias_expected: str = "negative (enrolees would have found work less often)"
    planted_bad_rows: dict[str, int] = field(default_factory=dict)
    # for tests: the simulated monthly status (0 none, 1 fixed-term, 2 stable) by codice fiscale, 2022-01 on
    statuses: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "effect": self.effect, "persons": self.persons,
                "participants": self.participants, "employed_participants": self.employed_participants,
                "estimand": "ATT", "true_att": self.true_att, "exact_range": list(self.exact_range),
                "files": self.files, "planted_bad_rows": self.planted_bad_rows, "synthetic": True}


def _fiscal_code(rng: random.Random, birth: date, female: bool, used: set[str]) -> str:
    while True:
        letters = "".join(rng.choice(CONSONANTS) for _ in range(6))
        day = birth.day + (40 if female else 0)
        body = (f"{letters}{birth.year % 100:02d}{MONTH_LETTERS[birth.month - 1]}{day:02d}"
                f"{rng.choice(COMUNI)[1]}")
        code = body + codicefiscale.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return code


def _vat(rng: random.Random) -> str:
    body = f"{rng.randrange(10**6, 10**7):07d}{rng.randrange(1, 100):03d}"
    return body + luhn.calc_check_digit(body)


@dataclass
class _People:
    n: int
    birth: np.ndarray
    female: np.ndarray
    citizenship: np.ndarray  # 0 IT, 1 EU, 2 non-EU
    education: np.ndarray  # ISCED level
    comune: np.ndarray
    c: np.ndarray
    q: np.ndarray


def _people(gen: np.random.Generator, n: int) -> _People:
    age = gen.integers(18, 63, n)
    female = gen.random(n) < 0.5
    cit = gen.choice(3, n, p=[0.74, 0.08, 0.18])
    band = gen.choice(3, n, p=[0.36, 0.44, 0.20])
    isced = np.where(band == 0, gen.choice([1, 2], n, p=[0.15, 0.85]),
                     np.where(band == 1, gen.choice([3, 4], n, p=[0.85, 0.15]), gen.choice([5, 6, 7], n)))
    weights = np.array([w for *_, w in COMUNI], dtype=float)
    comune = gen.choice(len(COMUNI), n, p=weights / weights.sum())
    u = gen.normal(0, 0.08, n)
    c = (0.47 + 0.12 * (band == 1) + 0.22 * (band == 2) - 0.005 * (age - 40) - 0.05 * female
         - 0.07 * (cit == 2) - 0.02 * (cit == 1) + u)
    q = np.clip(0.50 + 0.08 * (band == 2) + 0.002 * (age - 40), 0.42, 0.65)
    birth = 2024 - age
    return _People(n, birth, female, cit, isced, comune, np.clip(c, 0.22, 0.78), q)


def selection_index(p: _People) -> np.ndarray:
    """The log-odds of enrolling (only observables: the estimators' propensity models nest this)."""
    age = 2024 - p.birth
    band = np.where(p.education <= 2, 0, np.where(p.education <= 4, 1, 2))
    return (-0.55 - 0.55 * (band == 1) - 1.25 * (band == 2) + 0.022 * (age - 40) + 0.25 * p.female
            + 0.65 * (p.citizenship == 2) + 0.3 * (p.citizenship == 1))


def _statuses(gen: np.random.Generator, p: _People, entry: np.ndarray, effect: float, eligible: np.ndarray
              ) -> tuple[np.ndarray, dict[str, float], tuple[float, float]]:
    """Monthly status (0 none, 1 fixed-term, 2 stable) of everyone, the true ATT of each outcome, and the range
    of effects for which the probabilities need no clipping (where the ATT is exactly the effect)."""
    months = LAST_MONTH - FIRST_MONTH + 1
    t = np.arange(months)
    trend = 0.0008 * (t - months / 2)
    prob = np.clip(p.c[:, None] + trend[None, :], 0.02, 0.95)
    stable0 = prob * p.q[:, None]
    temp0 = prob - stable0
    treated = entry >= 0
    k = t[None, :] - (entry[:, None] - FIRST_MONTH)
    post = treated[:, None] & (k >= 1)
    stable1 = np.where(post, np.clip(stable0 + effect, 0.0, 1.0), stable0)
    temp1 = np.where(post, np.minimum(temp0, 1.0 - stable1), temp0)
    draw = gen.random(prob.shape)
    status = np.where(draw < stable1, 2, np.where(draw < stable1 + temp1, 1, 0)).astype(np.int8)
    status[treated[:, None] & (k == 0)] = 0  # lock-in: in training in the entry month
    # true ATT over the participants, from the probabilities (potential outcomes with and without)
    rows = np.where(treated)[0]
    col = entry[rows] - FIRST_MONTH
    days = np.array([(month_last(FIRST_MONTH + j) - month_first(FIRST_MONTH + j)).days + 1 for j in range(months)])

    def at(a: np.ndarray, h: int) -> np.ndarray:
        return a[rows, col + h]

    emp0, emp1 = stable0 + temp0, stable1 + temp1
    truth = {
        "employed_6m": float(np.mean(at(emp1, 6) - at(emp0, 6))),
        "employed_12m": float(np.mean(at(emp1, 12) - at(emp0, 12))),
        "stable_12m": float(np.mean(at(stable1, 12) - at(stable0, 12))),
        "days_worked_12m": float(np.mean(sum((at(emp1, h) - at(emp0, h)) * days[col + h] for h in range(1, 13)))),
    }
    exact = (-float(stable0[eligible].min()), float((1.0 - prob[eligible]).min()))
    return status, truth, exact


class _Writer:
    """Rows of the three files, and the UNILAV documents."""

    def __init__(self) -> None:
        self.participations: list[dict[str, str]] = []
        self.unemployed: list[dict[str, str]] = []
        self.events: list[dict[str, str]] = []
        self.unilav: list[dict[str, str]] = []


PARTICIPATION_COLUMNS = ("codice_fiscale", "course_id", "funding_source", "programme", "plan_line", "enrolled_on",
                         "ended_on", "status", "certified", "certificate_id", "birth_year", "sex", "citizenship",
                         "education", "comune", "labour_status", "unemployed_since")
UNEMPLOYED_COLUMNS = ("codice_fiscale", "registered_on", "birth_year", "sex", "citizenship", "education", "comune",
                      "unemployed_since")
EVENT_COLUMNS = ("codice_fiscale", "employer_id", "event", "event_date", "start_date", "end_date", "contract",
                 "full_time", "ateco", "cp2011", "comune", "communicated_on")
CITIZENSHIP_WORDS = ("IT", "EU", "non-EU")


def _events_of(rng: random.Random, code: str, status: np.ndarray, employers: list[str], young: bool,
               out: list[dict[str, str]]) -> None:
    """CO events of one person's monthly statuses (runs of months in the same kind of job)."""
    months = len(status)
    runs: list[tuple[int, int, int]] = []  # (kind, first, last)
    j = 0
    while j < months:
        kind = int(status[j])
        end = j
        while end + 1 < months and status[end + 1] == kind:
            end += 1
        if kind:
            runs.append((kind, j, end))
        j = end + 1
    r = 0
    while r < len(runs):
        kind, a, b = runs[r]
        start = month_first(FIRST_MONTH + a)
        base = {"codice_fiscale": code, "employer_id": rng.choice(employers), "start_date": start.isoformat(),
                "full_time": "si" if rng.random() < 0.7 else "no", "ateco": rng.choice(ATECO),
                "cp2011": rng.choice(CP2011)}

        def event(ev: str, when: date, end: date | None, contract: str, late: bool = False,
                  base: dict[str, str] = base) -> None:
            sent = when + timedelta(days=rng.randrange(60, 150) if late else rng.randrange(0, 5))
            out.append({**base, "event": ev, "event_date": when.isoformat(), "end_date": end.isoformat() if end else "",
                        "contract": contract, "comune": rng.choice(COMUNI)[0], "communicated_on": sent.isoformat()})

        follows = r + 1 < len(runs) and runs[r + 1][1] == b + 1
        if kind == 1 and follows and runs[r + 1][0] == 2 and rng.random() < 0.5:
            # fixed-term, then transformed into an open-ended contract with the same employer
            _, a2, b2 = runs[r + 1]
            term = rng.choice(("A.02.00", "tempo determinato", "A.07.00"))
            event("ASS", start, month_last(FIRST_MONTH + b), term)
            event("TRS", month_first(FIRST_MONTH + a2), None, "A.01.00")
            if b2 < months - 1:
                event("CES", month_last(FIRST_MONTH + b2), month_last(FIRST_MONTH + b2), "A.01.00",
                      late=rng.random() < 0.15)
            r += 2
            continue
        last = month_last(FIRST_MONTH + b)
        if kind == 1:
            term = rng.choice(("A.02.00", "A.02.00", "somministrazione", "A.07.00", "fixed-term"))
            roll = rng.random()
            if b > a and roll < 0.35:  # hired for part of the run, then extended
                mid = rng.randrange(a, b)
                event("ASS", start, month_last(FIRST_MONTH + mid), term)
                event("PRO", month_last(FIRST_MONTH + mid) - timedelta(days=3), last, term)
            elif roll < 0.55 and b < months - 1:  # planned longer, terminated early
                event("ASS", start, month_last(FIRST_MONTH + b + rng.randrange(1, 4)), term)
                event("CES", last, last, term, late=rng.random() < 0.2)
            else:
                event("ASS", start, last, term)
            if b - a >= 3 and rng.random() < 0.1:
                event("TRD", month_first(FIRST_MONTH + a + 1) + timedelta(days=9), None, term)
        else:
            stable = "A.03.09" if young and rng.random() < 0.5 else rng.choice(("A.01.00", "tempo indeterminato"))
            event("ASS", start, None, stable)
            if b < months - 1:
                event("CES", last, last, stable, late=rng.random() < 0.15)
        r += 1


def generate(out: Path, *, seed: int = 1, effect: float = 0.08, persons: int = 4000,
             course_ids: list[int] | None = None, unilav_share: float = 0.15, events: bool = True) -> Manifest:
    """Write the demo's files into ``out`` (see the module docstring) and return the manifest. Without
    ``events`` the employment files are not written (the bench's fast mode reads the statuses instead)."""
    if not -0.5 <= effect <= 0.5:
        raise ValueError("effect must be between -0.5 and 0.5 (a change in the probability of a stable job)")
    if persons < 100:
        raise ValueError("at least 100 persons")
    gen = np.random.default_rng(seed)
    rng = random.Random(seed)
    n_emp = max(10, persons // 6)
    people = _people(gen, persons + n_emp)
    workers = np.arange(persons, persons + n_emp)
    people.c[workers] = np.clip(people.c[workers] + 0.25, 0.6, 0.9)  # employed on Fund courses
    reg_span = (REGISTERED_TO - REGISTERED_FROM).days
    registered = [REGISTERED_FROM + timedelta(days=int(d)) for d in gen.integers(0, reg_span + 1, persons)]
    pi = 1 / (1 + np.exp(-selection_index(people)))
    enrol = (gen.random(persons + n_emp) < pi) & (np.arange(persons + n_emp) < persons)
    entry = np.full(persons + n_emp, -1)
    for i in np.where(enrol)[0]:
        lo = max(ENTRY_FIRST, month_index(registered[i]) + 1)
        entry[i] = int(gen.integers(lo, ENTRY_LAST + 1))
    status, truth, exact = _statuses(gen, people, entry, effect, np.arange(persons + n_emp) < persons)
    worker_entry = gen.integers(ENTRY_FIRST, ENTRY_LAST + 1, n_emp)

    used: set[str] = set()
    codes_ = []
    for i in range(persons + n_emp):
        birth = date(int(people.birth[i]), int(gen.integers(1, 13)), int(gen.integers(1, 29)))
        codes_.append(_fiscal_code(rng, birth, bool(people.female[i]), used))
    employers = [_vat(rng) for _ in range(max(40, persons // 25))]
    courses = list(course_ids or [])
    w = _Writer()

    def covariates(i: int) -> dict[str, str]:
        return {"birth_year": str(int(people.birth[i])), "sex": "F" if people.female[i] else "M",
                "citizenship": CITIZENSHIP_WORDS[int(people.citizenship[i])],
                "education": str(int(people.education[i])),
                "comune": COMUNI[int(people.comune[i])][0]}

    for i in range(persons):
        w.unemployed.append({"codice_fiscale": codes_[i], "registered_on": registered[i].isoformat(),
                             "unemployed_since": registered[i].isoformat(), **covariates(i)})
    for i in list(np.where(enrol)[0]) + list(workers):
        is_worker = i >= persons
        month = int(worker_entry[i - persons]) if is_worker else int(entry[i])
        start = month_first(month) + timedelta(days=rng.randrange(0, 20))
        ended = start + timedelta(days=rng.randrange(20, 110))
        status_word = "completed" if rng.random() < 0.85 else "dropped"
        certified = status_word == "completed" and rng.random() < 0.6
        programme, funding, line = rng.choice(PROGRAMMES)
        if is_worker:
            programme, funding, line = "CONTO-FORMAZIONE", f"fondo:{rng.choice(FUNDS)}", ""
        w.participations.append({
            "codice_fiscale": codes_[i], "course_id": str(rng.choice(courses)) if courses else "",
            "funding_source": funding, "programme": programme, "plan_line": line, "enrolled_on": start.isoformat(),
            "ended_on": ended.isoformat(), "status": status_word, "certified": "si" if certified else "no",
            "certificate_id": f"CERT-{seed}-{i}" if certified else "", **covariates(i),
            "labour_status": "occupato" if is_worker else "disoccupato",
            "unemployed_since": "" if is_worker else registered[i].isoformat()})
    for i in range(persons + n_emp) if events else ():
        young = 2024 - int(people.birth[i]) < 30
        _events_of(rng, codes_[i], status[i], employers, young, w.events)
    # a share of the employers send UNILAV XML instead of CSV
    xml_employers = set(employers[: max(1, int(len(employers) * unilav_share))])
    csv_events = [e for e in w.events if e["employer_id"] not in xml_employers]
    xml_events = [e for e in w.events if e["employer_id"] in xml_employers]
    planted = _plant(rng, w, csv_events, employers)

    out.mkdir(parents=True, exist_ok=True)
    files = {"participations": [out / "participations.csv"], "unemployed": [out / "unemployed.csv"],
             "employment": [out / "employment.csv", out / "employment_unilav.xml"]}
    _write_csv(files["participations"][0], PARTICIPATION_COLUMNS, w.participations)
    _write_csv(files["unemployed"][0], UNEMPLOYED_COLUMNS, w.unemployed)
    if events:
        _write_csv(files["employment"][0], EVENT_COLUMNS, csv_events)
        _write_unilav(files["employment"][1], xml_events)
    else:
        files["employment"] = []
    ref = [month_first(int(g)) for g in entry[enrol]]
    days12 = np.mean([(month_last(month_index(d) + 12) - month_last(month_index(d))).days for d in ref]) if ref else 0
    manifest = Manifest(seed=seed, effect=effect, persons=persons, participants=int(enrol.sum()),
                        employed_participants=n_emp, true_att={k: round(v, 6) for k, v in truth.items()},
                        exact_range=(round(exact[0], 3), round(exact[1], 3)), planted_bad_rows=planted,
                        files={k: [str(p) for p in v] for k, v in files.items()})
    manifest.true_att["days_worked_12m_per_effect"] = round(float(days12), 3)
    manifest.statuses = {codes_[i]: status[i] for i in range(persons + n_emp)}
    (out / "manifest.json").write_text(json.dumps(manifest.as_dict(), indent=2), encoding="utf-8")
    return manifest


def _plant(rng: random.Random, w: _Writer, events: list[dict[str, str]], employers: list[str]) -> dict[str, int]:
    """Bad rows that the ingest must quarantine, none of which changes anybody's history."""
    bad_cf = "RSSMRA85T10A562X"  # wrong check character
    planted = {"participations": 0, "unemployed": 0, "employment": 0}
    if w.participations:
        row = dict(rng.choice(w.participations))
        w.participations.append({**row, "codice_fiscale": bad_cf})
        row = dict(rng.choice(w.participations[:-1]))
        w.participations.append({**row, "ended_on": "2019-01-01"})  # ends before it began
        w.participations.append(dict(rng.choice(w.participations[:-2])))  # a repeated line
        planted["participations"] = 3
    row = dict(rng.choice(w.unemployed))
    w.unemployed.append({**row, "codice_fiscale": bad_cf})
    w.unemployed.append(dict(rng.choice(w.unemployed[:-1])))
    planted["unemployed"] = 2
    if events:
        row = dict(rng.choice(events))
        events.append({**row, "codice_fiscale": bad_cf, "employer_id": rng.choice(employers)})
        events.append({**row, "contract": "A.99.99", "start_date": "2020-03-02", "event": "ASS",
                       "event_date": "2020-03-02", "end_date": ""})  # an unknown contract code
        events.append({**row, "start_date": "2023-05-01", "event": "ASS", "event_date": "2023-05-01",
                       "end_date": "2023-04-30", "contract": "A.02.00"})  # ends before it starts
        events.append(dict(rng.choice(events[:-3])))  # a repeated line
        planted["employment"] = 4
    return planted


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


_SECTIONS = {"PRO": ("Proroga", "dataFineProroga"), "TRS": ("Trasformazione", "dataTrasformazione"),
             "TRD": ("Trasferimento", "dataTrasferimento"), "CES": ("Cessazione", "dataCessazione")}
_UNILAV_CONTRACT = {"tempo determinato": "A.02.00", "fixed-term": "A.02.00", "somministrazione": "A.07.00",
                    "tempo indeterminato": "A.01.00"}


def _write_unilav(path: Path, events: list[dict[str, str]]) -> None:
    """The events as UNILAV documents (one per communication) inside a wrapper element."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<ComunicazioniObbligatorie>"]
    for e in events:
        contract = _UNILAV_CONTRACT.get(e["contract"], e["contract"])
        orario = "F" if e["full_time"] == "si" else "P"
        end = f" dataFine={quoteattr(e['end_date'])}" if e["end_date"] and e["event"] == "ASS" else ""
        section = ""
        if e["event"] in _SECTIONS:
            name, attr = _SECTIONS[e["event"]]
            when = e["end_date"] if e["event"] == "PRO" else e["event_date"]
            extra = f' tipologiaContrattuale="{contract}"' if e["event"] == "TRS" else ""
            section = f"<{name} {attr}={quoteattr(when)}{extra}/>"
        parts.append(
            f'<UniLav xmlns="http://servizi.lavoro.gov.it/unilav" codiceComunicazione="0000000000000000" '
            f'dataInvio={quoteattr(e["communicated_on"] + "T09:00:00")} versione="CO160201R1">'
            f'<DatoreLavoro codiceFiscale={quoteattr(e["employer_id"])} denominazione="Impresa (demo)">'
            f'<SedeLavoro><Comune>{CADASTRAL[e["comune"]]}</Comune></SedeLavoro><Settore>{e["ateco"]}</Settore></DatoreLavoro>'
            f'<Lavoratore><AnagraficaCompleta><cognome>Demo</cognome><nome>Demo</nome>'
            f'<codice-fiscale>{e["codice_fiscale"]}</codice-fiscale></AnagraficaCompleta></Lavoratore>'
            f'<InizioRapporto dataInizio={quoteattr(e["start_date"])}{end} tipologiaContrattuale="'
            f'{contract if e["event"] != "TRS" else "A.02.00"}"><tipoOrario codice="{orario}"/>'
            f'<qualificaProfessionale>{e["cp2011"]}</qualificaProfessionale></InizioRapporto>{section}</UniLav>')
    parts.append("</ComunicazioniObbligatorie>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def in_memory_dataset(manifest: Manifest, identities: Any) -> Any:
    """The analysis dataset of a simulation without a database: participations and registrations read and
    validated from the files as the ingest does, the panel from the simulated monthly statuses (what the CO
    events reconstruct exactly, ``tests/test_monitoring_simulation.py``). The bench's fast mode."""
    import pandas as pd

    from regia.monitoring import formats, validation
    from regia.monitoring.dataset import PARTICIPATION_COLUMNS, UNEMPLOYED_COLUMNS, Dataset
    from regia.monitoring.panel import Panel
    from regia.monitoring.places import Places

    ctx = validation.Context(identities, Places())
    frames = {}
    for kind, columns in (("participations", PARTICIPATION_COLUMNS), ("unemployed", UNEMPLOYED_COLUMNS)):
        rows, seen = [], set()
        for k, item in enumerate(formats.read(Path(manifest.files[kind][0]))):
            if not isinstance(item, formats.Item):
                continue
            try:
                checked = validation.VALIDATORS[kind](item.values, ctx)
            except validation.Invalid:
                continue
            if checked.key in seen:
                continue
            seen.add(checked.key)
            rows.append({"id": k, "synthetic": True, **checked.row})
        frames[kind] = pd.DataFrame(rows, columns=list(columns))
    persons = [identities.person(code) for code in manifest.statuses]
    status = np.stack(list(manifest.statuses.values()))
    order = np.argsort(persons)
    status = status[order]
    days = np.array([(month_last(FIRST_MONTH + j) - month_first(FIRST_MONTH + j)).days + 1
                     for j in range(status.shape[1])], dtype=np.int16)
    panel = Panel(sorted(persons), FIRST_MONTH, LAST_MONTH, status > 0, status == 2,
                  np.where(status > 0, days[None, :], 0).astype(np.int16))
    return Dataset(frames["participations"], frames["unemployed"], panel, month_last(LAST_MONTH), "memory", True)
