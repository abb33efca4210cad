"""The e-service registry: what the exchange offers, to whom (purposes) and how each resource's change feed is
kept. A domain joins by adding one module to :mod:`regia.exchange.eservices` that builds an :class:`EService`.

- A :class:`Purpose` (*finalità*) names the operations a client may use for it: ``reads`` and ``writes`` are
  operation names (a feed resource's name, ``"catalog.courses"``, or another route's). A purpose whose data are
  about persons may require their **consent**: records of a person who has not given it are withheld from the
  client, and reading one directly is refused.
- A :class:`FeedResource` is a kind of record with a change feed. ``load(ctx, keys)`` gives the current
  representation of the records (all of them when ``keys`` is None; a key missing from the answer is a record
  that no longer exists, or is not public). With ``tracked`` models, changes are captured by ORM events in the
  writer's transaction (:mod:`regia.exchange.capture`); without, the resource is *computed* (figures) and its
  log is refreshed by comparing the current figures with the last logged ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str  # message key (Italian and English in the exchange catalogue)
    description: str  # message key
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    person_level: bool = False  # the data are about identifiable persons
    consent: bool = False  # ... and the person's consent is needed (records without it are withheld)

    def allows(self, operation: str, write: bool) -> bool:
        return operation in (self.writes if write else self.reads)


@dataclass(frozen=True)
class Tracked:
    """A table whose rows make up records of a resource: ``attr`` holds the record's key (a course's id on
    the course, ``course_id`` on its skills), or a value that ``resolve`` turns into record keys."""

    model: type[Any]
    attr: str
    resolve: Callable[[Session, set[Any]], set[str]] | None = None


@dataclass
class LoadContext:
    """What a resource's ``load`` may use: the session of the transaction (stored resources read what it has
    flushed) and, for computed resources, the engine and the analytics provider the faces hand over."""

    session: Session
    engine: Engine | None = None
    figures: Any = None  # regia.exchange.eservices.needs.Figures, when the app or CLI provides one


@dataclass(frozen=True)
class FeedResource:
    name: str  # "catalog.courses": also the operation name purposes grant
    path: str  # "/catalog/courses", under /exchange/v1: the feed is at <path>/changes, a record at <path>/{id}
    title: str  # English, for the OpenAPI document
    schema: type[BaseModel]  # the shape of ``data``
    load: Callable[[LoadContext, list[str] | None], dict[str, dict[str, Any]]]
    tracked: tuple[Tracked, ...] = ()
    subjects: Callable[[dict[str, Any]], list[str]] | None = None  # pseudonyms of the persons a record is about
    example: dict[str, Any] = field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return not self.tracked


@dataclass
class EService:
    name: str  # "catalog"
    title: str
    description: str
    resources: tuple[FeedResource, ...] = ()
    purposes: tuple[Purpose, ...] = ()
    router: APIRouter | None = None  # other operations, paths under /exchange/v1 (declared with client_call)
    # takes the records of a verified bulk package (resource name -> (id, data) records) into the domain,
    # idempotently; None: the e-service's data are published by Regia only (packages of them are verified)
    importer: Callable[..., dict[str, Any]] | None = None


@dataclass
class Registry:
    eservices: dict[str, EService] = field(default_factory=dict)

    def add(self, eservice: EService) -> EService:
        if eservice.name in self.eservices:
            raise ValueError(f"e-service {eservice.name!r} registered twice")
        taken = {p.code for p in self.purposes()} & {p.code for p in eservice.purposes}
        if taken:
            raise ValueError(f"purposes defined twice: {sorted(taken)}")
        self.eservices[eservice.name] = eservice
        return eservice

    def resources(self) -> list[FeedResource]:
        return [r for e in self.eservices.values() for r in e.resources]

    def resource(self, name: str) -> FeedResource:
        for r in self.resources():
            if r.name == name:
                return r
        raise KeyError(name)

    def purposes(self) -> list[Purpose]:
        return [p for e in self.eservices.values() for p in e.purposes]

    def purpose(self, code: str) -> Purpose | None:
        return next((p for p in self.purposes() if p.code == code), None)

    def tracked(self) -> Iterable[tuple[FeedResource, Tracked]]:
        for r in self.resources():
            for t in r.tracked:
                yield r, t


REGISTRY = Registry()
