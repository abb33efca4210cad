"""What the exchange costs and gives: change capture during a catalogue ingest, feed reads, vouchers.

    .venv/bin/python bench/exchange_feeds.py [--courses 2000] [--taxonomy-db regia.db]

1. The demo catalogue (``--courses``, with Fondimpresa's re-publications) is ingested into two copies of a
   database holding the imported taxonomy: first without the exchange's capture (its events are not
   installed in this process yet), then with it — the difference is what logging every course and edition
   in the writer's transaction costs.
2. The whole courses feed is read through the API (in-process, a registered client with a voucher) in pages
   of 1000: changes per second, bytes per change.
3. Vouchers: client assertions signed (ES256) and exchanged at the token endpoint, per second.

Without ``--taxonomy-db`` the reference data is imported from ``REGIA_REFERENCE_DIR`` first. Each figure is
given as wall time and as this process's CPU time (all its threads): on a shared machine the CPU time is the
one to compare.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def _copy(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(str(src)), sqlite3.connect(str(dst))
    a.backup(b)
    a.close()
    b.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--taxonomy-db", type=Path)
    parser.add_argument("--vouchers", type=int, default=200)
    args = parser.parse_args()

    from regia.catalog import demo_data
    from regia.catalog.ingest import ingest_file
    from regia.config import get_settings
    from regia.db import make_engine, migrate

    work = Path(tempfile.mkdtemp(prefix="regia-bench-exchange-"))
    try:
        base = work / "taxonomy.db"
        if args.taxonomy_db:
            _copy(args.taxonomy_db, base)
            migrate(make_engine(f"sqlite:///{base}"))
        else:
            from regia.taxonomy.importer import import_reference

            engine = make_engine(f"sqlite:///{base}")
            import_reference(engine, get_settings().reference_dir)
            engine.dispose()
        files = demo_data.generate(make_engine(f"sqlite:///{base}"), work / "files", courses=args.courses)

        timings = {}
        for label in ("without capture", "with capture"):
            db = work / f"{label.replace(' ', '_')}.db"
            _copy(base, db)
            engine = make_engine(f"sqlite:///{db}")
            if label == "with capture":
                from regia.exchange import capture

                capture.install()
            t0, c0 = time.perf_counter(), time.process_time()
            read = 0
            for path, source in files:
                read += ingest_file(engine, path, source=source).read
            wall, timings[label] = time.perf_counter() - t0, time.process_time() - c0
            print(f"ingest {label:16}: {read} records in {wall:.2f} s wall, {timings[label]:.2f} s CPU "
                  f"({read / timings[label]:.0f} records per CPU second)")
        overhead = timings["with capture"] / timings["without capture"] - 1
        print(f"capture overhead (CPU): {overhead:+.0%}")

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from fastapi.testclient import TestClient
        from sqlalchemy import func, select

        from regia.auth.principal import cli_principal
        from regia.db import session_factory, session_scope
        from regia.exchange import service
        from regia.exchange.gate import RateLimiter
        from regia.exchange.models import Change
        from regia.web.app import create_app
        from support.exchange_client import ClientSystem, ExchangeClient, new_key, public_jwks
        from support.exchange_world import settings as exchange_settings

        with session_factory(engine)() as session:
            logged = session.scalar(select(func.count(Change.seq))) or 0
        print(f"changes logged: {logged}")
        key = new_key("bench-1")
        with session_scope(engine) as session:
            row = service.register_client(session, actor=cli_principal("bench"), name="Bench",
                                          jwks=public_jwks(key), purposes=["catalog-sync"])
            system = ClientSystem(row.client_id, key, {g.purpose: g.purpose_id for g in row.grants})

        app = create_app(engine=engine)
        app.state.exchange_settings = exchange_settings(rate_limit=10**9, anonymous_rate_limit=10**9)
        app.state.exchange_limiter = RateLimiter(60)
        http = TestClient(app)
        client = ExchangeClient(http, system)
        copy: dict[str, object] = {}
        t0, c0 = time.perf_counter(), time.process_time()
        _, seen = client.sync("/exchange/v1/catalog/courses/changes", "catalog-sync", copy, limit=1000)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"feed read: {seen} changes in {wall:.2f} s wall, {cpu:.2f} s CPU ({seen / cpu:.0f} changes per CPU "
              f"second), {len(copy)} courses in the copy")

        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.vouchers):
            assert client.request_token(client.assertion("catalog-sync")).status_code == 200
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"vouchers: {args.vouchers} in {wall:.2f} s wall, {cpu:.2f} s CPU ({1000 * cpu / args.vouchers:.1f} ms "
              f"CPU each: assertion signed, verified, jti stored, voucher signed, call audited)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
