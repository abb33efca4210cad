"""Progress of long work: the ``Progress`` protocol that importers report to, and Rich bars for the CLI."""

from __future__ import annotations

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
    """One Rich bar per step, counting items (or bytes with ``unit="bytes"``); a context manager."""

    def __init__(self, console: Console | None = None, *, enabled: bool = True, unit: str = "items") -> None:
        columns: tuple[ProgressColumn, ...] = (
            (DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()) if unit == "bytes"
            else (MofNCompleteColumn(), TimeElapsedColumn())
        )
        self._progress = _RichBars(
            TextColumn("[bold]{task.description}"), BarColumn(), *columns,
            console=console or Console(stderr=True), disable=not enabled, transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.stop()

    def start(self, name: str, total: int | None) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name[-60:], total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)
