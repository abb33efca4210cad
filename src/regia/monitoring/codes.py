"""The vocabularies of the monitoring records: what each file may say, in words or in the UNILAV codes.

Every reader goes through these tables, so that a value is recognised the same way in a CSV, an Excel sheet
and a UNILAV XML document. Values are matched case- and accent-insensitively after trimming; the words
accepted are the Italian and English ones people write (``tempo determinato``, ``fixed-term``) and the
codes of the *Comunicazioni Obbligatorie* (``A.02.00``, ``CES``, ``F``).
"""

from __future__ import annotations

import re
import unicodedata

from regia.i18n import N_

# --- employment events (UNILAV) -------------------------------------------------------------------------------
HIRE, EXTENSION, TRANSFORMATION, TRANSFER, TERMINATION = "ASS", "PRO", "TRS", "TRD", "CES"
EVENTS = (HIRE, EXTENSION, TRANSFORMATION, TRANSFER, TERMINATION)
EVENT_ORDER = {e: k for k, e in enumerate(EVENTS)}  # same date: hire, extension, transformation, transfer, end
_EVENT_WORDS = {
    HIRE: ("ass", "avviamento", "assunzione", "inizio", "inizio rapporto", "hire", "start", "01"),
    EXTENSION: ("pro", "proroga", "extension", "02"),
    TRANSFORMATION: ("trs", "trasformazione", "transformation", "03"),
    TRANSFER: ("trd", "trasferimento", "distacco", "trasferimento/distacco", "transfer", "secondment", "05"),
    TERMINATION: ("ces", "cessazione", "fine rapporto", "termination", "end", "04"),
}

# --- contracts --------------------------------------------------------------------------------------------------
PERMANENT, FIXED_TERM, APPRENTICESHIP, TEMP_AGENCY, INTERMITTENT, DOMESTIC, SEASONAL, TRAINEESHIP, OTHER = (
    "permanent", "fixed_term", "apprenticeship", "temp_agency", "intermittent", "domestic", "seasonal",
    "traineeship", "other")
CONTRACTS = (PERMANENT, FIXED_TERM, APPRENTICESHIP, TEMP_AGENCY, INTERMITTENT, DOMESTIC, SEASONAL, TRAINEESHIP,
             OTHER)
CONTRACT_LABELS = {
    PERMANENT: N_("monitoring.contract.permanent"), FIXED_TERM: N_("monitoring.contract.fixed_term"),
    APPRENTICESHIP: N_("monitoring.contract.apprenticeship"), TEMP_AGENCY: N_("monitoring.contract.temp_agency"),
    INTERMITTENT: N_("monitoring.contract.intermittent"), DOMESTIC: N_("monitoring.contract.domestic"),
    SEASONAL: N_("monitoring.contract.seasonal"), TRAINEESHIP: N_("monitoring.contract.traineeship"),
    OTHER: N_("monitoring.contract.other"),
}
# Contracts that are "stable employment": open-ended ones (apprenticeship is an open-ended contract in Italian
# law, d.lgs. 81/2015 art. 41).
STABLE = frozenset({PERMANENT, APPRENTICESHIP})
# Contracts that end on a date of their own: a hire of one of these needs an end date.
TERM = frozenset({FIXED_TERM, SEASONAL, TRAINEESHIP})

# UNILAV "tipologia contrattuale" codes (Ministry of Labour's classification of the CO), grouped by kind.
# Codes not listed are refused (the quarantine names them): a new code must be added here, knowingly.
UNILAV_CONTRACTS: dict[str, str] = {
    "A.01.00": PERMANENT,  # lavoro a tempo indeterminato
    "A.01.01": PERMANENT,  # tempo indeterminato, settore pubblico
    "A.02.00": FIXED_TERM,  # lavoro a tempo determinato
    "A.02.01": FIXED_TERM,  # tempo determinato per sostituzione
    "A.02.02": FIXED_TERM,  # tempo determinato, settore pubblico
    "A.03.00": APPRENTICESHIP,  # apprendistato ex art. 16 l. 196/97
    "A.03.01": APPRENTICESHIP,  # apprendistato per il diritto-dovere di istruzione e formazione
    "A.03.02": APPRENTICESHIP,  # apprendistato professionalizzante (fino al 2012)
    "A.03.03": APPRENTICESHIP,  # apprendistato di alta formazione (fino al 2012)
    "A.03.08": APPRENTICESHIP,  # apprendistato per la qualifica e il diploma professionale (duale, I livello)
    "A.03.09": APPRENTICESHIP,  # apprendistato professionalizzante o di mestiere (II livello)
    "A.03.10": APPRENTICESHIP,  # apprendistato di alta formazione e ricerca (III livello)
    "A.03.11": APPRENTICESHIP,  # apprendistato professionalizzante per lavoratori in mobilità / disoccupati
    "A.04.02": SEASONAL,  # lavoro stagionale (tempo determinato)
    "A.05.02": INTERMITTENT,  # lavoro intermittente a tempo determinato
    "A.05.03": INTERMITTENT,  # lavoro intermittente a tempo indeterminato
    "A.07.00": TEMP_AGENCY,  # somministrazione a tempo determinato
    "A.07.01": TEMP_AGENCY,  # somministrazione a tempo indeterminato
    "A.08.00": DOMESTIC,  # lavoro domestico a tempo indeterminato
    "A.08.01": DOMESTIC,  # lavoro domestico a tempo determinato
    "B.01.00": OTHER,  # collaborazione coordinata e continuativa
    "C.01.00": TRAINEESHIP,  # tirocinio
}
_CONTRACT_WORDS = {
    PERMANENT: ("tempo indeterminato", "indeterminato", "permanent", "open-ended", "open ended", "ti"),
    FIXED_TERM: ("tempo determinato", "determinato", "fixed-term", "fixed term", "td", "temporary"),
    APPRENTICESHIP: ("apprendistato", "apprendistato duale", "apprendistato professionalizzante", "apprenticeship",
                     "apprentice"),
    TEMP_AGENCY: ("somministrazione", "lavoro somministrato", "interinale", "temp agency", "agency work",
                  "temporary agency work"),
    INTERMITTENT: ("intermittente", "lavoro intermittente", "a chiamata", "on call", "intermittent"),
    DOMESTIC: ("lavoro domestico", "domestico", "domestic work"),
    SEASONAL: ("stagionale", "lavoro stagionale", "seasonal"),
    TRAINEESHIP: ("tirocinio", "stage", "traineeship", "internship"),
    OTHER: ("collaborazione", "co.co.co", "altro", "other"),
}

# Working time (UNILAV "tipo orario"): F full time, P part-time horizontal, V part-time vertical, M mixed.
WORKING_TIME = ("F", "P", "V", "M")
_WORKING_TIME_WORDS = {
    "F": ("f", "full time", "full-time", "tempo pieno", "si", "sì", "yes", "true", "1"),
    "P": ("p", "part time", "part-time", "part time orizzontale", "orizzontale", "no", "false", "0"),
    "V": ("v", "part time verticale", "verticale"),
    "M": ("m", "part time misto", "misto", "mixed"),
}

# --- participations ----------------------------------------------------------------------------------------------
ENROLLED, COMPLETED, DROPPED = "enrolled", "completed", "dropped"
STATUSES = (ENROLLED, COMPLETED, DROPPED)
_STATUS_WORDS = {
    ENROLLED: ("enrolled", "iscritto", "iscritta", "in corso", "frequentante", "ongoing"),
    COMPLETED: ("completed", "concluso", "conclusa", "completato", "completata", "terminato", "formato", "done"),
    DROPPED: ("dropped", "ritirato", "ritirata", "abbandono", "interrotto", "dropout", "drop-out", "withdrawn"),
}
UNEMPLOYED, EMPLOYED, INACTIVE, STUDENT = "unemployed", "employed", "inactive", "student"
LABOUR_STATUSES = (UNEMPLOYED, EMPLOYED, INACTIVE, STUDENT)
_LABOUR_WORDS = {
    UNEMPLOYED: ("unemployed", "disoccupato", "disoccupata", "disoccupati", "in cerca di lavoro"),
    EMPLOYED: ("employed", "occupato", "occupata", "occupati", "lavoratore", "sospeso", "cassa integrazione"),
    INACTIVE: ("inactive", "inattivo", "inattiva", "inattivi", "neet"),
    STUDENT: ("student", "studente", "studentessa", "studenti"),
}
SEXES = ("F", "M")
_SEX_WORDS = {"F": ("f", "female", "femmina", "donna", "d"), "M": ("m", "male", "maschio", "uomo", "u")}
IT, EU, NON_EU = "it", "eu", "non_eu"
CITIZENSHIPS = (IT, EU, NON_EU)
_CITIZENSHIP_WORDS = {
    IT: ("it", "ita", "italia", "italiana", "italiano", "italian", "000"),
    EU: ("eu", "ue", "comunitario", "comunitaria", "unione europea", "european union"),
    NON_EU: ("non-eu", "non eu", "non_eu", "extra-ue", "extra ue", "extraue", "extracomunitario",
             "extracomunitaria", "non-ue", "non ue"),
}
# ISTAT country codes of the other EU member states (as the CO "cittadinanza" field carries them).
EU_COUNTRY_CODES = frozenset({"201", "203", "205", "206", "209", "210", "212", "214", "215", "216", "219",
                              "223", "226", "227", "229", "231", "232", "233", "235", "239", "244", "247",
                              "248", "250", "251", "252"})
SEX_LABELS = {"F": N_("monitoring.sex.F"), "M": N_("monitoring.sex.M")}
CITIZENSHIP_LABELS = {IT: N_("monitoring.citizenship.it"), EU: N_("monitoring.citizenship.eu"),
                      NON_EU: N_("monitoring.citizenship.non_eu")}
STATUS_LABELS = {ENROLLED: N_("monitoring.status.enrolled"), COMPLETED: N_("monitoring.status.completed"),
                 DROPPED: N_("monitoring.status.dropped")}

# Funding: the course list's convention (regione, fse+, gol, fondo:NAME, impresa).
REGION_FUNDS, FSE_PLUS, GOL, FUND, FIRM, OTHER_FUNDING = "regione", "fse_plus", "gol", "fondo", "impresa", "other"
FUNDING = (REGION_FUNDS, FSE_PLUS, GOL, FUND, FIRM, OTHER_FUNDING)
FUNDING_LABELS = {REGION_FUNDS: N_("monitoring.funding.regione"), FSE_PLUS: N_("monitoring.funding.fse_plus"),
                  GOL: N_("monitoring.funding.gol"), FUND: N_("monitoring.funding.fondo"),
                  FIRM: N_("monitoring.funding.impresa"), OTHER_FUNDING: N_("monitoring.funding.other")}
_FUNDING_WORDS = {
    REGION_FUNDS: ("regione", "regionale", "risorse regionali", "region"),
    FSE_PLUS: ("fse+", "fse", "fse plus", "fse_plus", "esf+", "esf"),
    GOL: ("gol", "pnrr gol", "garanzia occupabilita"),
    FIRM: ("impresa", "azienda", "firm", "employer"),
    OTHER_FUNDING: ("altro", "other"),
}

# Target groups (one per participation, in this order of precedence; see ``target_group``).
STUDENTS, EMPLOYED_WORKERS, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, NEET, OTHER_INACTIVE = (
    "students", "employed", "long_term_unemployed", "unemployed", "neet", "inactive")
TARGET_GROUPS = (STUDENTS, EMPLOYED_WORKERS, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, NEET, OTHER_INACTIVE)
TARGET_LABELS = {STUDENTS: N_("monitoring.target.students"), EMPLOYED_WORKERS: N_("monitoring.target.employed"),
                 LONG_TERM_UNEMPLOYED: N_("monitoring.target.long_term_unemployed"),
                 SHORT_TERM_UNEMPLOYED: N_("monitoring.target.unemployed"), NEET: N_("monitoring.target.neet"),
                 OTHER_INACTIVE: N_("monitoring.target.inactive")}
LONG_TERM_MONTHS = 12
NEET_MAX_AGE = 29

AGE_BANDS = ((15, 29), (30, 49), (50, 99))
AGE_BAND_LABELS = {"15-29": N_("monitoring.age.15-29"), "30-49": N_("monitoring.age.30-49"),
                   "50+": N_("monitoring.age.50+")}
EDUCATION_BANDS = {"low": range(0, 3), "medium": range(3, 5), "high": range(5, 9)}  # ISCED 2011 levels
EDUCATION_LABELS = {"low": N_("monitoring.education.low"), "medium": N_("monitoring.education.medium"),
                    "high": N_("monitoring.education.high"), "unknown": N_("monitoring.education.unknown")}
_EDUCATION_WORDS = {
    1: ("licenza elementare", "primaria", "primary"),
    2: ("licenza media", "scuola media", "lower secondary"),
    3: ("diploma", "qualifica", "qualifica professionale", "diploma professionale", "upper secondary"),
    4: ("post-diploma", "ifts", "post-secondary"),
    5: ("its", "its academy", "short-cycle tertiary"),
    6: ("laurea", "laurea triennale", "bachelor"),
    7: ("laurea magistrale", "master", "laurea specialistica"),
    8: ("dottorato", "phd", "doctorate"),
}


def fold(value: object) -> str:
    """Lower case, accents removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("_", " ").split())


def _index(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(w): key for key, ws in words.items() for w in (key, *ws)}


_EVENTS = _index(_EVENT_WORDS)
_CONTRACTS = {**_index(_CONTRACT_WORDS), **{fold(code): kind for code, kind in UNILAV_CONTRACTS.items()}}
_WORKING = _index(_WORKING_TIME_WORDS)
_STATUSES = _index(_STATUS_WORDS)
_LABOUR = _index(_LABOUR_WORDS)
_SEX = _index(_SEX_WORDS)
_CITIZENSHIP = _index(_CITIZENSHIP_WORDS)
_FUNDING = _index(_FUNDING_WORDS)
_EDUCATION = {fold(w): level for level, ws in _EDUCATION_WORDS.items() for w in ws}
_UNILAV_CODE = re.compile(r"^[A-Z]\.\d{2}\.\d{2}$")


class UnknownValue(ValueError):
    """A value not in the vocabulary; the message says which values are accepted."""


def _look(table: dict[str, str], value: object, what: str, accepted: tuple[str, ...]) -> str:
    key = fold(value)
    if key in table:
        return table[key]
    raise UnknownValue(f"unknown {what} {str(value).strip()!r} (accepted: {', '.join(accepted)} or their "
                       "Italian/English words)")


def event(value: object) -> str:
    return _look(_EVENTS, value, "event", EVENTS)


def contract(value: object) -> tuple[str, str | None]:
    """The kind of contract and the UNILAV code when one was given: ``("fixed_term", "A.02.00")``."""
    text = str(value).strip().upper()
    if _UNILAV_CODE.match(text):
        if text not in UNILAV_CONTRACTS:
            raise UnknownValue(f"unknown UNILAV contract code {text!r}")
        return UNILAV_CONTRACTS[text], text
    return _look(_CONTRACTS, value, "contract", CONTRACTS), None


def working_time(value: object) -> str:
    return _look(_WORKING, value, "working time", WORKING_TIME)


def status(value: object) -> str:
    return _look(_STATUSES, value, "status", STATUSES)


def labour_status(value: object) -> str:
    return _look(_LABOUR, value, "labour status", LABOUR_STATUSES)


def sex(value: object) -> str:
    return _look(_SEX, value, "sex", SEXES)


def citizenship(value: object) -> str:
    key = fold(value)
    if key.isdigit() and len(key) == 3:  # ISTAT country code, as in the CO
        return IT if key in ("000", "100") else EU if key in EU_COUNTRY_CODES else NON_EU
    return _look(_CITIZENSHIP, value, "citizenship", CITIZENSHIPS)


def education(value: object) -> int:
    """The ISCED 2011 level (0–8) of a level number or a word."""
    key = fold(value)
    if key.isdigit() and 0 <= int(key) <= 8:
        return int(key)
    key = key.removeprefix("isced ").strip()
    if key.isdigit() and 0 <= int(key) <= 8:
        return int(key)
    if key in _EDUCATION:
        return _EDUCATION[key]
    raise UnknownValue(f"unknown education level {str(value).strip()!r} (an ISCED level 0-8)")


def funding(value: object) -> tuple[str, str | None]:
    """The funding channel and the Fund's name: ``fondo:Fondimpresa`` → ``("fondo", "Fondimpresa")``."""
    text = str(value).strip()
    head, _, name = text.partition(":")
    if fold(head) in ("fondo", "fund", "fondi", "fondo interprofessionale"):
        if not name.strip():
            raise UnknownValue("a Fund's funding must name the Fund: fondo:NAME")
        return FUND, " ".join(name.split())
    return _look(_FUNDING, value, "funding source", (*FUNDING[:3], "fondo:NAME", *FUNDING[4:])), None


def boolean(value: object) -> bool:
    key = fold(value)
    if key in ("1", "si", "s", "yes", "y", "true", "vero", "x"):
        return True
    if key in ("0", "no", "n", "false", "falso", ""):
        return False
    raise UnknownValue(f"expected yes/no (sì/no, 1/0), not {str(value).strip()!r}")


def education_band(level: int | None) -> str:
    if level is None:
        return "unknown"
    return next(band for band, levels in EDUCATION_BANDS.items() if level in levels)


def age_band(age: int) -> str:
    if age >= 50:
        return "50+"
    return "30-49" if age >= 30 else "15-29"


def target_group(labour: str, age: int | None, unemployed_months: int | None) -> str:
    """One target group per participation: students, employed workers, long-term unemployed (unemployed for
    at least ``LONG_TERM_MONTHS`` at entry), other unemployed, NEET (inactive, aged up to ``NEET_MAX_AGE``), other
    inactive."""
    if labour == STUDENT:
        return STUDENTS
    if labour == EMPLOYED:
        return EMPLOYED_WORKERS
    if labour == UNEMPLOYED:
        return LONG_TERM_UNEMPLOYED if (unemployed_months or 0) >= LONG_TERM_MONTHS else SHORT_TERM_UNEMPLOYED
    return NEET if age is not None and age <= NEET_MAX_AGE else OTHER_INACTIVE
