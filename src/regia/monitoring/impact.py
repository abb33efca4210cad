"""Counterfactual impact evaluation: the effect of taking part (ATT: the average effect on the participants) on
an employment outcome, against registered unemployed people who never enrolled.

**Sample.** Treated: people whose first participation (in ``programme``, when given) started while they were
unemployed (``labour_status`` unemployed). Comparison: people registered as unemployed (DID) who never
enrolled in anything held. Each treated person's *reference month* is the month of entry. A comparison
person gets a pseudo-entry month: a date drawn at random (fixed seed) among the participants' entry dates
that fall in a month after the person's first DID registration — so the comparison group's reference months
are distributed like the participants' and everyone was registered before it. The draws follow an order
taken from the records (registration, covariates, history), not from the pseudonyms, so the same records
give the same estimate in every installation whatever its pseudonym key. People whose outcome month lies
after the observation window, or whose 24 months of history start before it, are left out.

**Outcomes** (``OUTCOMES``), measured on the monthly panel (``panel``) relative to the reference month M:
``employed_6m`` / ``employed_12m`` — employed at the end of month M+6 / M+12; ``stable_12m`` — in an open-ended
contract (permanent or apprenticeship) at the end of month M+12; ``days_worked_12m`` — days worked in months
M+1 … M+12. They are measured from the *entry*, not from the end of the course: the end is itself a result of
taking part (and the comparison group has none); the months in training count (lock-in).

**Covariates** (propensity score, balance table): age and its square, sex, citizenship, education, long-term
unemployment at the reference date, the pre-entry employment history (share of months employed in the 12
months before, in the 12 before those, any open-ended contract in the 24 months before) and the half-year of
the reference month.

**Methods** (``METHODS``):

- ``naive``: the difference of means — *not* a causal estimate: participants are selected (labelled as such);
- ``psm``: Epanechnikov kernel matching on the logit of the propensity score (logistic regression,
  statsmodels), bandwidth by Silverman's rule on the comparison group's scores; treated people with no
  comparison person within the bandwidth are trimmed (common support); 95% CI from a bootstrap over persons
  (the score re-estimated in each replicate; kernel matching is smooth, so the bootstrap is valid — unlike for
  nearest-neighbour matching, Abadie & Imbens 2008);
- ``ipw``: inverse-probability weighting (comparison persons weighted by e/(1-e), normalised), treated people
  outside the range of the comparison group's scores trimmed; analytical 95% CI from the influence function,
  which accounts for the estimation of the score;
- ``did``: difference in differences on the panel in event time: the change of the outcome between the same
  distance before and after the reference month (employed at M-12 vs M+12; days worked in the 12 months
  before vs after), participants vs comparison; analytical (HC1) CI; a placebo on two pre-entry periods is
  reported as a check of parallel trends;
- ``cs``: Callaway & Sant'Anna's staggered-adoption estimator on the calendar-month panel, cohorts by entry
  month, never-enrolled registered unemployed as the comparison, the ATT at the outcome's horizon aggregated
  over cohorts (event study), analytical CI (the ``diff-diff`` package; ``differences`` gives the same numbers
  75 times slower, see ``bench/README.md``). Days worked use the 12-month rolling sum of the monthly days.

Assumptions (the report states them in plain words): PSM/IPW — no unobserved confounding given the
covariates and the history, overlap; DiD/CS — parallel trends of the untreated outcome, no anticipation; all —
no effects on the comparison group (no spill-overs). Heterogeneity: the same estimator within groups by target
group, sex, age band and citizenship.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from regia.i18n import N_
from regia.monitoring import codes
from regia.monitoring.dataset import Dataset
from regia.monitoring.panel import Panel, month_index

OUTCOMES: dict[str, tuple[int, str]] = {"employed_6m": (6, "employed"), "employed_12m": (12, "employed"),
                                        "stable_12m": (12, "stable"), "days_worked_12m": (12, "days")}
OUTCOME_LABELS = {"employed_6m": N_("monitoring.outcome.employed_6m"),
                  "employed_12m": N_("monitoring.outcome.employed_12m"),
                  "stable_12m": N_("monitoring.outcome.stable_12m"),
                  "days_worked_12m": N_("monitoring.outcome.days_worked_12m")}
METHODS = ("naive", "psm", "ipw", "did", "cs")
METHOD_LABELS = {"naive": N_("monitoring.method.naive"), "psm": N_("monitoring.method.psm"),
                 "ipw": N_("monitoring.method.ipw"), "did": N_("monitoring.method.did"),
                 "cs": N_("monitoring.method.cs")}
PSEUDO_DATE_SEED = 20260101
BOOTSTRAP = 199
Z95 = 1.959963984540054
MIN_GROUP = 20
BALANCE_COVARIATES = ("age", "female", "cit_eu", "cit_non_eu", "edu_medium", "edu_high", "edu_unknown",
                      "long_term", "hist_emp_12", "hist_emp_24", "hist_stable_24")
COVARIATE_LABELS = {"age": N_("monitoring.covariate.age"), "female": N_("monitoring.covariate.female"),
                    "cit_eu": N_("monitoring.covariate.cit_eu"), "cit_non_eu": N_("monitoring.covariate.cit_non_eu"),
                    "edu_medium": N_("monitoring.covariate.edu_medium"),
                    "edu_high": N_("monitoring.covariate.edu_high"),
                    "edu_unknown": N_("monitoring.covariate.edu_unknown"),
                    "long_term": N_("monitoring.covariate.long_term"),
                    "hist_emp_12": N_("monitoring.covariate.hist_emp_12"),
                    "hist_emp_24": N_("monitoring.covariate.hist_emp_24"),
                    "hist_stable_24": N_("monitoring.covariate.hist_stable_24")}
ERRORS = (N_("monitoring.impact.err.outcome"), N_("monitoring.impact.err.method"),
          N_("monitoring.impact.err.no_participants"), N_("monitoring.impact.err.no_controls"))
HETEROGENEITY = ("target_group", "sex", "age_band", "citizenship")


class ImpactError(ValueError):
    """The estimate cannot be made (no participants, no comparison group...): ``key`` says why."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Sample:
    persons: list[str]
    treated: np.ndarray  # bool
    ref: np.ndarray  # reference month (index)
    design: pd.DataFrame  # propensity-score covariates
    y: np.ndarray
    y_pre: np.ndarray  # the outcome at the mirrored pre-entry distance (DiD)
    y_placebo: np.ndarray  # and twice that distance (DiD's placebo)
    groups: dict[str, np.ndarray]
    rows: np.ndarray  # panel row of each person
    excluded: dict[str, int] = field(default_factory=dict)
    event_study: list[dict[str, float]] = field(default_factory=list)  # DiD on the monthly variable vs month -1


@dataclass
class Estimate:
    method: str
    outcome: str
    att: float
    ci: tuple[float, float]
    se: float
    n_treated: int
    n_control: int
    balance: dict[str, dict[str, float | None]]
    estimand: str = "ATT"
    causal: bool = True
    label: str = ""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    event_study: list[dict[str, float]] = field(default_factory=list)
    heterogeneity: list[dict[str, Any]] = field(default_factory=list)
    programme: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci"] = [self.ci[0], self.ci[1]]
        return out


# --- the sample -------------------------------------------------------------------------------------------------

def _months(first: Any, last: Any) -> int | None:
    if first is None or pd.isna(first):
        return None
    return (last.year - first.year) * 12 + last.month - first.month


# The order of the comparison persons (for their pseudo-entry draws) and of the sample (for bootstraps) is
# taken from what the records say, never from the pseudonyms: the pseudonym key is each installation's own
# secret, and the same records must give the same estimate wherever they are analysed.
_CONTROL_ORDER = ("registered_on", "unemployed_since", "birth_year", "sex", "citizenship", "education", "nuts3")
_SAMPLE_ORDER = ("treated", "ref", "ref_date", "since", "birth_year", "sex", "citizenship", "education")


def _order(frame: pd.DataFrame, columns: tuple[str, ...], panel: Panel, index: dict[str, int]) -> list[int]:
    """Positions of ``frame``'s rows sorted on ``columns`` and then on each person's whole monthly history:
    two persons left tied agree on every value the analysis reads, so their order changes nothing."""
    values = [frame[c].astype(str).tolist() for c in columns]
    rows = [index.get(p) for p in frame["person"]]
    history = [b"" if r is None else panel.employed[r].tobytes() + panel.stable[r].tobytes() + panel.days[r].tobytes()
               for r in rows]
    return sorted(range(len(frame)), key=lambda k: (*(v[k] for v in values), history[k]))


def build_sample(ds: Dataset, outcome: str, programme: str | None = None) -> Sample:
    if outcome not in OUTCOMES:
        raise ImpactError(N_("monitoring.impact.err.outcome"), outcome=outcome)
    horizon, var = OUTCOMES[outcome]
    panel = ds.panel
    index = panel.index()
    last, first = ds.cutoff_month, panel.first
    parts = ds.participations.sort_values(["person", "enrolled_on", "id"])
    firsts = parts.drop_duplicates("person")
    in_scope = firsts["labour_status"].eq(codes.UNEMPLOYED)
    if programme:
        in_scope &= firsts["programme"].eq(programme) | firsts["plan_line"].eq(programme)
    treated_rows = firsts[in_scope]
    enrolled = set(parts["person"])
    regs = ds.unemployed.sort_values(["person", "registered_on"])
    first_reg = regs.drop_duplicates("person")
    controls = first_reg[~first_reg["person"].isin(enrolled)]
    if treated_rows.empty:
        raise ImpactError(N_("monitoring.impact.err.no_participants"), programme=programme or "")
    entry_dates = np.sort(np.array([month_index(d) for d in treated_rows["enrolled_on"]]))
    excluded = {"outside_window": 0, "no_pseudo_date": 0}

    rng = np.random.default_rng(PSEUDO_DATE_SEED)
    records: list[dict[str, Any]] = []
    for row in treated_rows.itertuples(index=False):
        since = row.unemployed_since
        records.append({"person": row.person, "treated": True, "ref": month_index(row.enrolled_on),
                        "ref_date": row.enrolled_on, "since": since, "birth_year": row.birth_year, "sex": row.sex,
                        "citizenship": row.citizenship, "education": row.education})
    controls = controls.iloc[_order(controls, _CONTROL_ORDER, panel, index)]
    reg_months = np.array([month_index(d) for d in controls["registered_on"]], dtype=int)
    starts = np.searchsorted(entry_dates, reg_months, side="right")  # entries in a later month than the DID
    draws = rng.random(len(controls))
    for k, row in enumerate(controls.itertuples(index=False)):
        lo = starts[k]
        if lo >= len(entry_dates):
            excluded["no_pseudo_date"] += 1
            continue
        ref = int(entry_dates[lo + int(draws[k] * (len(entry_dates) - lo))])
        since = row.unemployed_since if row.unemployed_since is not None and not pd.isna(row.unemployed_since) \
            else row.registered_on
        records.append({"person": row.person, "treated": False, "ref": ref, "ref_date": None, "since": since,
                        "birth_year": row.birth_year, "sex": row.sex, "citizenship": row.citizenship,
                        "education": row.education})
    frame = pd.DataFrame.from_records(records)
    ok = (frame["ref"] + horizon <= last) & (frame["ref"] - 2 * max(horizon, 12) >= first) & \
        frame["person"].isin(index)
    excluded["outside_window"] = int((~ok).sum())
    frame = frame[ok]
    frame = frame.iloc[_order(frame, _SAMPLE_ORDER, panel, index)].reset_index(drop=True)
    if not frame["treated"].any():
        raise ImpactError(N_("monitoring.impact.err.no_participants"), programme=programme or "")
    if frame["treated"].all():
        raise ImpactError(N_("monitoring.impact.err.no_controls"))
    rows = frame["person"].map(index).to_numpy()
    col = frame["ref"].to_numpy() - first
    emp, stable, days = panel.employed[rows], panel.stable[rows], panel.days[rows]

    def window(arr: np.ndarray, lo: int, hi: int) -> np.ndarray:  # months ref+lo .. ref+hi
        idx = col[:, None] + np.arange(lo, hi + 1)[None, :]
        return np.take_along_axis(arr, idx, axis=1)

    if var == "days":
        y = window(days, 1, 12).sum(axis=1).astype(float)
        y_pre = window(days, -12, -1).sum(axis=1).astype(float)
        y_placebo = window(days, -24, -13).sum(axis=1).astype(float)
    else:
        source = emp if var == "employed" else stable
        y = window(source, horizon, horizon)[:, 0].astype(float)
        y_pre = window(source, -horizon, -horizon)[:, 0].astype(float)
        y_placebo = window(source, -2 * horizon, -2 * horizon)[:, 0].astype(float)
    ref_year = frame["ref"].to_numpy() // 12
    age = ref_year - frame["birth_year"].to_numpy()
    unemployed_months = np.array([_months(s, pd.Timestamp(year=r // 12, month=r % 12 + 1, day=1))
                                  for s, r in zip(frame["since"], frame["ref"], strict=True)], dtype=object)
    long_term = np.array([m is not None and m >= codes.LONG_TERM_MONTHS for m in unemployed_months], dtype=float)
    edu = frame["education"]
    band = np.array([codes.education_band(None if pd.isna(v) else int(v)) for v in edu])
    half = (frame["ref"].to_numpy() // 6).astype(int)
    design = pd.DataFrame({
        "age": (age - 40) / 10.0, "age_sq": ((age - 40) / 10.0) ** 2,
        "female": (frame["sex"] == "F").to_numpy(float),
        "cit_eu": (frame["citizenship"] == codes.EU).to_numpy(float),
        "cit_non_eu": (frame["citizenship"] == codes.NON_EU).to_numpy(float),
        "edu_medium": (band == "medium").astype(float), "edu_high": (band == "high").astype(float),
        "edu_unknown": (band == "unknown").astype(float), "long_term": long_term,
        "hist_emp_12": window(emp, -12, -1).mean(axis=1), "hist_emp_24": window(emp, -24, -13).mean(axis=1),
        "hist_stable_24": window(stable, -24, -1).any(axis=1).astype(float),
    })
    for h in sorted(set(half))[1:]:
        design[f"period_{h}"] = (half == h).astype(float)
    design = design.loc[:, design.std(ddof=0) > 0]  # no constant columns (a cell nobody is in)
    monthly = days if var == "days" else emp if var == "employed" else stable
    idx = col[:, None] + np.arange(-12, 13)[None, :]
    seen = idx <= last - first
    profile = np.where(seen, np.take_along_axis(monthly, np.minimum(idx, last - first), axis=1), np.nan)
    change = profile - profile[:, 11][:, None]  # against month -1
    treated = frame["treated"].to_numpy(bool)
    study = []
    for j, e in enumerate(range(-12, 13)):
        ok_t, ok_c = treated & seen[:, j], ~treated & seen[:, j]
        if e == -1 or ok_t.sum() < 2 or ok_c.sum() < 2:
            continue
        a, se = welch(change[ok_t, j], change[ok_c, j])
        study.append({"e": e, "att": _r(a), "lo": _r(a - Z95 * se), "hi": _r(a + Z95 * se)})
    groups = {
        "target_group": np.where(long_term > 0, codes.LONG_TERM_UNEMPLOYED, codes.SHORT_TERM_UNEMPLOYED),
        "sex": frame["sex"].to_numpy(str),
        "age_band": np.array([codes.age_band(int(a)) for a in age]),
        "citizenship": frame["citizenship"].to_numpy(str),
    }
    return Sample(list(frame["person"]), treated, frame["ref"].to_numpy(int), design, y, y_pre, y_placebo, groups,
                  rows, excluded, study)


# --- building blocks --------------------------------------------------------------------------------------------

def smd(x: np.ndarray, d: np.ndarray, w: np.ndarray | None = None) -> float | None:
    """Standardised mean difference (treated − comparison, weighted comparison mean when ``w``), over the
    pooled unweighted standard deviation of the two groups."""
    xt, xc = x[d], x[~d]
    if len(xt) < 2 or len(xc) < 2:
        return None
    sd = math.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2)
    if sd == 0:
        return 0.0
    mc = xc.mean() if w is None else float(np.average(xc, weights=w[~d]))
    return float((xt.mean() - mc) / sd)


def balance_table(s: Sample, weights: np.ndarray | None, keep: np.ndarray | None = None
                  ) -> dict[str, dict[str, float | None]]:
    out = {}
    for name in BALANCE_COVARIATES:
        if name not in s.design:
            continue
        x = s.design[name].to_numpy(float)
        before = smd(x, s.treated)
        after = None
        if weights is not None:
            k = keep if keep is not None else np.ones(len(x), bool)
            after = smd(x[k], s.treated[k], weights[k])
        out[name] = {"before": None if before is None else round(before, 4),
                     "after": None if after is None else round(after, 4)}
    return out


def _matrix(design: pd.DataFrame) -> np.ndarray:
    x = design.to_numpy(float)
    return np.column_stack([np.ones(len(x)), x])


def fit_logit(x: np.ndarray, d: np.ndarray, start: np.ndarray | None = None, iterations: int = 50) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton's method (with a vanishing ridge for separated cells)."""
    beta = np.zeros(x.shape[1]) if start is None else start.copy()
    ridge = 1e-8 * np.eye(x.shape[1])
    for _ in range(iterations):
        eta = np.clip(x @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        grad = x.T @ (d - p)
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta


def propensity(design: pd.DataFrame, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit coefficients (statsmodels' MLE; Newton's when statsmodels finds the cells separated) and scores."""
    import statsmodels.api as sm

    x = _matrix(design)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            beta = np.asarray(sm.Logit(d.astype(float), x).fit(disp=0, maxiter=100).params)
    except Exception:  # perfect separation and friends: the ridge-stabilised Newton fit below
        beta = fit_logit(x, d.astype(float))
    return beta, 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    diff = float(a.mean() - b.mean())
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) if len(a) > 1 and len(b) > 1 else float("nan")
    return diff, se


def kernel_att(score: np.ndarray, y: np.ndarray, d: np.ndarray, h: float, *, with_weights: bool = False
               ) -> tuple[float, np.ndarray, np.ndarray]:
    """ATT by Epanechnikov kernel matching on ``score``: (att, treated kept, comparison weights — computed when
    ``with_weights``). A treated person with no comparison person within ``h`` is off support (not kept)."""
    st, yt = score[d], y[d]
    sc, yc = score[~d], y[~d]
    order = np.argsort(sc)
    sc, yc = sc[order], yc[order]
    zero = np.zeros(1)
    c0 = np.concatenate([zero, np.cumsum(np.ones_like(sc))])
    c1 = np.concatenate([zero, np.cumsum(sc)])
    c2 = np.concatenate([zero, np.cumsum(sc ** 2)])
    y0 = np.concatenate([zero, np.cumsum(yc)])
    y1 = np.concatenate([zero, np.cumsum(sc * yc)])
    y2 = np.concatenate([zero, np.cumsum(sc ** 2 * yc)])
    lo = np.searchsorted(sc, st - h, side="right")
    hi = np.searchsorted(sc, st + h, side="left")

    def window(cum: np.ndarray) -> np.ndarray:
        return cum[hi] - cum[lo]

    # sum of K((s_j - s_i)/h) over the window, K(u) = 0.75 (1 - u^2), and the same times y_j
    wsum = 0.75 * (window(c0) - (window(c2) - 2 * st * window(c1) + st ** 2 * window(c0)) / h ** 2)
    ysum = 0.75 * (window(y0) - (window(y2) - 2 * st * window(y1) + st ** 2 * window(y0)) / h ** 2)
    keep = (hi > lo) & (wsum > 1e-12)
    m0 = np.where(keep, ysum / np.where(keep, wsum, 1.0), np.nan)
    att = float(np.mean(yt[keep] - m0[keep])) if keep.any() else float("nan")
    # the comparison persons' total weights (for the balance table): sum over kept treated of normalised K
    weights = np.zeros(len(sc))
    for i in np.where(keep)[0] if with_weights else ():
        u = (sc[lo[i]:hi[i]] - st[i]) / h
        k = 0.75 * (1 - u ** 2)
        weights[lo[i]:hi[i]] += k / k.sum()
    out = np.zeros(len(score))
    out[np.where(~d)[0][order]] = weights
    kept = np.zeros(len(score), bool)
    kept[np.where(d)[0][keep]] = True
    return att, kept, out


def bandwidth(score_controls: np.ndarray) -> float:
    sd = float(np.std(score_controls, ddof=1)) if len(score_controls) > 1 else 1.0
    iqr = float(np.subtract(*np.percentile(score_controls, [75, 25]))) / 1.349 if len(score_controls) > 3 else sd
    spread = min(sd, iqr) if iqr > 0 else sd
    return 1.06 * spread * len(score_controls) ** -0.2


def ipw_att(x: np.ndarray, beta: np.ndarray, y: np.ndarray, d: np.ndarray, keep: np.ndarray,
            sub: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """Normalised IPW ATT over the persons in ``keep`` (and ``sub``), its analytical SE and the comparison
    weights. The SE comes from the influence function of the M-estimator that stacks the logit (fitted on all
    persons) and the two weighted means, so it accounts for the estimation of the score."""
    n = len(y)
    use = keep if sub is None else keep & sub
    e = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
    df = d.astype(float)
    dd = df * use
    w = (1 - df) * use * e / (1 - e)
    p, w0 = dd.mean(), w.mean()
    mu1 = float((dd * y).sum() / dd.sum())
    mu0 = float((w * y).sum() / w.sum())
    score = (df - e)[:, None] * x
    hess = (x * (e * (1 - e))[:, None]).T @ x / n
    dmu0 = (w * (y - mu0)) @ x / n / w0
    psi = dd * (y - mu1) / p - w * (y - mu0) / w0 - score @ np.linalg.lstsq(hess, dmu0, rcond=None)[0]
    return mu1 - mu0, float(math.sqrt(np.mean(psi ** 2) / n)), w


def _ci(att: float, se: float) -> tuple[float, float]:
    return (att - Z95 * se, att + Z95 * se)


def _r(v: float, digits: int = 6) -> float:
    return float("nan") if v is None or not math.isfinite(v) else round(float(v), digits)


# --- estimators -------------------------------------------------------------------------------------------------

def _naive(s: Sample, subset: np.ndarray) -> tuple[float, float]:
    d = s.treated[subset]
    return welch(s.y[subset][d], s.y[subset][~d])


def _did(s: Sample, subset: np.ndarray) -> tuple[float, float]:
    import statsmodels.api as sm

    d = s.treated[subset]
    change = s.y[subset] - s.y_pre[subset]
    fit = sm.OLS(change, np.column_stack([np.ones(len(d)), d.astype(float)])).fit(cov_type="HC1")
    return float(fit.params[1]), float(fit.bse[1])


def naive(s: Sample, outcome: str, **_: Any) -> Estimate:
    att, se = _naive(s, np.ones(len(s.y), bool))
    est = Estimate("naive", outcome, att, _ci(att, se), se, int(s.treated.sum()), int((~s.treated).sum()),
                   balance_table(s, None), causal=False, label="naive difference (not a causal estimate)")
    est.heterogeneity = _groups(s, _naive)
    return est


def did(s: Sample, outcome: str, **_: Any) -> Estimate:
    att, se = _did(s, np.ones(len(s.y), bool))
    placebo = s.y_pre - s.y_placebo
    p_att, p_se = welch(placebo[s.treated], placebo[~s.treated])
    est = Estimate("did", outcome, att, _ci(att, se), se, int(s.treated.sum()), int((~s.treated).sum()),
                   balance_table(s, None), label="difference in differences (event time)")
    est.diagnostics = {"placebo_pre_trend": {"att": _r(p_att), "ci": [_r(_ci(p_att, p_se)[0]),
                                                                      _r(_ci(p_att, p_se)[1])]}}
    est.heterogeneity = _groups(s, _did)
    est.event_study = s.event_study
    return est


def ipw(s: Sample, outcome: str, **_: Any) -> Estimate:
    x = _matrix(s.design)
    beta, e = propensity(s.design, s.treated)
    keep = _support(e, s.treated)
    att, se, weights = ipw_att(x, beta, s.y, s.treated, keep)
    est = Estimate("ipw", outcome, att, _ci(att, se), se, int((s.treated & keep).sum()), int((~s.treated).sum()),
                   balance_table(s, np.where(s.treated, 1.0, weights), keep),
                   label="inverse probability weighting")
    est.diagnostics = {"trimmed_treated": int((s.treated & ~keep).sum()), **_score_summary(e, s.treated)}

    def within(sub: np.ndarray) -> tuple[float, float]:
        a, b, _ = ipw_att(x, beta, s.y, s.treated, keep, sub)
        return a, b

    est.heterogeneity = _groups(s, lambda _s, sub: within(sub))
    return est


def _support(e: np.ndarray, d: np.ndarray) -> np.ndarray:
    lo, hi = e[~d].min(), e[~d].max()
    return ~d | ((e >= lo) & (e <= hi))


def _score_summary(e: np.ndarray, d: np.ndarray) -> dict[str, Any]:
    return {"score_treated": [_r(float(np.percentile(e[d], q)), 4) for q in (5, 50, 95)],
            "score_comparison": [_r(float(np.percentile(e[~d], q)), 4) for q in (5, 50, 95)]}


def psm(s: Sample, outcome: str, *, bootstrap: int = BOOTSTRAP, seed: int = 1, **_: Any) -> Estimate:
    x = _matrix(s.design)
    d = s.treated
    beta, e = propensity(s.design, d)
    logit = np.log(e / (1 - e))
    h = bandwidth(logit[~d])
    att, kept, weights = kernel_att(logit, s.y, d, h, with_weights=True)
    subsets = _subsets(s)
    point_groups = {key: kernel_att(logit[m], s.y[m], d[m], h)[0] for key, m in subsets.items()}
    rng = np.random.default_rng(seed)
    treated_idx, control_idx = np.where(d)[0], np.where(~d)[0]
    reps: list[float] = []
    group_reps: dict[tuple[str, str], list[float]] = {k: [] for k in subsets}
    for _ in range(bootstrap):
        idx = np.concatenate([rng.choice(treated_idx, len(treated_idx)), rng.choice(control_idx, len(control_idx))])
        xb, db, yb = x[idx], d[idx], s.y[idx]
        bb = fit_logit(xb, db.astype(float), start=beta)
        eb = np.clip(xb @ bb, -30, 30)
        hb = bandwidth(eb[~db])
        a, _, _ = kernel_att(eb, yb, db, hb)
        if math.isfinite(a):
            reps.append(a)
        for key, m in subsets.items():
            mb = m[idx]
            if mb[db].sum() >= 2 and mb[~db].sum() >= 2:
                g, _, _ = kernel_att(eb[mb], yb[mb], db[mb], hb)
                if math.isfinite(g):
                    group_reps[key].append(g)
    se = float(np.std(reps, ddof=1)) if len(reps) > 1 else float("nan")
    est = Estimate("psm", outcome, att, _ci(att, se), se, int(kept.sum()), int((~d).sum()),
                   balance_table(s, np.where(d, 1.0, weights), kept | ~d),
                   label="propensity-score kernel matching")
    est.diagnostics = {"trimmed_treated": int((d & ~kept).sum()), "bandwidth_logit": _r(h, 4),
                       "bootstrap_replicates": len(reps), **_score_summary(e, d)}
    est.heterogeneity = []
    for (dim, value), m in subsets.items():
        g_se = float(np.std(group_reps[(dim, value)], ddof=1)) if len(group_reps[(dim, value)]) > 1 else float("nan")
        est.heterogeneity.append(_group_row(dim, value, point_groups[(dim, value)], g_se, s, m))
    return est


def cs(s: Sample, outcome: str, *, ds: Dataset, **_: Any) -> Estimate:
    horizon, var = OUTCOMES[outcome]
    everyone = np.ones(len(s.y), bool)
    att, se, study, n1, n0 = _callaway_santanna(s, ds, var, horizon, everyone)
    if var == "days":  # the chart shows days worked per month (the estimate uses their 12-month sums)
        study = _callaway_santanna(s, ds, "days_monthly", horizon, everyone)[2]
    est = Estimate("cs", outcome, att, _ci(att, se), se, n1, n0, balance_table(s, None),
                   label="Callaway-Sant'Anna (staggered adoption, cohorts by entry month)")
    est.event_study = study
    pre = [row for row in study if row["e"] < 0]
    if pre:
        outside = sum(1 for row in pre if not row["lo"] <= 0 <= row["hi"])
        est.diagnostics = {"pre_periods": len(pre), "pre_periods_ci_excluding_zero": outside}

    def within(_s: Sample, sub: np.ndarray) -> tuple[float, float]:
        a, b, *_rest = _callaway_santanna(s, ds, var, horizon, sub, study_window=(horizon, horizon))
        return a, b

    est.heterogeneity = _groups(s, within)
    return est


def _callaway_santanna(s: Sample, ds: Dataset, var: str, horizon: int, subset: np.ndarray,
                       study_window: tuple[int, int] = (-12, 12)
                       ) -> tuple[float, float, list[dict[str, float]], int, int]:
    from diff_diff import CallawaySantAnna

    panel = ds.panel
    rows = s.rows[subset]
    treated = s.treated[subset]
    first_month = max(int(s.ref[subset].min()) - 24, panel.first + (11 if var == "days" else 0))
    lo_col = first_month - panel.first
    hi_col = ds.cutoff_month - panel.first
    if var == "days":
        monthly = panel.days[rows, lo_col - 11: hi_col + 1].astype(float)
        kernel = np.ones(12)
        values = np.stack([np.convolve(r, kernel, mode="valid") for r in monthly]) if len(monthly) else monthly
    elif var == "days_monthly":
        values = panel.days[rows, lo_col: hi_col + 1].astype(float)
    else:
        source = panel.employed if var == "employed" else panel.stable
        values = source[rows, lo_col: hi_col + 1].astype(float)
    n, m = values.shape
    cohort = np.where(treated, s.ref[subset] - first_month + 1, 0)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(n), m), "time": np.tile(np.arange(1, m + 1), n),
                          "y": values.ravel(), "first_treat": np.repeat(cohort, m)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CallawaySantAnna(control_group="never_treated", estimation_method="reg").fit(
            frame, outcome="y", unit="unit", time="time", first_treat="first_treat")
        table = result.aggregate("event_study").to_dataframe()
    table = table[(table["event_time"] >= study_window[0]) & (table["event_time"] <= study_window[1])]
    study = [{"e": int(r.event_time), "att": _r(r.att), "lo": _r(r.conf_int_lower), "hi": _r(r.conf_int_upper)}
             for r in table.itertuples() if math.isfinite(r.att)]
    at = table[table["event_time"] == horizon]
    if at.empty or not math.isfinite(float(at["att"].iloc[0])):
        return float("nan"), float("nan"), study, int(treated.sum()), int((~treated).sum())
    return float(at["att"].iloc[0]), float(at["se"].iloc[0]), study, int(treated.sum()), int((~treated).sum())


def _subsets(s: Sample) -> dict[tuple[str, str], np.ndarray]:
    out = {}
    for dim in HETEROGENEITY:
        labels = s.groups[dim]
        for value in sorted(set(labels)):
            m = labels == value
            if (m & s.treated).sum() >= MIN_GROUP and (m & ~s.treated).sum() >= MIN_GROUP:
                out[(dim, str(value))] = m
    return out


def _group_row(dim: str, value: str, att: float, se: float, s: Sample, m: np.ndarray) -> dict[str, Any]:
    lo, hi = _ci(att, se)
    return {"dimension": dim, "group": value, "att": _r(att), "ci": [_r(lo), _r(hi)],
            "n_treated": int((m & s.treated).sum()), "n_control": int((m & ~s.treated).sum())}


def _groups(s: Sample, estimator: Callable[[Sample, np.ndarray], tuple[float, float]]) -> list[dict[str, Any]]:
    rows = []
    for (dim, value), m in _subsets(s).items():
        att, se = estimator(s, m)
        rows.append(_group_row(dim, value, att, se, s, m))
    return rows


ESTIMATORS: dict[str, Callable[..., Estimate]] = {"naive": naive, "psm": psm, "ipw": ipw, "did": did, "cs": cs}


def estimate(ds: Dataset, *, outcome: str, method: str, programme: str | None = None, bootstrap: int = BOOTSTRAP,
             seed: int = 1) -> Estimate:
    """The estimate of ``method`` for ``outcome`` (see the module's docstring)."""
    if method not in ESTIMATORS:
        raise ImpactError(N_("monitoring.impact.err.method"), method=method)
    sample = build_sample(ds, outcome, programme)
    est = ESTIMATORS[method](sample, outcome, ds=ds, bootstrap=bootstrap, seed=seed)
    est.programme = programme
    est.att, est.se = _r(est.att), _r(est.se)
    est.ci = (_r(est.ci[0]), _r(est.ci[1]))
    est.diagnostics.setdefault("excluded", sample.excluded)
    return est
