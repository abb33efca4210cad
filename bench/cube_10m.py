"""The demand cube on 10 million posting-skill rows vs a plain DuckDB GROUP BY over the same Parquet file.

    .venv/bin/python bench/cube_10m.py [--rows 10000000] [--repeat 3] [--out /tmp/regia-cube-bench]

Writes one synthetic ``posting_skills`` Parquet file (and the matching ``postings`` file) in Regia's facts
layout, with realistic cardinalities (12 provinces, 21 ATECO sections / 88 divisions, 436 ISCO unit groups,
800 CP2011 units, 13,900 ESCO skills with a Zipf law, 24 months, ~8 skills per posting, 5% near-duplicate
groups), then times in the same process, after a warm-up, the median of ``--repeat`` runs of:

- ``Needs.cube_table`` (Regia's cube: views over the facts, filters, labels-free Arrow result) and
- the floor: the same aggregates written by hand as ``SELECT ... FROM read_parquet(file) GROUP BY ...``.

Both compute ``count(DISTINCT group_id)`` (demand) and ``count(DISTINCT posting_id)`` (ads) and return an
Arrow table. Prints the figures and the ratio (cube / floor); the target is <= 2.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from regia.analytics.needs import Filters, Needs, arrow_table
from regia.db import make_engine, migrate
from regia.postings import facts

PROVINCES = ["ITC41", "ITC42", "ITC43", "ITC44", "ITC46", "ITC47", "ITC48", "ITC49", "ITC4A", "ITC4B", "ITC4C",
             "ITC4D"]
POPULATION = np.array([877, 596, 332, 180, 1104, 1254, 534, 227, 352, 404, 3215, 871], dtype=float)


def _dict(values: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int32)), pa.array(labels))


def generate(out: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    skills_per = 8
    n_postings = rows // skills_per
    sections = [chr(ord("A") + i) for i in range(21)]
    divisions = [f"{i:02d}" for i in range(1, 89)]
    division_section = rng.integers(0, 21, size=88)
    isco = [f"{1000 + i * 19}"[:4] for i in range(436)]
    cp = [f"{1 + i % 8}.{i % 7 + 1}.{i % 5 + 1}.{i % 9 + 1}.{i % 3}" for i in range(800)]
    skills = [f"http://data.europa.eu/esco/skill/{i:08x}-0000-4000-8000-{i:012x}" for i in range(13_900)]
    months = [f"{2024 + (10 + m) // 12}-{(10 + m) % 12 + 1:02d}" for m in range(24)]

    posting = np.arange(1, n_postings + 1, dtype=np.int64)
    group = posting.copy()
    dup = rng.random(n_postings) < 0.05  # near-duplicates join the previous posting's group
    group[1:][dup[1:]] = group[:-1][dup[1:]]
    province = rng.choice(12, size=n_postings, p=POPULATION / POPULATION.sum())
    division = rng.integers(0, 88, size=n_postings)
    occupation = rng.zipf(1.3, size=n_postings) % 436
    cp_code = (occupation * 7 + rng.integers(0, 3, size=n_postings)) % 800
    month = np.minimum(23, (rng.random(n_postings) ** 0.8 * 24).astype(np.int64))

    # postings table (dimensions per posting)
    ptable = pa.table({
        "posting_id": posting, "group_id": group, "synthetic": pa.array(np.ones(n_postings, dtype=bool)),
        "month": _dict(month, months), "nuts3": _dict(province, PROVINCES), "nuts2": pa.array(["ITC4"] * n_postings),
        "ateco_section": _dict(division_section[division], sections), "ateco_division": _dict(division, divisions),
        "isco": _dict(occupation, isco), "cp": _dict(cp_code, cp), "employer_key": pa.array(
            (group % 50_000).astype(str)),
    })
    # posting_skills: skills_per skills per posting, Zipf over 13,900 skills
    idx = np.repeat(np.arange(n_postings), skills_per)
    skill = (rng.zipf(1.15, size=idx.size) - 1) % len(skills)
    flags = rng.random((3, idx.size))
    stable = pa.table({
        "posting_id": posting[idx], "group_id": group[idx], "skill_uri": _dict(skill, skills),
        "origin": _dict(rng.integers(0, 2, size=idx.size), ["source", "regia"]),
        "score": pa.array(rng.random(idx.size).astype(np.float32)),
        "digital": pa.array(flags[0] < 0.2), "green": pa.array(flags[1] < 0.08),
        "transversal": pa.array(flags[2] < 0.1), "synthetic": pa.array(np.ones(idx.size, dtype=bool)),
        "month": _dict(month[idx], months), "nuts3": _dict(province[idx], PROVINCES),
        "nuts2": pa.array(["ITC4"] * idx.size), "ateco_section": _dict(division_section[division][idx], sections),
        "ateco_division": _dict(division[idx], divisions), "isco": _dict(occupation[idx], isco),
        "cp": _dict(cp_code[idx], cp),
    })
    root = out / "facts"
    for name, table in ((facts.POSTINGS, ptable), (facts.SKILLS, stable)):
        (root / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, root / name / facts.batch_name(1, 0), compression="zstd", row_group_size=1 << 20)
    return root, root / facts.SKILLS / facts.batch_name(1, 0)


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    fn()  # warm-up (file metadata, OS cache)
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="regia-cube-bench-"))
    t = time.perf_counter()
    root, skills_file = generate(out, args.rows)
    n = pq.ParquetFile(skills_file).metadata.num_rows
    print(f"generated {n:,} posting-skill rows in {time.perf_counter() - t:.1f}s: {skills_file} "
          f"({skills_file.stat().st_size / 1e6:.0f} MB)")

    engine = make_engine(f"sqlite:///{out / 'empty.db'}")  # an empty taxonomy: the cube needs no labels
    migrate(engine)
    needs = Needs(engine, root, threads=args.threads)
    floor = duckdb.connect()
    floor.execute(f"SET threads = {args.threads}")
    path = str(skills_file).replace("'", "''")
    cases = [
        ("full cube: province x section x isco x skill x month", ["province", "section", "isco", "skill", "month"],
         Filters(), "nuts3, ateco_section, isco, skill_uri, month", "TRUE"),
        ("province x division x cp x skill", ["province", "division", "cp", "skill"], Filters(),
         "nuts3, ateco_division, cp, skill_uri", "TRUE"),
        ("skill x month, Milano, manufacturing (C), from 2025-01", ["skill", "month"],
         Filters(territory="ITC4C", sector="C", start="2025-01"), "skill_uri, month",
         "nuts3 = 'ITC4C' AND ateco_section = 'C' AND month >= '2025-01'"),
    ]
    print(f"DuckDB {duckdb.__version__}, threads={args.threads}, median of {args.repeat} after a warm-up")
    worst = 0.0
    for title, dims, f, cols, where in cases:
        t_cube, cube = timed(lambda dims=dims, f=f: needs.cube_table(f, dims), args.repeat)

        def plain(cols: str = cols, where: str = where) -> Any:
            return arrow_table(floor.sql(
                f"SELECT {cols}, count(DISTINCT group_id) AS postings, count(DISTINCT posting_id) AS ads "
                f"FROM read_parquet('{path}') WHERE {where} GROUP BY {cols}"))

        t_floor, base = timed(plain, args.repeat)
        assert cube.num_rows == base.num_rows, (cube.num_rows, base.num_rows)
        assert pa.compute.sum(cube["ads"]).as_py() == pa.compute.sum(base["ads"]).as_py()
        ratio = t_cube / t_floor
        worst = max(worst, ratio)
        print(f"{title}: {cube.num_rows:,} cells | cube {t_cube:.2f}s | plain GROUP BY {t_floor:.2f}s | "
              f"ratio {ratio:.2f}")
    print(f"worst ratio {worst:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
