"""The `regia` entry point: `regia classify` runs without importing the other domains' commands."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_PROBE = textwrap.dedent("""
    import sys
    sys.argv = ["regia", *sys.argv[1:]]
    from regia.cli import main
    try:
        main()
    except SystemExit:
        pass
    heavy = sorted(m for m in ("regia.cli.root", "regia.analytics", "regia.monitoring", "regia.web", "scipy.stats")
                   if m in sys.modules)
    print("HEAVY=" + ",".join(heavy))
""")


def _imported(*args: str) -> tuple[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY="))
    return proc.stdout, [m for m in line.removeprefix("HEAVY=").split(",") if m]


def test_classify_is_dispatched_before_the_other_commands_are_imported() -> None:
    out, heavy = _imported("classify", "--help")
    assert "Usage: regia classify" in out and "--top-k" in out
    assert heavy == []


@pytest.mark.parametrize("args", [("--help",), ("taxonomy", "--help")])
def test_every_other_command_still_gets_the_whole_application(args: tuple[str, ...]) -> None:
    out, heavy = _imported(*args)
    assert "regia.cli.root" in heavy
    assert "Usage: regia" in out


def test_the_application_is_still_importable_as_regia_cli_app() -> None:
    from regia.cli import app
    from regia.cli.root import app as whole

    assert app is whole
    with pytest.raises(AttributeError):
        import regia.cli as cli

        cli.no_such_thing  # noqa: B018


def test_demo_postings_on_a_database_without_the_taxonomy_say_what_to_do(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from regia.cli import app
    from regia.config import get_settings
    from regia.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate(make_engine(url))
    monkeypatch.setenv("REGIA_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo-data", "postings", "--n", "50", "-o", str(tmp_path / "out"), "-q"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "import the taxonomy first (regia taxonomy import)" in said and "Traceback" not in said
    assert not isinstance(result.exception, IndexError)
