"""Load test of the catalogue search API: N concurrent clients on loopback, p50/p95/p99 latency and rps.

    python bench/catalog_search_load.py --url http://127.0.0.1:8765 --concurrency 100 --duration 30

Closed loop: each of the ``--concurrency`` clients sends its next request as soon as the previous answer
arrived (no think time), over its own keep-alive HTTP/1.1 connection, so the figure is the worst case for a
given concurrency. Requests cycle through a mix of realistic searches (Italian words, provinces, targets,
modality, funding, occupation, pages) - ``--distinct`` of them, shuffled per client. The client is a minimal
asyncio HTTP/1.1 reader (a general-purpose client would cost more CPU than the server on a 2-core machine).

``--serve DB_URL`` starts ``uvicorn regia.web.app:create_app`` on the URL's port first (``--workers``), waits
for the search index to be warm, and stops it at the end. ``--generator wrk`` sends the same mix with wrk (the
C load generator, Debian package ``wrk``; script ``catalog_search_wrk.lua``), which needs ~3x less CPU per
request than the Python client (12 vs 35 us). Results are printed as JSON, with each party's share of the machine's CPU
during the run (``cpu_share``: generator, server, whole machine busy; the rest is other jobs).

The server's answer cache starts empty at each ``--serve`` (the first request of each distinct query in each
worker is a full search), so the figures include the warm-up. With 2,000 distinct queries the cache (4,096
answers per worker) holds them all after warm-up; ``--distinct 20000`` or ``REGIA_CATALOG_SEARCH_CACHE=0``
measure a long tail of rarer queries.

    python bench/catalog_search_load.py --serve sqlite:////tmp/cat100k.db --concurrency 100 --workers 2 \
        --duration 20 --generator wrk        # or --generator python

Measured on this project's 2-core development machine, shared with other jobs; 100,000-course demo
catalogue (`regia taxonomy import` then `regia demo-data courses --courses 100000`); SQLite; 2 uvicorn
workers with httptools/uvloop; 2,000 distinct queries; concurrency 100; 20 s per run.

Before (2026-11, commit 4ef3870), as first recorded with the Python client:

=========== =========== ====== ======= ======= ======= ==========================================
engine      concurrency rps    p50 ms  p95 ms  p99 ms  note
=========== =========== ====== ======= ======= ======= ==========================================
SQLite      1           801    0.8     3.2     6.9     service time of one request
SQLite      10          1,348  4.8     18.2    39.8
SQLite      100         1,286  52.0    211.5   316.5   load average 2.3
SQLite      100         948    21.4    363.8   444.1   load average 4.1
PostgreSQL  100         997    63.0    428.3   941.7   before the GC freeze, load average 2.6
PostgreSQL  100         757    106.2   304.5   396.6   load average 4.2
=========== =========== ====== ======= ======= ======= ==========================================

2026-11-22, before (commit 4ef3870) and after the per-request savings below, alternated in the same session;
the machine shared with other jobs (cpu: shares of both cores taken by the generator / the server / the rest;
"warm-up 10": the same load sent for 10 s first and not counted, so the answer cache holds the mix):

======= ========= ========== ====== ====== ======= ======= ===================== ====
code    generator distinct   warm s rps    p50 ms  p95 ms  p99 ms  cpu gen/srv/rest  load
======= ========= ========== ====== ====== ======= ======= ===================== ====
before  wrk       2,000      0      914    94.2    275.5   618.3   0.02/0.62/0.36    3.9
before  wrk       2,000      10     1,242  73.2    172.1   220.9   0.02/0.64/0.34    4.0
after   wrk       2,000      0      10,248 7.9     272.7   1,971   0.07/0.51/0.42    3.6
after   wrk       2,000      10     13,747 6.8     13.3    16.8    0.08/0.42/0.50    3.3
after   python    2,000      10     10,986 8.1     22.0    39.1    0.19/0.31/0.50    3.5
after   python    2,000      0      7,216  8.2     41.8    129.3   0.13/0.39/0.48    3.6
after   wrk       20,000     0      718    118.3   519.0   1,520   0.02/0.64/0.34    4.0
before  python    2,000      0      2,283  34.8    91.4    116.7   0.07/0.92/0.01    1.6
after   python    2,000      0      7,581  8.2     36.0    96.0    0.16/0.71/0.13    2.4
after+t wrk       2,000      0      8,991  7.9     195.4   346.6   0.06/0.50/0.44    4.1
after   wrk       20,000     0      635    133.4   521.7   806.1   0.02/0.55/0.43    6.6
after+t wrk       20,000     0      556    167.1   342.9   469.1   0.01/0.67/0.32    5.8
after+t wrk       2,000      10     13,523 6.2     32.0    69.4    0.08/0.47/0.45    3.8
after+t wrk       2,000      10     17,771 4.5     17.6    39.8    0.11/0.52/0.37    3.7
after+t python    2,000      10     32,638 3.1     4.3     5.9     0.25/0.73/0.02    4.2
======= ========= ========== ====== ====== ======= ======= ===================== ====

"after+t": uncached searches run in the thread pool (numpy releases the interpreter lock, so a worker keeps
sending cached answers while one is computed): ~12 % fewer uncached answers per second, but p95 and p99
a third lower while the cache fills and for the long tail; kept.

(Runs at load average 6-12, when other jobs took 60-80 % of the CPU, gave before 115-330 rps and p95
0.7-1.9 s, after 1,600-6,400 rps and p95 0.2-1 s: no figure there says anything about the code.)

The savings, per cached answer (in process, ASGI call without the HTTP server): 470 us -> 17 us. (1) The
public route no longer opens a database session to find that an anonymous caller is anonymous (resolving
the principal cost ~250 us, mostly SQLAlchemy's per-Session event set-up). (2) The language middleware is
plain ASGI instead of ``@app.middleware("http")``. (3) The catalogue's router is matched first: FastAPI 0.165
walks included routers one by one (~5 us per route passed; the search was behind ~60 routes). (4) A search
served by the index alone opens no session. (5) Repeated anonymous searches are answered from the answer
cache by ``CachedSearchAnswers``, an ASGI middleware in front of the router (behind the security headers and
the size limit), ~100 us -> 17 us. (6) Text scoring adds the postings of common words into dense arrays
instead of sorting them (same scores; 2-5x faster for queries such as "sicurezza informatica").

Reading: the target (p95 <= 50 ms at 100 concurrent requests, 100,000 courses) is met once the answer cache
holds the mix's queries: p95 13-32 ms with wrk (13,500-17,800 req/s), 4-22 ms with the Python client,
with other jobs taking up to half the CPU. It is not met while a fresh server fills its cache (the first
answer of each of the 2,000 queries in each worker is a full search of 1-5 ms; p95 over the first 20 s
195-273 ms with wrk, 42 ms with the slower Python client), nor for a long tail of rarer queries (20,000
distinct, mostly uncached: 556-718 rps, p95 343-522 ms): there the full search's own cost per request is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlparse

WORDS = ["saldatura", "carrello elevatore", "excel", "cnc", "magazzino", "logistica", "elettricista", "cucina",
         "haccp", "contabilità", "python", "marketing digitale", "sicurezza informatica", "fotovoltaico",
         "manutenzione", "acconciatore", "muratore", "vendita", "oss", "disegno cad", "idraulico", "web",
         "welding", "programmazione", "automazione plc", "energia", "pulizie", "bilancio", ""]
PROVINCES = ["", "", "BS", "BG", "MI", "LC", "VA", "CO", "SO", "PV", "CR", "MN", "LO", "MB"]
TARGETS = ["", "", "disoccupati", "occupati", "sospesi", "studenti", "apprendisti", "stranieri"]
MODALITIES = ["", "", "", "presenza", "online", "blended"]
FUNDING = ["", "", "", "regione", "fse+", "fondo", "impresa"]
OCCUPATIONS = ["http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b",
               "http://data.europa.eu/esco/occupation/5c082067-ea18-4ccb-8c43-e70b18ad8120"]


def query_mix(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    paths = []
    for _ in range(n):
        params: list[tuple[str, str]] = []
        if word := rng.choice(WORDS):
            params.append(("q", word))
        for name, values in (("province", PROVINCES), ("target", TARGETS), ("modality", MODALITIES),
                             ("funding", FUNDING)):
            if value := rng.choice(values):
                params.append((name, value))
        if rng.random() < 0.05:
            params.append(("occupation", rng.choice(OCCUPATIONS)))
        if rng.random() < 0.15:
            params.append(("page", str(rng.randint(2, 4))))
        paths.append("/api/catalog/courses?" + urlencode(params))
    return paths


async def client(host: str, port: int, paths: list[str], stop_at: float, latencies: list[float],
                 errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            chunked = False
            for line in head.split(b"\r\n"):
                key, _, value = line.partition(b":")
                if key.lower() == b"content-length":
                    length = int(value)
                elif key.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"{status} {path}")
    finally:
        writer.close()


async def run(url: str, concurrency: int, duration: float, distinct: int) -> dict[str, object]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    mix = query_mix(distinct)
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    stop_at = started + duration
    tasks = []
    for c in range(concurrency):
        paths = mix[:]
        random.Random(c).shuffle(paths)
        tasks.append(client(host, port, paths, stop_at, latencies, errors))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "concurrency": concurrency, "seconds": round(elapsed, 1), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "distinct_queries": distinct}


def run_wrk(url: str, concurrency: int, duration: float, distinct: int, threads: int) -> dict[str, object]:
    """The same query mix sent by wrk (a C load generator: far less CPU per request than any Python client),
    through ``catalog_search_wrk.lua``."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found (Debian: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(query_mix(distinct)) + "\n")
    try:
        out = subprocess.run([wrk, "-t", str(threads), "-c", str(concurrency), "-d", f"{duration:.0f}s",
                              "--timeout", "10s", "-s", str(Path(__file__).with_name("catalog_search_wrk.lua")),
                              url.rstrip("/")], env={**os.environ, "REGIA_BENCH_PATHS": f.name},
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result.update(concurrency=concurrency, distinct_queries=distinct, generator=f"wrk -t{threads}")
    return result


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _server_pids(proc: subprocess.Popen[bytes] | None) -> list[int]:
    if proc is None:
        return []
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [proc.pid] + [int(p) for p in children.read_text().split()] if children.exists() else [proc.pid]


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


def serve(db_url: str, url: str, workers: int) -> subprocess.Popen[bytes]:
    parsed = urlparse(url)
    env = {**os.environ, "REGIA_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "regia.web.app:create_app", "--factory",
                             "--host", parsed.hostname or "127.0.0.1", "--port", str(parsed.port),
                             "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env=env)
    deadline = time.monotonic() + 600
    warm = 0
    while time.monotonic() < deadline:  # wait until every worker answered a search (index built)
        try:
            with urllib.request.urlopen(f"{url}/api/catalog/courses?q=saldatura", timeout=120) as r:
                if r.status == 200:
                    warm += 1
                    if warm >= workers * 4:
                        return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--distinct", type=int, default=2000, help="distinct queries in the mix")
    parser.add_argument("--serve", metavar="DB_URL", help="start the app on --url's port with this database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generator", choices=["python", "wrk"], default="python",
                        help="python: the asyncio client here; wrk: the C load generator with the same mix")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="seconds of the same load sent first and not counted (0: the figures include the "
                             "server's warm-up, the first answer of each distinct query)")
    args = parser.parse_args()
    proc = serve(args.serve, args.url, args.workers) if args.serve else None
    try:
        if args.warmup > 0:
            asyncio.run(run(args.url, args.concurrency, args.warmup, args.distinct))
        server = _server_pids(proc)
        server_cpu0, (busy0, total0) = _cpu_seconds(server), _machine_busy()
        own0, children0 = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
        if args.generator == "wrk":
            result = run_wrk(args.url, args.concurrency, args.duration, args.distinct, args.threads)
        else:
            result = asyncio.run(run(args.url, args.concurrency, args.duration, args.distinct))
            result["generator"] = "python asyncio (one process)"
        own1, children1 = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
        busy1, total1 = _machine_busy()
        elapsed_cpu = total1 - total0  # CPU-seconds available on all cores during the run
        generator_cpu = (own1.user + own1.system - own0.user - own0.system) if args.generator == "python" else \
            (children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime)
        result["cpu_share"] = {  # of all cores' time during the run
            "generator": round(generator_cpu / elapsed_cpu, 3),
            "server": round((_cpu_seconds(server) - server_cpu0) / elapsed_cpu, 3) if server else None,
            "machine_busy": round((busy1 - busy0) / elapsed_cpu, 3), "cores": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2)}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    result["warmup_seconds"] = args.warmup
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
