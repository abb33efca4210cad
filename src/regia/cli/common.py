"""Helpers shared by the commands: engine, JSON output, errors."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from regia.config import get_settings
from regia.db import get_engine, migrate

console = Console()
err = Console(stderr=True)


def engine(*, upgrade: bool = True) -> Engine:
    eng = get_engine(get_settings().database_url)
    if upgrade:
        migrate(eng)
    return eng


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)
