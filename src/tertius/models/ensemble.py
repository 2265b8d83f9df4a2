"""``best``: a stacked ensemble of the registered models, fitted on the DEU training file.

The forecast is a convex combination of component forecasts (each in percent of the issue's
scale), with weights chosen to minimise the absolute error (least absolute deviations under
w >= 0, Σ w = 1, a linear programme; stacking as in Wolpert 1992 and Breiman 1996, with the
absolute loss the DEU literature scores by, Achen 2006). The components are fixed in advance
(:data:`COMPONENTS`): the compromise model, the weighted median and the mean with the scenario's
own capabilities and with capabilities from the Council's rules (:mod:`tertius.institutions`),
the procedural model, the Nash bargaining and expected-utility models, and two naive baselines
named in the DEU literature, the reference point and the Commission's position (each falling
back to the compromise forecast where missing).

Every forecast comes with an interval: ± the 80 % quantile of the absolute errors that ``best``
made on proposals it had not seen (grouped cross-validation on the training file), so that about
80 % of outcomes fall inside it. The weights and the half-width ship in ``best.json``, written by
``scripts/fit_best.py``; cross-validation (:func:`cross_validate`) refits them inside each fold.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from tertius.forecast import Forecast, utilities
from tertius.models.procedural import with_rule_capabilities
from tertius.models.registry import MODELS, linear_cost, register, run_model
from tertius.scenario import Scenario
from tertius.seeds import child_rng

#: (model, capabilities): 'own' keeps the scenario's; 'INDEX/INSTITUTIONS' derives them from its rules.
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("compromise", "own"),
    ("compromise", "shapley/institutional"),
    ("compromise", "shapley/council-only"),
    ("compromise", "shapley/equal-chambers"),
    ("compromise", "banzhaf/institutional"),
    ("weighted-median", "own"),
    ("weighted-median", "shapley/institutional"),
    ("mean", "own"),
    ("procedural", "own"),
    ("nash", "own"),
    ("bdm", "own"),
    ("reference-point", "own"),
    ("proposer", "own"),
)
COVERAGE = 0.8


@cache
def fitted() -> dict[str, Any]:
    return json.loads((resources.files("tertius.models") / "best.json").read_text(encoding="utf-8"))


def component_forecasts(scenario: Scenario) -> np.ndarray:
    """Every component's forecast of every issue, in percent of the issue's scale: (m, K)."""
    arr = scenario.arrays
    variants: dict[str, Scenario] = {"own": scenario}
    runs: dict[tuple[str, str], np.ndarray] = {}

    def outcome(model: str, caps: str) -> np.ndarray:  # each model runs once per capability variant
        if (model, caps) not in runs:
            if caps not in variants:
                index, inst = caps.split("/")
                variants[caps] = with_rule_capabilities(scenario, index, inst)
            runs[model, caps] = run_model(variants[caps], model).outcome
        return runs[model, caps]

    cols = []
    for model, caps in COMPONENTS:
        if model == "reference-point":
            out = np.where(np.isnan(arr.status_quo), outcome("compromise", caps), arr.status_quo)
        elif model == "proposer":
            out = outcome("compromise", caps)
            p = scenario.procedure
            if p is not None and p.proposer is not None:
                k = arr.actor_ids.index(p.proposer)
                out = np.where(arr.present[k], arr.position[k], out)
        else:
            out = outcome(model, caps)
        cols.append((out - arr.lo) / arr.span * 100.0)
    return np.stack(cols, axis=-1)


def fit_weights(f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least absolute deviations over the simplex: min Σ |y - F w|, w >= 0, Σ w = 1."""
    from scipy.optimize import linprog

    keep = ~np.isnan(y)
    f, y = f[keep], y[keep]
    n, k = f.shape
    # variables: w (k), e+ (n), e- (n)
    c = np.concatenate([np.zeros(k), np.ones(2 * n)])
    a_eq = np.zeros((n + 1, k + 2 * n))
    a_eq[:n, :k] = f
    a_eq[:n, k:k + n] = np.eye(n)
    a_eq[:n, k + n:] = -np.eye(n)
    a_eq[n, :k] = 1.0
    b_eq = np.concatenate([y, [1.0]])
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=[(0, None)] * (k + 2 * n), method="highs")
    w = np.clip(res.x[:k], 0.0, None)
    return w / w.sum()


def groups_of(scenarios: list[Scenario]) -> list[str]:
    """The cross-validation group of each scenario: its proposal, else its own id."""
    return [s.procedure.proposal if s.procedure is not None and s.procedure.proposal else s.id for s in scenarios]


def _folds(groups: list[str], k: int, seed: int) -> np.ndarray:
    unique = sorted(set(groups))
    order = child_rng(seed, "deu-folds").permutation(len(unique))
    fold_of = {unique[g]: i % k for i, g in enumerate(order)}
    return np.array([fold_of[g] for g in groups])


def _stacked(f: np.ndarray, y: np.ndarray, rows_fold: np.ndarray, k: int) -> np.ndarray:
    """Out-of-fold forecasts of the stack."""
    pred = np.full(len(y), np.nan)
    for fold in range(k):
        test = rows_fold == fold
        if test.any() and (~test).any():
            pred[test] = f[test] @ fit_weights(f[~test], y[~test])
    return pred


#: Shares of the way from the stack to ``compromise`` (own capabilities), searched in the inner folds.
SHRINK_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
#: The column of ``compromise`` (own capabilities) in :data:`COMPONENTS`: the model ``best`` shrinks towards.
ANCHOR = 0


def fit_shrunk(f: np.ndarray, y: np.ndarray, groups: list[str], k: int = 5, seed: int = 0,
               coverage: float = COVERAGE) -> dict[str, Any]:
    """Fit ``best`` on one training set: stacking weights w on all of it, then the shrinkage
    s towards ``compromise`` (w_s = (1 - s) w + s e_compromise) and the interval half-width from
    an inner K-fold cross-validation grouped by proposal, in which the stack is refitted on each
    inner fold. s is the grid value with the smallest inner MAE (ties go to the larger s)."""
    inner = _stacked(f, y, _folds(groups, k, seed), k)
    ok = ~np.isnan(y) & ~np.isnan(inner)
    anchor = f[:, ANCHOR]
    maes = {s: float(np.mean(np.abs((1 - s) * inner[ok] + s * anchor[ok] - y[ok]))) for s in SHRINK_GRID}
    shrink = min(SHRINK_GRID, key=lambda s: (round(maes[s], 9), -s))
    w = (1 - shrink) * fit_weights(f, y)
    w[ANCHOR] += shrink
    err = np.abs((1 - shrink) * inner[ok] + shrink * anchor[ok] - y[ok])
    return {"weights": w, "shrink": shrink, "inner_mae": maes,
            "half_width": float(np.quantile(err, coverage)) if err.size else float("nan")}


def cross_validate(f: np.ndarray, y: np.ndarray, groups: list[str], k: int = 5, seed: int = 0,
                   coverage: float = COVERAGE) -> dict[str, Any]:
    """Nested K-fold cross-validation grouped by proposal. In each outer fold, everything ``best``
    chooses (stacking weights, shrinkage towards ``compromise``, interval half-width) is chosen on
    the other folds only, by :func:`fit_shrunk` with its own inner folds; the outer fold scores it.
    Rows are issues; f: (N, K) components, y: (N,) outcomes, both in percent of scale. Returns the
    out-of-fold forecasts, half-widths, the nested CV MAE of ``best`` beside the MAE of
    ``compromise`` on the same rows, the coverage, and each fold's weights and shrinkage."""
    groups_arr = np.array(groups)
    fold = _folds(groups, k, seed)
    pred = np.full(len(y), np.nan)
    half = np.full(len(y), np.nan)
    weights, shrinks = [], []
    for i in range(k):
        test, train = fold == i, fold != i
        if not test.any() or not train.any():
            continue
        fit = fit_shrunk(f[train], y[train], list(groups_arr[train]), k, seed + 1 + i, coverage)
        weights.append(fit["weights"])
        shrinks.append(fit["shrink"])
        pred[test] = f[test] @ fit["weights"]
        half[test] = fit["half_width"]
    err = np.abs(pred - y)
    ok = ~np.isnan(y) & ~np.isnan(pred)
    return {"pred": pred, "half_width": half, "fold": fold, "weights": weights, "shrink": shrinks,
            "cv_mae": float(np.mean(err[ok])), "compromise_mae": float(np.mean(np.abs(f[ok, ANCHOR] - y[ok]))),
            "coverage": float(np.mean(err[ok] <= half[ok]))}


def default_model(cv: dict[str, Any]) -> tuple[str, str]:
    """The declared default forecast and why: ``best`` only where its nested CV MAE beats the
    ``compromise`` model's on the same rows, else ``compromise``."""
    b, c = cv["cv_mae"], cv["compromise_mae"]
    if b < c:
        return "best", f"best's nested CV MAE {b:.2f} beats compromise's {c:.2f}"
    return "compromise", (f"best's nested CV MAE {b:.2f} does not beat compromise's {c:.2f}: the weights chosen "
                          "on training folds do not carry to unseen proposals")


def _best(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    fit = fitted()
    arr = scenario.arrays
    w = np.array(fit["weights"])
    w = w / w.sum()  # the stored weights are rounded
    pct = component_forecasts(scenario) @ w
    out = arr.lo + pct / 100.0 * arr.span
    h = fit["half_width"] / 100.0 * arr.span
    interval = {i: [float(max(lo, o - d)), float(min(hi, o + d))]
                for i, o, d, lo, hi in zip(arr.issue_ids, out, h, arr.lo, arr.hi, strict=True)}
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=out, utility=utilities(arr, out), params=params,
                    details={"interval": interval, "coverage": fit["coverage_target"], "shrink": fit.get("shrink", 0.0),
                             "weights": {f"{m} ({c})": float(x) for (m, c), x in zip(COMPONENTS, w, strict=True)
                                         if x > 1e-9}})


def best_cost(scenario: Scenario, params: dict[str, Any]) -> float:
    """The pair evaluations of a run (:mod:`tertius.models.registry`): the sum of its components'
    (each at its defaults; a component that is not a registered model, one term per actor and issue)."""
    return sum(MODELS[m].cost(scenario, MODELS[m].params(None)) if m in MODELS else linear_cost(scenario, params)
               for m, _ in COMPONENTS)


register("best", summary="Stacked ensemble of the models, fitted on the DEU training file by least absolute "
                         "deviations, with an 80 % interval from cross-validated errors.",
         citation="Wolpert (1992); Breiman (1996); components: compromise, weighted median, mean (Achen 2006), "
                  "procedural (Steunenberg 1994), reference point and Commission position.",
         tags=("deterministic", "fitted", "status-quo"), cost=best_cost)(_best)

__all__ = ["ANCHOR", "COMPONENTS", "SHRINK_GRID", "component_forecasts", "cross_validate", "default_model", "fit_shrunk",
           "fit_weights", "fitted", "groups_of"]
