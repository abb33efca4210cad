"""A world for the monitoring pages: the test accounts (support.accounts), the provider's course in the catalogue
and simulated outcomes (regia.monitoring.simulation) ingested on it, half of the participations financed by
the test Fund (Fondimpresa), the other by the second Fund or public money."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from regia.db import make_engine, migrate
from regia.monitoring import ingest, simulation
from support.accounts import ORGS, World, build_world, publish_course


def build(directory: Path, *, persons: int = 600, seed: int = 5) -> tuple[World, simulation.Manifest]:
    engine: Engine = make_engine(f"sqlite:///{directory / 'outcomes.db'}")
    migrate(engine)
    world = build_world(engine)
    world.courses["provider"] = publish_course(engine, vat=ORGS["provider"][3] or "")
    manifest = simulation.generate(directory / "files", seed=seed, effect=0.1, persons=persons,
                                   course_ids=[world.courses["provider"]])
    for kind, files in manifest.files.items():
        for name in files:
            ingest.ingest_file(engine, Path(name), kind=kind, source=simulation.SOURCE, synthetic=True,
                               settings=world.settings)
    return world, manifest
