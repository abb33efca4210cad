"""The gettext catalogues: every key in both languages with the same placeholders, nothing untranslated or
fuzzy for pybabel, no key defined by two packages, every key the code uses defined, and the formats of
amounts, numbers and times in both languages."""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
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
            placeholders = set()
            for lang in i18n.SUPPORTED:
                text = texts[lang][key]
                forms = text if isinstance(key, tuple) else (text,)  # a plural: one text per plural form
                assert isinstance(forms, tuple) and len(forms) == (2 if isinstance(key, tuple) else 1), key
                for form in forms:
                    assert isinstance(form, str) and form.strip(), f"{domain}/{lang}: {key} has no text"
                    assert "%" not in PLACEHOLDER.sub("", form.replace("%%", "")), \
                        f"{domain}/{lang}: {key}: a lone % (write %% for a percent sign): {form!r}"
                    placeholders.add(frozenset(PLACEHOLDER.findall(form)))
            assert len(placeholders) == 1, f"{domain}: {key} has different placeholders: {it[key]!r} / {en[key]!r}"


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


def test_every_key_of_a_catalogue_is_used_by_its_package(catalogues: dict[str, dict[str, Catalog]],
                                                          extracted: dict[str, set[str]]) -> None:
    # `make messages` updates each package's catalogue from what pybabel extracts from that package alone: a key
    # it does not see there (written out, or declared with N_()) would become obsolete.
    for domain, by_lang in catalogues.items():
        keys = {m.id for m in by_lang["it"] if m.id}
        unused = keys - extracted.get(domain, set())
        assert not unused, f"{domain}: keys its code does not use (pybabel update would drop them): {sorted(unused)}"


def test_templates_translate_in_the_page_language() -> None:
    env = Environment(autoescape=True)
    i18n.install_jinja(env)
    template = env.from_string("{{ _('error.title', status=404) }}|{{ _('error.back_home') }}")
    assert template.render(lang="it") == "Errore 404|Torna alla home"
    assert template.render(lang="en") == "Error 404|Back to the home page"
    # parameters are escaped, the translation is not
    assert "&lt;b&gt;" in env.from_string("{{ _('error.title', status='<b>') }}").render(lang="en")


def test_plural_forms_follow_the_count() -> None:
    env = Environment(autoescape=True)
    i18n.install_jinja(env)
    template = env.from_string("{{ ngettext('catalog.results.one', 'catalog.results.other', n, n=number(n)) }}")
    number = {"it": lambda v: i18n.format_number(v, "it"), "en": lambda v: i18n.format_number(v, "en")}
    assert template.render(lang="it", n=1, number=number["it"]) == "1 corso"
    assert template.render(lang="it", n=1234, number=number["it"]) == "1.234 corsi"
    assert template.render(lang="en", n=0, number=number["en"]) == "0 courses"
    assert i18n.ngettext("catalog.seats.one", "catalog.seats.other", 1, "en", n="1") == "1 seat"


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


# --- no message outside the catalogues; no stored data unescaped ---------------------------------------------

SRC = ROOT / "src" / "regia"
# Language metadata, not messages: each language's own name and its Babel locale.
LANGUAGE_TABLES = {SRC / "i18n.py"}


def _is_text(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


def test_no_python_dictionary_of_interface_messages_remains() -> None:
    """Every interface text is in a catalogue: no ``MESSAGES`` table, no ``{"it": "…", "en": "…"}`` (or
    ``{"it": {...}, "en": {...}}``) dictionary anywhere in the code."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path in LANGUAGE_TABLES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and "MESSAGES" in node.id:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.id}")
            if isinstance(node, ast.Dict):
                by_lang = {k.value: v for k, v in zip(node.keys, node.values, strict=True)
                           if isinstance(k, ast.Constant) and k.value in i18n.SUPPORTED}
                if len(by_lang) == len(i18n.SUPPORTED) and all(_is_text(v) or isinstance(v, ast.Dict)
                                                               for v in by_lang.values()):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert not found, "interface texts outside the catalogues:\n" + "\n".join(found)


def test_no_message_key_is_hidden_from_pybabel() -> None:
    """A message key written in Python as a plain string (``key="pacts.err.x"``) would be dropped by ``make
    messages``: keys are written ``N_("…")`` (or passed to gettext) where they are named."""
    defined = {str(m.id) for _, po in i18n.catalogues(i18n.DEFAULT) for m in _read(po) if m.id}
    hidden = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path.name == "i18n.py":
            continue
        tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))
        for i, token in enumerate(tokens):
            if token.type != tokenize.STRING or token.string[0] not in "\"'":
                continue
            value = ast.literal_eval(token.string)
            before = [t.string for t in tokens[max(0, i - 2):i]]
            if value in defined and before[-2:] not in ([f, "("] for f in ("N_", "_", "gettext", "ngettext")):
                hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {value}")
    assert not hidden, "\n".join(hidden)


EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
# Names that hold our own code, marked safe (Markup) in Python: the vendored libraries a standalone report
# inlines, and the mismatch map's script (regia.analytics.mismatch.MAP_JS). Nothing stored.
TRUSTED_CODE = {"js", "map_js"}


def _templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.html") if "templates" in p.parts)


def test_no_template_marks_anything_safe() -> None:
    """Data reaches pages only through Jinja's escaping: no ``|safe`` in any template (our own code that must
    go out as it is is marked safe in Python, see TRUSTED_CODE)."""
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in _templates()
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\|\s*safe\b", line)]
    assert not offenders, offenders


def test_data_goes_into_scripts_only_as_json() -> None:
    """Inside ``<script>`` every value is written with ``|tojson`` (JSON with <, >, & and ' escaped), never
    as text that a stored name could break out of."""
    offenders = []
    for path in _templates():
        for script in SCRIPT.findall(path.read_text(encoding="utf-8")):
            for expression in EXPRESSION.findall(script):
                value = expression.strip()
                if not re.search(r"\|\s*tojson\s*$", value) and value not in TRUSTED_CODE:
                    offenders.append(f"{path.relative_to(ROOT)}: {{{{ {value} }}}}")
    assert not offenders, offenders
    assert len(_templates()) > 30


@pytest.mark.parametrize("name", ["name", "</script><script>alert(1)</script>", "a'b\"c&d"])
def test_tojson_keeps_a_stored_name_inside_its_script(name: str) -> None:
    env = Environment(autoescape=True)
    html = env.from_string('<script type="application/json" id="x">{{ data | tojson }}</script>').render(
        data={"name": name})
    assert html.count("</script>") == 1 and "<script>" not in html[1:]
    body = html.split('id="x">', 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(body) == {"name": name}
