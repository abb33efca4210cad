"""The e-services of the exchange, one module each; a module registers its :class:`EService` (resources,
purposes, routes) in :data:`regia.exchange.registry.REGISTRY` when imported. To add one: write the module and
name it in :data:`MODULES` (see ``catalog.py`` for a resource captured from its tables, ``needs.py`` for
computed figures)."""

from __future__ import annotations

import importlib

MODULES = ("catalog", "needs", "pacts", "certification", "programming", "outcomes")


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
