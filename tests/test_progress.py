"""Progress output: Rich bars on a terminal, plain complete lines in a log (a file, CI)."""

from __future__ import annotations

import io

from rich.console import Console

from regia.progress import RichProgress


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100, color_system=None), out


def test_a_log_gets_plain_lines_with_counts_and_shares() -> None:
    console, out = _console(terminal=False)
    with RichProgress(console, every=0.0) as progress:
        progress.start("postings.csv", 2000)
        for _ in range(4):
            progress.advance(500)
        progress.start("courses.csv", None)
        progress.advance(7)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("postings.csv: 0/2,000 (0%)")
    assert any(line.startswith("postings.csv: 1,000/2,000 (50%)") for line in lines)
    assert any(line.startswith("postings.csv: 2,000/2,000 (100%)") for line in lines)
    assert lines[-1].startswith("courses.csv: 7 ")  # no total: a count only
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()  # no redrawn bar, no escape codes


def test_plain_lines_are_throttled() -> None:
    console, out = _console(terminal=False)
    with RichProgress(console, every=3600.0) as progress:
        progress.start("big.csv", 10_000)
        for _ in range(10_000):
            progress.advance()
    assert len(out.getvalue().splitlines()) == 2  # the start and the end, nothing in between


def test_a_terminal_gets_a_bar_and_disabled_shows_nothing() -> None:
    console, out = _console(terminal=True)
    with RichProgress(console) as progress:
        progress.start("postings.csv", 10)
        progress.advance(10)
    assert "postings.csv" in out.getvalue() and "10/10" in out.getvalue()
    console, out = _console(terminal=False)
    with RichProgress(console, enabled=False) as progress:
        progress.start("postings.csv", 10)
        progress.advance(10)
    assert out.getvalue() == ""
