"""The linkage models: one Splink settings object per kind (persons, firms), the same on DuckDB and on Spark.

**Persons** - comparisons (each level in decreasing agreement; a missing value is a null level, no evidence):

- ``cognome``, ``nome``: exact (term-frequency adjusted: ROSSI says less than VISMARA), the other field's
  value (name and surname swapped), a shared token (double surnames, second names), Jaro-Winkler >= 0.94,
  >= 0.85;
- ``data di nascita``: exact, one or two digits off (typos), day and month exchanged, same year and month,
  same year;
- ``sesso``; ``comune di nascita`` (cadastral code, else the name: exact, Jaro-Winkler >= 0.9);
- ``codice fiscale``: exact, the same first fifteen characters (a wrong check character), the same code once
  omocodia letters are read as digits (an omocodic variant - or a homonym: the model learns which it usually
  is), one or two characters off;
- ``indirizzo`` (exact, Jaro-Winkler >= 0.9, >= 0.7) and ``residenza`` (CAP and comune).

Blocking rules (pairs compared; OR-ed, each pair once): the codice fiscale's first fifteen characters read
without omocodia; birth date and the surname's first three letters; birth date and the name's initial;
surname and name; surname and name swapped; the sorted name tokens (swaps, double surnames); birth date and
comune of birth; surname, the name's initial and the birth year. Each rule is an equality join, so the
comparisons grow with the records (``bench/linkage_scale.py`` measures them at 1M x 1M).

Training is unsupervised: the probability that two records match is estimated from near-certain rules
(recall 0.8), the u probabilities from random pairs, the m probabilities by expectation maximisation in two
sessions (pairs with the same birth date, pairs with the same name and surname) so that every comparison is
trained on pairs that its own evidence did not select.

**Firms**: ragione sociale (legal form removed: exact, a shared word, Jaro-Winkler >= 0.95, >= 0.88), tax ids
(P.IVA and codice fiscale, either way round), ATECO (code, group, division), address, CAP and comune. Blocking:
each tax id pairing, the name, the name's first word and the CAP, the name's first word and the comune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PERSON_BLOCKING = (
    ("cf_base",), ("dob8", "cognome3"), ("dob8", "nome1"), ("cognome", "nome"), "SWAPPED", ("full_name",),
    ("dob8", "belfiore"), ("cognome", "nome1", "dob_year"),
)
FIRM_BLOCKING = (
    ("partita_iva",), ("codice_fiscale",), "PIVA_CF", "CF_PIVA", ("name_key",), ("name1", "cap"),
    ("name1", "comune"),
)


@dataclass(frozen=True)
class Options:
    """How a run trains and predicts (the defaults are the ones tuned on the Italian development set)."""

    threshold: float = 0.9  # pairs at or above are links
    review_low: float = 0.3  # [review_low, threshold): the uncertain band, sent to clerical review
    max_pairs_u: float = 2e6  # random pairs for the u probabilities
    seed: int = 42
    em_max_pairs: float | None = 2e6  # pairs per EM session (sampled beyond)
    # Each record of one source is at most one person of the other (two registers without duplicates): of a
    # record's candidate links only its best is kept (greedy by probability), e.g. one of two homonyms.
    one_to_one: bool = True
    # On Spark the model is trained with DuckDB on a sample of each source (at most ``train_records`` records),
    # then scores every pair on Spark: training is a sequence of small queries that a cluster runs slowly,
    # scoring is the big join. ``train_on="spark"`` trains on Spark, on everything.
    train_on: str = "local"
    train_records: int = 500_000
    extra: dict[str, Any] = field(default_factory=dict)


def _cll() -> Any:
    import splink.comparison_level_library as cll

    return cll


def _name_comparison(col: str, other: str, tokens: str, label: str) -> Any:
    import splink.comparison_library as cl

    cll = _cll()
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=label,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ExactMatchLevel(col, term_frequency_adjustments=True),
            cll.ColumnsReversedLevel(col, other).configure(label_for_charts=f"{col} = the other's {other}"),
            cll.ArrayIntersectLevel(tokens, min_intersection=1).configure(label_for_charts="a token in common"),
            cll.JaroWinklerLevel(col, 0.94),
            cll.JaroWinklerLevel(col, 0.85),
            cll.ElseLevel(),
        ],
    )


def _comparison(col: str, label: str, levels: list[Any]) -> Any:
    import splink.comparison_library as cl

    cll = _cll()
    return cl.CustomComparison(output_column_name=col, comparison_description=label,
                               comparison_levels=[cll.NullLevel(col), *levels, cll.ElseLevel()])


def _place_comparisons(present: set[str], label: str) -> list[Any]:
    """Address (exact, Jaro-Winkler >= 0.9, >= 0.7) and place (CAP and comune, comune, CAP), where present."""
    cll = _cll()
    out = []
    if "indirizzo" in present:
        out.append(_comparison("indirizzo", "indirizzo", [
            cll.ExactMatchLevel("indirizzo"), cll.JaroWinklerLevel("indirizzo", 0.9),
            cll.JaroWinklerLevel("indirizzo", 0.7)]))
    levels = []
    if "cap" in present and "comune" in present:
        levels.append(cll.And(cll.ExactMatchLevel("cap"), cll.ExactMatchLevel("comune")))
    if "comune" in present:
        levels.append(cll.ExactMatchLevel("comune"))
    if "cap" in present:
        levels.append(cll.ExactMatchLevel("cap"))
    if levels:
        out.append(_comparison("comune" if "comune" in present else "cap", label, levels))
    return out


def person_comparisons(present: set[str]) -> list[Any]:
    cll = _cll()
    out = []
    if "cognome" in present:
        out.append(_name_comparison("cognome", "nome", "cognome_tokens", "cognome"))
    if "nome" in present:
        out.append(_name_comparison("nome", "cognome", "nome_tokens", "nome"))
    if "dob8" in present:
        out.append(_comparison("dob8", "data di nascita", [
            cll.ExactMatchLevel("dob8"),
            cll.LevenshteinLevel("dob8", 1),
            cll.CustomLevel("substr(dob8_l, 1, 4) = substr(dob8_r, 1, 4) AND substr(dob8_l, 5, 2) = "
                            "substr(dob8_r, 7, 2) AND substr(dob8_l, 7, 2) = substr(dob8_r, 5, 2)",
                            label_for_charts="day and month exchanged"),
            cll.LevenshteinLevel("dob8", 2),
            cll.CustomLevel("substr(dob8_l, 1, 6) = substr(dob8_r, 1, 6)", label_for_charts="same year and month"),
            cll.CustomLevel("substr(dob8_l, 1, 4) = substr(dob8_r, 1, 4)", label_for_charts="same year"),
        ]))
    if "sesso" in present:
        out.append(_comparison("sesso", "sesso", [cll.ExactMatchLevel("sesso")]))
    if "belfiore" in present:
        out.append(_comparison("belfiore", "comune di nascita", [
            cll.ExactMatchLevel("belfiore"), cll.JaroWinklerLevel("comune_nascita", 0.9)]))
    if "cf" in present:
        out.append(_comparison("cf", "codice fiscale", [
            cll.ExactMatchLevel("cf"),
            cll.ExactMatchLevel("cf15").configure(label_for_charts="same code, another check character"),
            cll.ExactMatchLevel("cf_base").configure(label_for_charts="same code read without omocodia"),
            cll.LevenshteinLevel("cf", 1),
            cll.LevenshteinLevel("cf", 2),
        ]))
    out.extend(_place_comparisons(present, "residenza (CAP, comune)"))
    return out


def firm_comparisons(present: set[str]) -> list[Any]:
    cll = _cll()
    out = []
    if "ragione_sociale" in present:
        out.append(_comparison("ragione_sociale", "ragione sociale", [
            cll.ExactMatchLevel("ragione_sociale", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("ragione_sociale", 0.95),
            cll.ArrayIntersectLevel("name_tokens", min_intersection=2).configure(
                label_for_charts="two words in common"),
            cll.JaroWinklerLevel("ragione_sociale", 0.88),
            cll.ArrayIntersectLevel("name_tokens", min_intersection=1).configure(label_for_charts="a word in common"),
        ]))
    if "tax_ids" in present:
        out.append(_comparison("tax_ids", "partita IVA / codice fiscale", [
            cll.ArrayIntersectLevel("tax_ids", min_intersection=1).configure(label_for_charts="a tax id in common"),
            cll.LevenshteinLevel("partita_iva", 1),
        ]))
    if "ateco" in present:
        out.append(_comparison("ateco", "ATECO", [
            cll.ExactMatchLevel("ateco"), cll.ExactMatchLevel("ateco4"), cll.ExactMatchLevel("ateco2")]))
    out.extend(_place_comparisons(present, "sede (CAP, comune)"))
    return out


def blocking_rules(kind: str, present: set[str]) -> list[Any]:
    from splink import block_on

    rules: list[Any] = []
    specs = PERSON_BLOCKING if kind == "persons" else FIRM_BLOCKING
    custom = {"SWAPPED": ("l.cognome = r.nome AND l.nome = r.cognome", {"cognome", "nome"}),
              "PIVA_CF": ("l.partita_iva = r.codice_fiscale", {"partita_iva", "codice_fiscale"}),
              "CF_PIVA": ("l.codice_fiscale = r.partita_iva", {"partita_iva", "codice_fiscale"})}
    for spec in specs:
        if isinstance(spec, str):
            sql, cols = custom[spec]
            if cols <= present:
                rules.append(sql)
        elif set(spec) <= present:
            rules.append(block_on(*spec))
    return rules


def settings(kind: str, present: set[str]) -> Any:
    from splink import SettingsCreator

    comparisons = person_comparisons(present) if kind == "persons" else firm_comparisons(present)
    if not comparisons:
        raise ValueError("no column to compare: every comparable field is empty in at least one source")
    return SettingsCreator(
        link_type="link_only", unique_id_column_name="unique_id", comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules(kind, present),
        retain_intermediate_calculation_columns=False, retain_matching_columns=False,
    )


def deterministic_rules(kind: str, present: set[str]) -> list[str]:
    if kind == "persons":
        rules = []
        if "cf" in present:
            rules.append("l.cf = r.cf")
        if {"cognome", "nome", "dob8"} <= present:
            rules.append("l.cognome = r.cognome AND l.nome = r.nome AND l.dob8 = r.dob8")
        return rules or ["l.cognome = r.cognome AND l.nome = r.nome"]
    rules = []
    if "partita_iva" in present:
        rules.append("l.partita_iva = r.partita_iva")
    if {"ragione_sociale", "cap"} <= present:
        rules.append("l.ragione_sociale = r.ragione_sociale AND l.cap = r.cap")
    return rules or ["l.ragione_sociale = r.ragione_sociale"]


def em_sessions(kind: str, present: set[str]) -> list[Any]:
    from splink import block_on

    if kind == "persons":
        candidates = [("dob8",), ("cognome", "nome"), ("belfiore", "cognome3")]
    else:
        candidates = [("tax_ids",), ("name_key",), ("cap", "name1")]
    out = [block_on(*c) for c in candidates if set(c) <= present and c != ("tax_ids",)]
    if kind == "firms" and "partita_iva" in present:
        out.insert(0, block_on("partita_iva"))
    return out[:2]
