"""One linkage run with Splink: register two sources, train the model unsupervised, score the blocked pairs,
cluster. The same code on DuckDB (``engine="local"``, in memory) and on Spark (``engine="spark"``: Splink's
Spark backend, the session of ``regia.batch.engines.spark``).

Clerical decisions (``decisions``: (id_a, id_b) -> match or not) override the model: a pair a reviewer
accepted is a link whatever its score, a pair rejected never is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from regia.linkage import model
from regia.linkage.records import Source, present

ENGINES = ("local", "spark")


@dataclass
class LinkResult:
    kind: str
    pairs: list[tuple[str, str, float]]  # links: at or above the threshold, or accepted by a reviewer
    review: list[dict[str, Any]]  # the uncertain band, undecided: id_a, id_b, probability, match_weight
    clusters: list[tuple[str, str, str]]  # (cluster id, "a"/"b", record id) for every record
    parameters: dict[str, Any]
    counts: dict[str, Any] = field(default_factory=dict)


def spark_conf() -> dict[str, str]:
    """What a Spark session needs for Splink: its similarity functions' jar (Jaro-Winkler ...)."""
    from splink.backends.spark import similarity_jar_location

    return {"spark.jars": similarity_jar_location()}


def _db_api(engine: str, spark: Any = None) -> Any:
    if engine == "local":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        from splink import SparkAPI

        if spark is None:
            raise ValueError("the spark engine needs a Spark session (the CLI starts one: --engine spark)")
        if not spark.sparkContext.getCheckpointDir():  # Splink checkpoints its intermediate tables
            import tempfile

            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="regia-splink-checkpoints-"))
        return SparkAPI(spark_session=spark)
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


def parameters(linker: Any) -> dict[str, Any]:
    """The trained model: prior and, per comparison, each level's m and u probabilities and match weight."""
    settings = linker.misc.save_model_to_json()
    out: dict[str, Any] = {"probability_two_random_records_match":
                           settings.get("probability_two_random_records_match"), "comparisons": []}
    for comparison in settings.get("comparisons", []):
        levels = []
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = None
            if m and u:
                import math

                weight = round(math.log2(m / u), 3)
            levels.append({"level": level.get("label_for_charts") or level.get("sql_condition"),
                           "m": m, "u": u, "match_weight": weight})
        out["comparisons"].append({"name": comparison.get("output_column_name"), "levels": levels})
    return out


def link(kind: str, a: Source, b: Source, *, options: model.Options | None = None, engine: str = "local",
         spark: Any = None, decisions: dict[tuple[str, str], bool] | None = None,
         count_comparisons: bool = True) -> LinkResult:
    from splink import Linker

    options = options or model.Options()
    decisions = decisions or {}
    started = time.perf_counter()
    cols = present([a, b], kind)
    if not a.records or not b.records:
        return LinkResult(kind, [], [], [], {}, {"records_a": len(a.records), "records_b": len(b.records),
                                                 "comparisons": 0, "links": 0, "review": 0, "clusters": 0})
    db = _db_api(engine, spark)
    ta = db.register(a.table(kind), dataset_display_name="a")
    tb = db.register(b.table(kind), dataset_display_name="b")
    if engine == "spark" and options.train_on == "local":
        local = _db_api("local")
        trained_model = _train(kind, local.register(_sample(a, kind, options), dataset_display_name="a"),
                               local.register(_sample(b, kind, options), dataset_display_name="b"), cols, options)
        trained = _with_parameters(kind, cols, trained_model.misc.save_model_to_json())
        linker = Linker([ta, tb], trained, log_level=logging.ERROR)
    else:
        linker = _train(kind, ta, tb, cols, options)
    trained = time.perf_counter()
    low = min(options.review_low, options.threshold)
    predicted = linker.inference.predict(threshold_match_probability=low)
    rows = predicted.as_record_list()
    links: dict[tuple[str, str], float] = {}
    review: list[dict[str, Any]] = []
    for r in rows:
        if r["source_dataset_l"] == "a":
            id_a, id_b = str(r["unique_id_l"]), str(r["unique_id_r"])
        else:
            id_a, id_b = str(r["unique_id_r"]), str(r["unique_id_l"])
        p = float(r["match_probability"])
        decided = decisions.get((id_a, id_b))
        if decided is True or (decided is None and p >= options.threshold):
            links[(id_a, id_b)] = p
        elif decided is None:
            review.append({"id_a": id_a, "id_b": id_b, "probability": p,
                           "match_weight": float(r.get("match_weight") or 0.0)})
    for (id_a, id_b), accepted in decisions.items():  # accepted pairs the blocking did not bring this time
        if accepted and (id_a, id_b) not in links and id_a in a.raw and id_b in b.raw:
            links[(id_a, id_b)] = 1.0
    if options.one_to_one:
        links = one_to_one(links, {k for k, v in decisions.items() if v})
    pairs = sorted((ia, ib, p) for (ia, ib), p in links.items())
    clusters = _clusters(a, b, pairs)
    counts: dict[str, Any] = {"records_a": len(a.records), "records_b": len(b.records), "scored": len(rows),
                              "links": len(pairs), "review": len(review),
                              "clusters": len({c for c, _, _ in clusters}),
                              "linked_clusters": len({c for c, s, _ in clusters if s == "b"} &
                                                     {c for c, s, _ in clusters if s == "a"}),
                              "decisions": len(decisions),
                              "train_seconds": round(trained - started, 2),
                              "seconds": round(time.perf_counter() - started, 2)}
    if count_comparisons:
        from splink.blocking_analysis import count_comparisons_from_blocking_rules

        records = count_comparisons_from_blocking_rules(
            [ta, tb], blocking_rules=model.blocking_rules(kind, cols), link_type="link_only",
            record_sample_proportion=1.0)
        counts["comparisons"] = int(records[-1]["cumulative_comparison_count"]) if records else 0
    return LinkResult(kind, pairs, sorted(review, key=lambda r: -r["probability"]), clusters, parameters(linker),
                      counts)


def _sample(src: Source, kind: str, options: model.Options) -> Any:
    """The source's records, or a random sample of ``train_records`` of them (seeded): training data."""
    table = src.table(kind)
    if table.num_rows <= options.train_records:
        return table
    import random

    rows = sorted(random.Random(options.seed).sample(range(table.num_rows), options.train_records))
    return table.take(rows)


def _with_parameters(kind: str, cols: set[str], trained: dict[str, Any]) -> Any:
    """The model's settings (in no SQL dialect) carrying the parameters trained elsewhere: a DuckDB-trained
    model scores on Spark (its saved JSON holds DuckDB's SQL, which Spark reads otherwise)."""
    settings = model.settings(kind, cols)
    settings.probability_two_random_records_match = trained["probability_two_random_records_match"]
    for comparison, saved in zip(settings.comparisons, trained["comparisons"], strict=True):
        for level, values in zip(comparison.create_comparison_levels(), saved["comparison_levels"], strict=True):
            chosen = {k: values[k] for k in ("m_probability", "u_probability") if values.get(k) is not None}
            if chosen:
                level.configure(**chosen)
    return settings


def _train(kind: str, ta: Any, tb: Any, cols: set[str], options: model.Options) -> Any:
    """A linker over the two registered tables with its model trained unsupervised (see ``model``)."""
    from splink import Linker

    linker = Linker([ta, tb], model.settings(kind, cols), log_level=logging.ERROR)
    training = linker.training
    training.estimate_probability_two_random_records_match(model.deterministic_rules(kind, cols), recall=0.8)
    training.estimate_u_using_random_sampling(max_pairs=options.max_pairs_u, seed=options.seed)
    for rule in model.em_sessions(kind, cols):
        training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=options.em_max_pairs)
    return linker


def one_to_one(links: dict[tuple[str, str], float], keep: set[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Links such that every record is in at most one: the most probable first (reviewers' decisions always)."""
    used_a: set[str] = set()
    used_b: set[str] = set()
    out: dict[tuple[str, str], float] = {}
    for (id_a, id_b), p in sorted(links.items(), key=lambda kv: (kv[0] not in keep, -kv[1], kv[0])):
        if (id_a in used_a or id_b in used_b) and (id_a, id_b) not in keep:
            continue
        out[(id_a, id_b)] = p
        used_a.add(id_a)
        used_b.add(id_b)
    return out


def _clusters(a: Source, b: Source, pairs: list[tuple[str, str, float]]) -> list[tuple[str, str, str]]:
    """Connected components of the links (union-find): every record in one cluster, named by its first member."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for ia, ib, _ in pairs:
        ra, rb = find(("a", ia)), find(("b", ib))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out = []
    for side, src in (("a", a), ("b", b)):
        for rid in src.raw:
            root = find((side, rid))
            out.append((f"{root[0]}:{root[1]}", side, rid))
    return out
