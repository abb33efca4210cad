"""Bulk exchange: signed export packages of the resources' current records, and their verified import.

A package is a folder::

    manifest.json          {"format": "regia-exchange-package", "version": 1, "issuer", "created_at", "kid",
                            "resources": [{"name", "file", "format", "records", "bytes", "sha256", "cursor"}]}
    manifest.jws           compact JWS (ES256, the server's key) whose payload is manifest.json, byte for byte
    <resource>.ndjson      one {"id": ..., "data": {...}} per line   (or <resource>.parquet: _key + the fields)

Records are the resources' current state as the change log holds it, read in one snapshot; each resource's
``cursor`` is its feed position at that moment, so that an importer continues with ``?since=cursor``.
:func:`verify` checks the signature with the issuer's public keys (its ``/exchange/v1/.well-known/jwks.json``),
that ``manifest.json`` is the signed payload, and every file's size, SHA-256 and record count; nothing is
imported unless the whole package verifies. :func:`import_package` then hands the records of the e-services
that accept them (the catalogue: courses with their editions) to their importer — idempotent by natural key,
so importing a package twice stores nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Engine, func, select

from regia.db import session_factory, session_scope
from regia.exchange import feeds, keys
from regia.exchange.models import Change, FeedHead
from regia.exchange.registry import REGISTRY, FeedResource, LoadContext
from regia.exchange.settings import ExchangeSettings
from regia.progress import NoProgress, Progress

FORMAT = "regia-exchange-package"
VERSION = 1
FORMATS = ("ndjson", "parquet")
BATCH = 1000
KEY_COLUMN = "_key"  # Parquet: the record's id beside the record's own fields


class PackageError(ValueError):
    """A package that does not verify: which file and why."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot(session: Any) -> None:
    if session.get_bind().dialect.name == "postgresql":  # one consistent snapshot for the cursors and records
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def current_records(session: Any, resource: FeedResource, upto: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, data) of every record present at position ``upto`` of the resource's log, by id."""
    last = ""
    while True:
        rows = session.execute(
            select(Change.key, Change.data).join(FeedHead, (FeedHead.resource == Change.resource)
                                                 & (FeedHead.seq == Change.seq))
            .where(FeedHead.resource == resource.name, FeedHead.deleted.is_(False), FeedHead.seq <= upto,
                   FeedHead.key > last).order_by(FeedHead.key).limit(BATCH)).all()
        if not rows:
            return
        yield from ((key, data) for key, data in rows)
        last = rows[-1].key


def _write(path: Path, fmt: str, records: Iterator[tuple[str, dict[str, Any]]], progress: Progress) -> int:
    n = 0
    if fmt == "ndjson":
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for key, data in records:
                fh.write(json.dumps({"id": key, "data": data}, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
                progress.advance()
        return n
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for key, data in records:
        rows.append({KEY_COLUMN: key, **data})
        n += 1
        progress.advance()
    pq.write_table(pa.Table.from_pylist(rows) if rows else pa.table({KEY_COLUMN: pa.array([], pa.string())}), path)
    return n


def export_package(engine: Engine, settings: ExchangeSettings, folder: Path, *, resources: list[str] | None = None,
                   fmt: str = "ndjson", progress: Progress | None = None, figures: Any = None) -> dict[str, Any]:
    """Writes a signed package of the resources (all of them by default); returns its manifest."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    progress = progress or NoProgress()
    chosen = [REGISTRY.resource(name) for name in resources] if resources else REGISTRY.resources()
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:  # start the logs that were never read
        ctx = LoadContext(session=session, engine=engine, figures=figures)
        for resource in chosen:
            if not resource.computed or figures is not None:
                feeds.initialise(session, resource, ctx)
    entries = []
    with session_factory(engine)() as session:
        snapshot(session)
        for resource in chosen:
            upto = session.scalar(select(func.max(Change.seq)).where(Change.resource == resource.name)) or 0
            total = session.scalar(select(func.count()).select_from(FeedHead).where(
                FeedHead.resource == resource.name, FeedHead.deleted.is_(False), FeedHead.seq <= upto)) or 0
            progress.start(resource.name, total)
            path = folder / f"{resource.name}.{fmt}"
            count = _write(path, fmt, current_records(session, resource, upto), progress)
            entries.append({"name": resource.name, "file": path.name, "format": fmt, "records": count,
                            "bytes": path.stat().st_size, "sha256": sha256_file(path),
                            "cursor": feeds.encode_cursor(resource.name, upto)})
    key = keys.server_key(settings)
    manifest = {"format": FORMAT, "version": VERSION, "issuer": settings.issuer, "kid": key.kid,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "resources": entries}
    raw = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    (folder / "manifest.json").write_bytes(raw)
    signed = jws.serialize_compact({"alg": keys.SERVER_ALG, "kid": key.kid, "typ": "regia-manifest+jws",
                                    "cty": "application/json"}, raw, key, algorithms=[keys.SERVER_ALG])
    (folder / "manifest.jws").write_text(signed + "\n", encoding="ascii")
    return manifest


@dataclass
class Verified:
    folder: Path
    manifest: dict[str, Any]
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def records(self, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        entry = self.resources[name]
        path = self.folder / entry["file"]
        if entry["format"] == "ndjson":
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    yield row["id"], row["data"]
            return
        import pyarrow.parquet as pq

        for row in pq.read_table(path).to_pylist():
            key = row.pop(KEY_COLUMN)
            yield key, row


def _count(path: Path, fmt: str) -> int:
    if fmt == "ndjson":
        n = 0
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise PackageError(path.name, f"line {number} is not JSON ({exc.msg})") from None
                if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("data"), dict):
                    raise PackageError(path.name, f"line {number} is not an {{id, data}} record")
                n += 1
        return n
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def verify(folder: Path, issuer_keys: KeySet) -> Verified:
    """The package's manifest, after checking its signature and every file (raises :class:`PackageError`)."""
    for name in ("manifest.json", "manifest.jws"):
        if not (folder / name).is_file():
            raise PackageError(name, "missing")
    raw = (folder / "manifest.json").read_bytes()
    signed = (folder / "manifest.jws").read_text(encoding="ascii").strip()
    try:
        header = jws.extract_compact(signed.encode()).headers()
        if header.get("alg") != keys.SERVER_ALG:
            raise PackageError("manifest.jws", f"algorithm {header.get('alg')!r} is not {keys.SERVER_ALG}")
        obj = jws.deserialize_compact(signed, issuer_keys, algorithms=[keys.SERVER_ALG])
    except PackageError:
        raise
    except JoseError as exc:
        raise PackageError("manifest.jws", f"the signature does not verify with the issuer's keys ({exc.error})") \
            from None
    except ValueError as exc:
        raise PackageError("manifest.jws", f"not a compact JWS ({exc})") from None
    if obj.payload != raw:
        raise PackageError("manifest.json", "differs from the signed manifest (manifest.jws)")
    manifest = json.loads(raw)
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise PackageError("manifest.json", f"not a {FORMAT} version {VERSION}")
    out = Verified(folder, manifest)
    for entry in manifest.get("resources", []):
        name = str(entry.get("file", ""))
        path = folder / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            raise PackageError(name or "?", "missing (or not a file of the package)")
        if path.stat().st_size != entry.get("bytes"):
            raise PackageError(name, f"{path.stat().st_size} bytes, the manifest says {entry.get('bytes')}")
        if sha256_file(path) != entry.get("sha256"):
            raise PackageError(name, "SHA-256 differs from the manifest's (changed after signing)")
        if entry.get("format") not in FORMATS:
            raise PackageError(name, f"unknown format {entry.get('format')!r}")
        if (count := _count(path, entry["format"])) != entry.get("records"):
            raise PackageError(name, f"{count} records, the manifest says {entry.get('records')}")
        out.resources[str(entry["name"])] = entry
    return out


def import_package(engine: Engine, package: Verified, *, tagger: Any = None) -> dict[str, Any]:
    """Hands the verified records to the importers of their e-services; counts per e-service."""
    results: dict[str, Any] = {}
    source = f"package:{package.manifest.get('issuer', '?')}"[:120]
    for eservice in REGISTRY.eservices.values():
        names = [r.name for r in eservice.resources if r.name in package.resources]
        if not names:
            continue
        if eservice.importer is None:
            results[eservice.name] = {"verified": names, "imported": False}
            continue
        records = {name: package.records(name) for name in names}
        results[eservice.name] = {"verified": names, "imported": True,
                                  **eservice.importer(engine, records, source=source, tagger=tagger)}
    return results
