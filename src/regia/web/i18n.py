"""Interface language: a message catalogue in Italian and English, and the choice of language per request.

The interface speaks Italian unless the person chooses English: the language is ``?lang=`` (then remembered
in a cookie), else the cookie, else the configured default (Italian). The browser's ``Accept-Language`` is
not consulted: Regia's users are Lombardy's offices and citizens, and English is an explicit choice.
Domains bring their own messages (``MESSAGES`` in their ``pages`` module); the app merges them into one
:class:`Catalog` at start.

In templates ``t("key", name=value)`` returns the message in the page's language, formatted with
``str.format``; a key missing in that language falls back to Italian, then to the key itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

SUPPORTED = ("it", "en")
DEFAULT = "it"
COOKIE = "regia_lang"
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}

Messages = Mapping[str, Mapping[str, str]]  # language -> key -> text

MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "site.name": "Regia",
        "site.tagline": "Competenze e lavoro in Lombardia, governati dai dati",
        "site.owner": "Regione Lombardia",
        "skip.content": "Vai al contenuto principale",
        "skip.nav": "Vai alla navigazione",
        "nav.label": "Navigazione principale",
        "nav.toggle": "Mostra o nascondi la navigazione",
        "nav.close": "Chiudi la navigazione",
        "nav.home": "Home",
        "nav.taxonomy": "Tassonomia",
        "nav.map": "Mappa",
        "lang.label": "Lingua",
        "lang.switch": "Lingua: {name}",
        "footer.about": "Regia è una piattaforma open source per governare le politiche di formazione e lavoro "
                        "a partire da dati condivisi.",
        "footer.sources": "Fonti dei dati",
        "footer.istat_detail": "per territori, codici statistici e confini (CC BY).",
        "footer.api": "Documentazione delle API",
        "footer.licence": "Software rilasciato con licenza EUPL-1.2",
        "home.title": "Regia",
        "home.lead": "Regia aiuta Regione Lombardia e i suoi partner a programmare le politiche di formazione "
                     "e lavoro: mette in relazione la domanda delle imprese (annunci, fabbisogni) con l'offerta "
                     "(corsi, certificazioni) usando un unico vocabolario condiviso di professioni, competenze "
                     "e territori.",
        "home.taxonomy_title": "La tassonomia condivisa",
        "home.taxonomy_text": "Ogni annuncio, corso e certificazione è classificato con gli stessi concetti: "
                              "ESCO per professioni e competenze, ISTAT CP2011, ISCO-08, ATECO e i territori "
                              "ISTAT.",
        "home.counts_caption": "Concetti della tassonomia caricati",
        "home.what": "Che cosa",
        "home.how_many": "Quanti",
        "home.explore": "Esplora la tassonomia",
        "home.map": "Vedi la mappa delle province",
        "home.empty": "La tassonomia non è ancora stata caricata: eseguire «regia taxonomy import».",
        "count.occupations": "Professioni ESCO",
        "count.skills": "Competenze ESCO",
        "count.skill_groups": "Gruppi di competenze ESCO",
        "count.relations": "Legami professione–competenza",
        "count.isco": "Gruppi ISCO-08",
        "count.cp2011": "Codici CP2011 (ISTAT)",
        "count.ateco": "Codici ATECO 2025",
        "count.provinces": "Province",
        "count.comuni": "Comuni",
        "error.title": "Errore {status}",
        "error.not_found": "Pagina non trovata",
        "error.not_found_text": "La pagina richiesta non esiste.",
        "error.generic": "Si è verificato un problema nella richiesta.",
        "error.back_home": "Torna alla home",
        "assets.missing": "Stili e script dell'interfaccia non installati: eseguire «make install».",
    },
    "en": {
        "site.name": "Regia",
        "site.tagline": "Skills and jobs in Lombardy, steered by data",
        "site.owner": "Regione Lombardia",
        "skip.content": "Skip to main content",
        "skip.nav": "Skip to navigation",
        "nav.label": "Main navigation",
        "nav.toggle": "Show or hide the navigation",
        "nav.close": "Close the navigation",
        "nav.home": "Home",
        "nav.taxonomy": "Taxonomy",
        "nav.map": "Map",
        "lang.label": "Language",
        "lang.switch": "Language: {name}",
        "footer.about": "Regia is an open-source platform to steer skills and employment policy from shared "
                        "data.",
        "footer.sources": "Data sources",
        "footer.istat_detail": "(source: ISTAT) for territories, statistical codes and boundaries (CC BY).",
        "footer.api": "API documentation",
        "footer.licence": "Software released under the EUPL-1.2 licence",
        "home.title": "Regia",
        "home.lead": "Regia helps Regione Lombardia and its partners plan skills and employment policy: it "
                     "relates what employers ask for (job postings, needs) to what is offered (courses, "
                     "certifications) through one shared vocabulary of occupations, skills and territories.",
        "home.taxonomy_title": "The shared taxonomy",
        "home.taxonomy_text": "Every posting, course and certification is tagged with the same concepts: ESCO "
                              "for occupations and skills, ISTAT CP2011, ISCO-08, ATECO and ISTAT territories.",
        "home.counts_caption": "Taxonomy concepts loaded",
        "home.what": "What",
        "home.how_many": "How many",
        "home.explore": "Explore the taxonomy",
        "home.map": "See the province map",
        "home.empty": "The taxonomy has not been imported yet: run “regia taxonomy import”.",
        "count.occupations": "ESCO occupations",
        "count.skills": "ESCO skills",
        "count.skill_groups": "ESCO skill groups",
        "count.relations": "Occupation–skill links",
        "count.isco": "ISCO-08 groups",
        "count.cp2011": "CP2011 codes (ISTAT)",
        "count.ateco": "ATECO 2025 codes",
        "count.provinces": "Provinces",
        "count.comuni": "Municipalities",
        "error.title": "Error {status}",
        "error.not_found": "Page not found",
        "error.not_found_text": "The page you asked for does not exist.",
        "error.generic": "Something went wrong with the request.",
        "error.back_home": "Back to the home page",
        "assets.missing": "Interface styles and scripts are not installed: run “make install”.",
    },
}


class Catalog:
    """Messages per language, merged from the web layer's and the domains' catalogues."""

    def __init__(self, *sources: Messages) -> None:
        self.messages: dict[str, dict[str, str]] = {lang: {} for lang in SUPPORTED}
        for source in sources:
            self.add(source)

    def add(self, source: Messages) -> None:
        for lang, messages in source.items():
            if lang not in self.messages:
                raise ValueError(f"unsupported language in catalogue: {lang!r}")
            clash = set(messages) & set(self.messages[lang])
            if clash:
                raise ValueError(f"message keys defined twice: {', '.join(sorted(clash))}")
            self.messages[lang].update(messages)

    def gettext(self, lang: str, key: str, /, **params: object) -> str:
        text = self.messages.get(lang, {}).get(key) or self.messages[DEFAULT].get(key) or key
        return text.format(**params) if params else text

    def translator(self, lang: str) -> Callable[..., str]:
        def t(key: str, /, **params: object) -> str:
            return self.gettext(lang, key, **params)

        return t

    def missing(self) -> dict[str, set[str]]:
        """Keys that some language has and another lacks (should be empty; a test checks it)."""
        every = set().union(*(set(m) for m in self.messages.values()))
        return {lang: every - set(m) for lang, m in self.messages.items() if every - set(m)}


def negotiate(*, query: str | None, cookie: str | None, default: str = DEFAULT) -> str:
    """The page language: ``?lang=``, else the cookie, else ``default``."""
    for candidate in (query, cookie):
        if candidate and candidate.lower() in SUPPORTED:
            return candidate.lower()
    return default if default in SUPPORTED else DEFAULT
