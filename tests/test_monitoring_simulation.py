"""The simulated outcomes data (regia demo-data outcomes) through the real ingest: the monthly panel rebuilt from
its CO events (CSV and UNILAV XML) equals the simulated statuses exactly; the planted bad rows are quarantined;
with selection built in, the naive difference is far from the known effect while the proper estimators'
intervals cover it (two seeds here; the 50-seed coverage study is bench/impact_coverage.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from regia.monitoring import dataset, impact, ingest, simulation
from regia.monitoring.identity import Identities
from regia.monitoring.panel import month_index
from support.accounts import make_settings

SETTINGS = make_settings()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, simulation.Manifest, dataset.Dataset]:
    from regia.db import make_engine, migrate

    tmp = tmp_path_factory.mktemp("sim")
    engine = make_engine(f"sqlite:///{tmp / 'sim.db'}")
    migrate(engine)
    manifest = simulation.generate(tmp / "files", seed=11, effect=0.1, persons=700)
    for kind, files in manifest.files.items():
        for name in files:
            result = ingest.ingest_file(engine, Path(name), kind=kind, settings=SETTINGS, synthetic=True)
            assert result.rejected == manifest.planted_bad_rows[kind] * (name.endswith(".csv"))
    return engine, manifest, dataset.load(engine, cache_dir=tmp / "var")


def test_the_panel_from_the_co_events_equals_the_simulated_histories(simulated: tuple) -> None:
    _, manifest, ds = simulated
    ids = Identities(SETTINGS)
    index = ds.panel.index()
    offset = month_index(date(2022, 1, 1)) - ds.panel.first
    assert ds.cutoff == date(2026, 12, 31)
    for code, status in manifest.statuses.items():
        k = index[ids.person(code)]
        span = slice(offset, offset + len(status))
        assert np.array_equal(ds.panel.employed[k, span], status > 0)
        assert np.array_equal(ds.panel.stable[k, span], status == 2)


def test_the_naive_difference_is_biased_and_the_proper_estimators_cover_the_truth(simulated: tuple) -> None:
    _, manifest, ds = simulated
    truth = manifest.true_att["employed_12m"]
    assert truth == pytest.approx(0.1)
    naive = impact.estimate(ds, outcome="employed_12m", method="naive")
    assert not naive.causal and naive.att < truth - 0.04
    for method in ("psm", "ipw", "did", "cs"):
        est = impact.estimate(ds, outcome="employed_12m", method=method, bootstrap=49)
        assert est.ci[0] <= truth <= est.ci[1], (method, est.att, est.ci)
        assert est.n_treated > 150 and est.n_control > 300
    psm = impact.estimate(ds, outcome="employed_12m", method="psm", bootstrap=49)
    worst_after = max(abs(r["after"]) for r in psm.balance.values() if r["after"] is not None)
    worst_before = max(abs(r["before"]) for r in psm.balance.values())
    assert worst_after < 0.1 < worst_before
    assert {row["dimension"] for row in psm.heterogeneity} >= {"sex", "age_band"}


@pytest.mark.parametrize("effect", [0.0, -0.05])
def test_zero_and_negative_effects_in_memory(tmp_path: Path, effect: float) -> None:
    ids = Identities(SETTINGS)
    manifest = simulation.generate(tmp_path, seed=3, effect=effect, persons=900, events=False)
    ds = simulation.in_memory_dataset(manifest, ids)
    for outcome in ("employed_12m", "days_worked_12m"):
        truth = manifest.true_att[outcome]
        for method in ("ipw", "did"):
            est = impact.estimate(ds, outcome=outcome, method=method)
            assert est.ci[0] <= truth <= est.ci[1], (outcome, method, est.att, est.ci, truth)


def test_the_same_records_give_the_same_estimate_whatever_the_pseudonym_key(tmp_path: Path) -> None:
    """Two installations hold the same records under different pseudonym keys (each keeps its own secret): the
    comparison persons' pseudo-entry dates and the bootstrap must not follow the pseudonyms' order."""
    from pydantic import SecretStr

    manifest = simulation.generate(tmp_path, seed=5, effect=0.08, persons=600, events=False)
    keys = ("first-installation-" + "a" * 32, "second-installation-" + "b" * 32)
    datasets = [simulation.in_memory_dataset(manifest, Identities(make_settings(pseudonym_key=SecretStr(k))))
                for k in keys]
    assert datasets[0].panel.persons != datasets[1].panel.persons  # the pseudonyms differ, and so does their order
    for method in ("psm", "ipw", "did", "cs"):
        a, b = (impact.estimate(ds, outcome="employed_12m", method=method, bootstrap=29) for ds in datasets)
        assert (a.att, a.ci, a.n_treated, a.n_control) == (b.att, b.ci, b.n_treated, b.n_control), method
