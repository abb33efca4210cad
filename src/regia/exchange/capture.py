"""Capturing the domains' changes into the feeds, in the writer's own transaction, without the domains
knowing: SQLAlchemy session events registered here on every :class:`Session`.

- ``after_flush``: the objects the unit of work inserted, changed or deleted, of the models a resource tracks
  (:class:`regia.exchange.registry.Tracked`), give the keys of the records touched;
- ``do_orm_execute``: statements that bypass the unit of work — ORM bulk ``insert(Model)`` with a list of
  rows (as ``regia.catalog.ingest`` writes new courses and their skills), ``update(Model)`` and
  ``delete(Model)`` — give them too: from the statement's parameters, from its ``RETURNING`` rows, or by
  selecting the rows its ``WHERE`` matches before it runs;
- ``before_commit``: the session is flushed, each touched record is loaded as the resource represents it
  (what this transaction wrote included) and the changes are appended to the log — in the same transaction,
  so a change and its feed entry commit (or roll back) together.

A statement whose touched keys cannot be known (an insert without the key and without RETURNING) marks the
whole resource for a refresh at commit. Writes that bypass the session altogether (raw SQL, rows removed by a
database ``ON DELETE CASCADE``) are caught by ``regia exchange feeds refresh``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from regia.exchange import feeds
from regia.exchange.registry import REGISTRY, FeedResource, LoadContext, Tracked

log = logging.getLogger(__name__)
INFO_KEY = "regia.exchange.pending"


@dataclass
class Pending:
    values: dict[tuple[str, int], set[Any]] = field(default_factory=lambda: defaultdict(set))
    refresh: set[str] = field(default_factory=set)  # resources whose touched keys are unknown

    def __bool__(self) -> bool:
        return bool(self.values) or bool(self.refresh)


class _Index:
    """Tracked models and tables → (resource, tracked index, Tracked), rebuilt when the registry grows."""

    def __init__(self) -> None:
        self.size = -1
        self.by_class: dict[type, list[tuple[FeedResource, int, Tracked]]] = {}
        self.by_table: dict[str, list[tuple[FeedResource, int, Tracked]]] = {}

    def current(self) -> _Index:
        resources = REGISTRY.resources()
        size = sum(len(r.tracked) for r in resources)
        if size != self.size:
            by_class: dict[type, list[tuple[FeedResource, int, Tracked]]] = defaultdict(list)
            by_table: dict[str, list[tuple[FeedResource, int, Tracked]]] = defaultdict(list)
            for r in resources:
                for i, t in enumerate(r.tracked):
                    by_class[t.model].append((r, i, t))
                    by_table[t.model.__table__.name].append((r, i, t))
            self.by_class, self.by_table, self.size = dict(by_class), dict(by_table), size
        return self


INDEX = _Index()


def _pending(session: Session) -> Pending:
    pending = session.info.get(INFO_KEY)
    if pending is None:
        pending = session.info[INFO_KEY] = Pending()
    return pending


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    index = INDEX.current()
    if not index.by_class:
        return
    pending = None
    for obj in chain(session.new, session.dirty, session.deleted):
        entries = index.by_class.get(type(obj))
        if not entries:
            continue
        state = inspect(obj)
        for resource, i, tracked in entries:
            values = {state.dict.get(tracked.attr)}
            history = state.attrs[tracked.attr].history  # a row moved to another parent touches both
            values.update(history.deleted or ())
            values.discard(None)
            if values:
                pending = pending or _pending(session)
                pending.values[(resource.name, i)].update(values)


def _on_execute(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    entries = INDEX.current().by_table.get(getattr(table, "name", ""), ())
    if not entries:
        return None
    session = state.session
    pending = _pending(session)
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
        missing = []
        for resource, i, tracked in entries:
            if rows and all(row.get(tracked.attr) is not None for row in rows):
                pending.values[(resource.name, i)].update(row[tracked.attr] for row in rows)
            else:
                missing.append((resource, i, tracked))
        if not missing:
            return None
        result = state.invoke_statement()
        if state.statement.returning_column_descriptions:  # type: ignore[attr-defined]
            frozen = result.freeze()
            columns = list(frozen().keys())
            values = frozen().all()
            for resource, i, tracked in missing:
                if tracked.attr in columns:
                    at = columns.index(tracked.attr)
                    pending.values[(resource.name, i)].update(row[at] for row in values if row[at] is not None)
                else:
                    pending.refresh.add(resource.name)
            return frozen()
        for resource, _, _ in missing:
            pending.refresh.add(resource.name)
        return result
    # update / delete: the rows the WHERE clause matches, before the statement changes or removes them
    where = state.statement.whereclause  # type: ignore[attr-defined]
    for resource, i, tracked in entries:
        query = select(table.c[tracked.attr]).distinct()  # type: ignore[union-attr]
        if where is not None:
            query = query.where(where)
        pending.values[(resource.name, i)].update(v for v in session.execute(query).scalars() if v is not None)
    return None


def _keys(session: Session, resource: FeedResource, pending: Pending) -> set[str]:
    keys: set[str] = set()
    for i, tracked in enumerate(resource.tracked):
        values = pending.values.get((resource.name, i))
        if not values:
            continue
        keys |= tracked.resolve(session, values) if tracked.resolve else {str(v) for v in values}
    return keys


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # before_commit comes before the commit's own flush: what it will write, is written now
    pending = session.info.pop(INFO_KEY, None)
    if not pending:
        return
    with session.no_autoflush:
        feeds.lock(session)
        ctx = LoadContext(session=session, engine=session.get_bind())  # type: ignore[arg-type]
        for resource in REGISTRY.resources():
            keys = _keys(session, resource, pending) if resource.name not in pending.refresh else set()
            if not keys and resource.name not in pending.refresh:
                continue
            try:
                if resource.name in pending.refresh:
                    feeds.refresh(session, resource, ctx)
                    continue
                current = {}
                for part in feeds.chunks(sorted(keys)):
                    current.update(resource.load(ctx, part))
                feeds.append(session, resource, current, keys)
            except (KeyError, TypeError, ValueError, AttributeError):
                # A record the resource cannot represent must not fail the domain's own write: the feed is
                # marked for a full refresh at its next read (and the error logged for the operator).
                log.exception("exchange feed %s not updated in this transaction; it will be refreshed", resource.name)
                feeds.forget(session, resource)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(INFO_KEY, None)


_installed = False


def install() -> None:
    """Registers the events on every session (once per process). Imported by the faces that write."""
    global _installed
    if _installed:
        return
    from regia.exchange import eservices

    eservices.load()  # the registry's resources: what to capture
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    _installed = True
