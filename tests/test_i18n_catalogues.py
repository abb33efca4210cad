"""The gettext catalogues: every key in both languages with the same placeholders, nothing untranslated or
fuzzy for pybabel, no key defined by two packages, every key the code uses defined, and the formats of
amounts, numbers and times in both languages."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from jinja2 import Environment

from regia import i18n

ROOT = Path(__file__).resolve().parents[1]
PYBABEL = Path(sys.executable).with_name("pybabel")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfir]")
# Packages whose catalogues pybabel fully manages: every key they define is used somewhere the extractor sees
# (literally, or through N_()). The others still build keys at run time without declaring them.
MANAGED = {"web", "iefp"}


def _read(po: Path) -> Catalog:
    with po.open("rb") as fp:
        return read_po(fp)


def _packages() -> list[str]:
    return sorted(po.stem for _, po in i18n.catalogues(i18n.DEFAULT))


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, Catalog]]:
    found: dict[str, dict[str, Catalog]] = {}
    for lang in i18n.SUPPORTED:
        for domain, po in i18n.catalogues(lang):
            found.setdefault(domain, {})[lang] = _read(po)
    return found


def test_every_package_has_both_languages(catalogues: dict[str, dict[str, Catalog]]) -> None:
    assert "web" in catalogues
    for domain, by_lang in catalogues.items():
        assert set(by_lang) == set(i18n.SUPPORTED), domain


def test_same_keys_and_placeholders_in_both_languages(catalogues: dict[str, dict[str, Catalog]]) -> None:
    for domain, by_lang in catalogues.items():
        texts = {lang: {m.id: m.string for m in cat if m.id} for lang, cat in by_lang.items()}
        it, en = texts["it"], texts["en"]
        assert set(it) == set(en), f"{domain}: keys only in it {sorted(set(it) - set(en))}, " \
                                   f"only in en {sorted(set(en) - set(it))}"
        for key in it:
            for lang in i18n.SUPPORTED:
                for text in _forms(texts[lang][key]):  # a plural message has one text per form
                    assert isinstance(text, str) and text.strip(), f"{domain}/{lang}: {key} has no text"
                    assert "%" not in PLACEHOLDER.sub("", text.replace("%%", "")), \
                        f"{domain}/{lang}: {key}: a lone % (write %% for a percent sign): {text!r}"
            assert _placeholders(it[key]) == _placeholders(en[key]), \
                f"{domain}: {key} has different placeholders: {it[key]!r} / {en[key]!r}"


def _forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


def _placeholders(text: str | tuple[str, ...]) -> set[str]:
    return {name for form in _forms(text) for name in PLACEHOLDER.findall(form)}


def test_pybabel_finds_every_message_translated_and_none_fuzzy(tmp_path: Path) -> None:
    for lang in i18n.SUPPORTED:
        for domain, po in i18n.catalogues(lang):
            run = subprocess.run([str(PYBABEL), "compile", "--statistics", "-i", str(po), "-o",
                                  str(tmp_path / f"{domain}-{lang}.mo")], capture_output=True, text=True)
            assert run.returncode == 0, run.stderr
            stats = re.search(r"(\d+) of (\d+) messages \((\d+)%\) translated", run.stderr + run.stdout)
            assert stats and stats.group(1) == stats.group(2), f"{domain}/{lang}: {run.stderr.strip()}"
            assert "fuzzy" not in (run.stderr + run.stdout), f"{domain}/{lang}: {run.stderr.strip()}"
            assert not any(m.fuzzy for m in _read(po) if m.id), f"{domain}/{lang}: fuzzy messages"


def test_no_key_is_defined_by_two_packages(catalogues: dict[str, dict[str, Catalog]]) -> None:
    owner: dict[str, str] = {}
    for domain, by_lang in catalogues.items():
        for message in by_lang["it"]:
            if message.id:
                assert message.id not in owner, f"{message.id} in {owner.get(message.id)} and {domain}"
                owner[message.id] = domain


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """What ``pybabel extract`` finds in each package, with the repository's own babel.cfg."""
    work = tmp_path_factory.mktemp("pot")
    found: dict[str, set[str]] = {}
    for package in sorted(p.name for p in (ROOT / "src/regia").iterdir() if p.is_dir() and p.name != "__pycache__"):
        pot = work / f"{package}.pot"
        run = subprocess.run([str(PYBABEL), "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot),
                              str(ROOT / "src/regia" / package)], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, run.stderr
        found[package] = {m.id for m in _read(pot) if m.id}
    return found


def test_every_key_the_code_uses_is_defined(catalogues: dict[str, dict[str, Catalog]],
                                            extracted: dict[str, set[str]]) -> None:
    defined = {m.id for by_lang in catalogues.values() for m in by_lang["it"] if m.id}
    used = set().union(*extracted.values())
    assert used, "pybabel extracted nothing"
    assert used <= defined, f"keys used but in no catalogue: {sorted(used - defined)}"


def test_every_key_of_a_managed_catalogue_is_used(catalogues: dict[str, dict[str, Catalog]],
                                                  extracted: dict[str, set[str]]) -> None:
    used = set().union(*extracted.values())
    for domain in MANAGED:
        keys = {m.id for m in catalogues[domain]["it"] if m.id}
        assert keys <= used, f"{domain}: keys no code uses (pybabel update would drop them): {sorted(keys - used)}"


def test_templates_translate_in_the_page_language() -> None:
    env = Environment(autoescape=True)
    i18n.install_jinja(env)
    template = env.from_string("{{ _('error.title', status=404) }}|{{ _('error.back_home') }}")
    assert template.render(lang="it") == "Errore 404|Torna alla home"
    assert template.render(lang="en") == "Error 404|Back to the home page"
    # parameters are escaped, the translation is not
    assert "&lt;b&gt;" in env.from_string("{{ _('error.title', status='<b>') }}").render(lang="en")


def test_python_gettext_and_fallbacks() -> None:
    assert i18n.gettext("error.title", "it", status=500) == "Errore 500"
    assert i18n.gettext("error.title", "en", status=500) == "Error 500"
    assert i18n.gettext("no.such.key", "en") == "no.such.key"
    assert i18n.gettext("error.generic", "fr") == i18n.gettext("error.generic", "it")  # unknown: default language


@pytest.mark.parametrize(("lang", "money", "number", "percent", "signed"), [
    ("it", "975.000,00 €", "1.234.567", "12,5%", "-2,50"),
    ("en", "€975,000.00", "1,234,567", "12.5%", "-2.50"),
])
def test_formats_follow_the_language(lang: str, money: str, number: str, percent: str, signed: str) -> None:
    assert i18n.format_money(Decimal("975000"), lang) == money
    assert i18n.format_money("975000.00", lang) == money
    assert i18n.format_number(1234567, lang) == number
    assert i18n.format_percent(0.125, lang) == percent
    assert i18n.format_signed(-2.5, lang) == signed
    assert i18n.format_number(None, lang) == "–"


def test_instants_are_shown_in_rome() -> None:
    # 28 February 2026 23:59 in Rome (CET, UTC+1) is stored as 22:59 UTC; SQLite hands it back without offset
    stored = datetime(2026, 2, 28, 22, 59)
    assert i18n.format_datetime(stored, "it") == "28/02/2026 23:59"
    assert i18n.format_datetime(stored.replace(tzinfo=UTC), "en") == "28/02/2026 23:59"
    summer = datetime(2026, 6, 30, 21, 59, tzinfo=UTC)  # CEST, UTC+2
    assert i18n.format_datetime(summer, "it") == "30/06/2026 23:59"
    assert i18n.format_date(datetime(2026, 2, 28, 23, 30, tzinfo=UTC), "it") == "01/03/2026"
    assert i18n.format_date(date(2026, 2, 28), "en") == "28/02/2026"
