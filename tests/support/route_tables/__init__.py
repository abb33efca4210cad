"""Per-domain rows of the route × role table (``tests/test_policy_routes.py``).

A domain whose routes are many keeps its rows in a module here, so that its table sits beside no one else's.
Each module may define:

- ``EXPECTED: dict[(method, path), frozenset[role]]`` — the roles the policy must let through;
- ``VARIANTS: list[(method, path, proposal key, frozenset[role])]`` — the same routes on other rows;
- ``seed(engine, world) -> None`` — add the rows its routes need (ids go into ``world.extra``);
- ``params(world) -> dict[str, str]`` — values of its path parameters;
- ``request_kwargs(method, path, world, role, csrf) -> dict | None`` — the body of a request (None: not mine);
- ``HIDDEN_404: set[(method, path)]`` — routes that answer 404 for rows the role may not read (a denial).

Modules are found by name (every module of this package), so adding one needs no edit elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
