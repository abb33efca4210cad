"""What the pacts' browser tests share: logging in through the login page, screenshots, a private copy of the
imported reference data, and the partner rows of the manifestation form."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

from regia.db import make_engine, migrate
from support.accounts import PASSWORD

SCREENSHOTS = Path(os.environ["REGIA_SCREENSHOTS"]) if os.environ.get("REGIA_SCREENSHOTS") else None


def login(page: Any, server: str, email: str, goto: str, *, password: str = PASSWORD) -> None:
    """Sign in as ``email`` (any earlier session dropped) and land on ``goto``."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(f"{server}/login?next={quote(goto)}")
    page.get_by_label("Indirizzo e-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(re.escape(server + goto) + r"(\?.*)?$"))


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in ``$REGIA_SCREENSHOTS`` (when set), for looking at the pages."""
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def copy_of(taxonomy: Engine, directory: Path) -> Engine:
    """A migrated copy of a SQLite database with the imported reference data, that a test may write to."""
    with taxonomy.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    target = directory / "copy.db"
    shutil.copyfile(Path(str(taxonomy.url.database)), target)
    engine = make_engine(f"sqlite:///{target}")
    migrate(engine)
    return engine


def fill_partner(page: Any, prefix: str, partner: tuple[str, str, str], role: str) -> None:
    """One partner row of the manifestation form (``lead`` or ``partners-<i>``): name, tax code, type, role."""
    name, code, kind = partner
    page.locator(f"#{prefix}-name").fill(name)
    page.locator(f"#{prefix}-tax_code").fill(code)
    page.locator(f"#{prefix}-type").select_option(kind)
    page.locator(f"#{prefix}-role").fill(role)


def save_draft(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("#save-proposal").click()
    expect(page.locator("#saved")).to_have_text("Bozza salvata.")


def pick(page: Any, field: str, query: str, option: str | None = None) -> None:
    """Choose in a form's taxonomy picker (``forms.picker``): type ``query`` in its search box and click the
    suggestion containing ``option`` (the first one when None)."""
    from playwright.sync_api import expect

    page.locator(f"#{field}-search").fill(query)
    options = page.locator(f"#{field}-options [role=option][data-value]")
    choice = options.filter(has_text=option) if option else options
    choice.first.click()
    expect(page.locator(f"#{field}-search")).to_have_value("")


def set_codes(page: Any, field: str, *codes: str) -> None:
    """Put codes straight into a picker's field (databases without the taxonomy, where nothing can be found)."""
    page.locator(f"#{field}").evaluate("(e, v) => { e.value = v; }", " ".join(codes))
