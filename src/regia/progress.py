"""Progress of long work: the ``Progress`` protocol that importers report to, and Rich bars for the CLI (plain
progress lines when the output is not a terminal: a CI log or a file, where a redrawn bar is cut into pieces)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as _RichBars


class Progress(Protocol):
    """What long-running work reports: a new named step with its size, then advances."""

    def start(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    """Progress that shows nothing (library use, tests, --json output)."""

    def start(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


class RichProgress:
    """One Rich bar per step, counting items (or bytes with ``unit="bytes"``); a context manager. When the console
    is not a terminal, each step prints plain lines instead (start, every ``every`` seconds, end)."""

    def __init__(self, console: Console | None = None, *, enabled: bool = True, unit: str = "items",
                 every: float = 10.0) -> None:
        columns: tuple[ProgressColumn, ...] = (
            (DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()) if unit == "bytes"
            else (MofNCompleteColumn(), TimeElapsedColumn())
        )
        self._console = console or Console(stderr=True)
        self._plain = enabled and not self._console.is_terminal
        self._progress = _RichBars(
            TextColumn("[bold]{task.description}"), BarColumn(), *columns,
            console=self._console, disable=not enabled or self._plain, transient=False,
        )
        self._task: TaskID | None = None
        self._lines = _PlainLines(self._console, unit=unit, every=every) if self._plain else None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.stop()
        if self._lines is not None:
            self._lines.finish()

    def start(self, name: str, total: int | None) -> None:
        if self._lines is not None:
            self._lines.start(name, total)
            return
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name[-60:], total=total)

    def advance(self, n: int = 1) -> None:
        if self._lines is not None:
            self._lines.advance(n)
        elif self._task is not None:
            self._progress.advance(self._task, n)


class _PlainLines:
    """``name: 1,200/5,000 (24%) 00:12`` lines, at a step's start, at most every ``every`` seconds, and at its end."""

    def __init__(self, console: Console, *, unit: str, every: float) -> None:
        self.console, self.unit, self.every = console, unit, every
        self.name: str | None = None
        self.total: int | None = None
        self.done = 0
        self.started = self.last = 0.0

    def _line(self) -> None:
        elapsed = time.monotonic() - self.started
        done = f"{self.done / 1e6:,.1f} MB" if self.unit == "bytes" else f"{self.done:,}"
        total = "" if not self.total else (f"/{self.total / 1e6:,.1f} MB" if self.unit == "bytes"
                                           else f"/{self.total:,}")
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        minutes, seconds = divmod(int(elapsed), 60)
        self.console.print(f"{self.name}: {done}{total}{share} {minutes:02d}:{seconds:02d}", markup=False,
                           highlight=False, soft_wrap=True)
        self.last = time.monotonic()

    def start(self, name: str, total: int | None) -> None:
        self.finish()
        self.name, self.total, self.done = name, total, 0
        self.started = time.monotonic()
        self._line()

    def advance(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self.last >= self.every:
            self._line()

    def finish(self) -> None:
        if self.name is not None:
            self._line()
            self.name = None
