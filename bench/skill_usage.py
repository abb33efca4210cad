"""The ESCO skills most used in Regia's demo data: how the skills of taxonomy/data/skill_labels_it.csv were chosen.

    python bench/skill_usage.py [--n 30000] [--seed 7] [--top 2000]   # REGIA_DATABASE_URL: an imported taxonomy

Score of a skill: the demo postings naming it (``regia demo-data postings``), plus 5 x the weight of each demo
course template whose occupation needs it (+20 once), plus 1,000 for ESCO's transversal collection. Prints
``rank, uri, English label, postings, course weight, flags (T transversal, D digital, G green)``. The labels of
the CSV were chosen on the taxonomy of 2026-12 (before the demo's trend skills were fixed), so a rerun ranks a few
skills differently.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from regia.catalog.demo_data import ESCO, TEMPLATES
from regia.config import get_settings
from regia.db import make_engine, session_factory
from regia.postings import demo_data, reference
from regia.taxonomy.models import ESSENTIAL_SKILL, Concept, Relation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=2000)
    args = parser.parse_args()
    engine = make_engine(get_settings().database_url)
    with tempfile.TemporaryDirectory() as tmp:
        demo_data.generate(engine, Path(tmp), n=args.n, seed=args.seed)
        with (Path(tmp) / "oja-feed" / "skills.csv").open(encoding="utf-8") as fh:
            demand = Counter(r["esco_skill_uri"] for r in csv.DictReader(fh))
    ref = reference.for_engine(engine)
    with session_factory(engine)() as session:
        labels = reference.labels_by_uri(session, "skill", "en")
        occ, skill = Concept.__table__.alias("o"), Concept.__table__.alias("s")
        essential: dict[str, list[str]] = {}
        for o, s in session.execute(select(occ.c.uri, skill.c.uri).select_from(Relation)
                                    .join(occ, occ.c.id == Relation.source_id)
                                    .join(skill, skill.c.id == Relation.target_id)
                                    .where(Relation.type == ESSENTIAL_SKILL)):
            essential.setdefault(o, []).append(s)
    supply: Counter[str] = Counter()
    for t in TEMPLATES:
        for s in essential.get(ESCO + t.occupation, []):
            supply[s] += t.weight
    score: Counter[str] = Counter(demand)
    for u, w in supply.items():
        score[u] += 5 * w + 20
    flags = {u: "".join(c for c, name in (("T", "transversal"), ("D", "digital"), ("G", "green")) if name in f)
             for u, f in ref.collections.items()}
    for u, f in flags.items():
        if "T" in f:
            score[u] += 1000
    ranked = [u for u, _ in score.most_common() if u in labels][: args.top]
    for i, u in enumerate(ranked):
        print(f"{i}\t{u}\t{labels[u]}\t{demand[u]}\t{supply[u]}\t{flags.get(u, '')}")


if __name__ == "__main__":
    main()
