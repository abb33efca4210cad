"""Shared plumbing of the browser tests: Debian's chromium driven by Playwright (never `playwright install`).

A missing browser or missing front-end assets fail under CI and skip elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from regia.web.templating import STATIC_DIR

CHROMIUM = Path(os.environ.get("REGIA_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags chromium keeps trying to reach the internet, which is closed here.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VENDOR = STATIC_DIR / "vendor"
TIMEOUT_MS = 20_000


def missing(what: str) -> None:
    """Fail under CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (required under CI)")
    pytest.skip(what)


def require_chromium() -> Path:
    if not CHROMIUM.is_file():
        missing(f"chromium not found at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM


def require_assets(*files: str) -> None:
    absent = [f for f in files if not (VENDOR / f).is_file()]
    if absent:
        missing(f"front-end assets missing ({', '.join(absent)}): run scripts/install-assets.sh")


@contextmanager
def launched(chromium: Path) -> Iterator[Any]:
    """A headless chromium browser (Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def visitor_page(browser: Any, *, height: int = 900, failed_requests: bool = True) -> Iterator[Any]:
    """An Italian-speaking visitor's page; console errors (and failed requests) collected in ``page.problems``."""
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    if failed_requests:
        # a request the browser itself aborts because the page navigated away (net::ERR_ABORTED) is not a fault
        page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else problems.append(
            f"request failed: {r.url} ({r.failure})"))
    page.problems = problems
    try:
        yield page
    finally:
        context.close()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"  # npm devDependency
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any, selector: str = "html") -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations inside ``selector`` (labels, contrast, names...), one line each."""
    if not AXE.is_file():
        missing(f"axe-core missing at {AXE}: run scripts/install-assets.sh (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("([sel, tags]) => axe.run(document.querySelector(sel), "
                           "{runOnly: {type: 'tag', values: tags}})", [selector, WCAG_TAGS])
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]]


# What must never be the text people read (codes may follow a name as secondary text: see SECONDARY).
RAW = {
    "ESCO URI": re.compile(r"https?://data\.europa\.eu/esco/\S+"),
    "audit actor": re.compile(r"\buser:\d+\b"),
    "number for a name": re.compile(r"(?<![\w&])#\d+\b"),
    "numbered letter": re.compile(r"Lettera di impegno \d+\b"),
    "course source key": re.compile(r"\b\d{11}\|[A-Z0-9-]+"),
    "territory code": re.compile(r"\bIT[C-I]\d[0-9A-Z]?\b"),
}
# Secondary text: codes beside names, and the audit log's stored change (data for auditors, folded by default).
SECONDARY = ".code-secondary, .picker-code, code, .visually-hidden, details > pre"


def raw_identifiers(page: Any) -> list[str]:
    """Raw identifiers in the page's main text (secondary code spans left out)."""
    text = page.evaluate("""(secondary) => {
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll(secondary).forEach(e => e.remove());
        main.querySelectorAll('input, select, textarea, script, style').forEach(e => e.remove());
        return main.innerText; }""", SECONDARY)
    return [f"{what}: {m.group(0)}" for what, rx in RAW.items() for m in rx.finditer(text)]
