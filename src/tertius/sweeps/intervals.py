"""Forecast intervals: each model's central interval per issue over perturbed draws of the
scenario (docs/uncertainty.md). It runs the models through the sweeps' engine, so it sits beside
it rather than in :mod:`tertius.uncertainty`, which the engine itself uses.

How many draws. Every model follows the same rule, whether or not it has a batch form: draws come
in blocks of :data:`BLOCK`, and after each block (from :data:`MIN_DRAWS` on) the Monte Carlo error
of both endpoints of every issue's interval is measured; drawing stops when each is at most
:data:`TOLERANCE` of the issue's scale, or at the requested maximum. The error of an endpoint (the
``p``-quantile of the forecasts, ``p`` = 0.1 or 0.9) is the half-width of its distribution-free
95 % confidence interval from order statistics: with ``n`` finite draws sorted, ``(X(r), X(s))``
covers the true quantile with probability at least 95 % when ``P(r <= Y <= s - 1) >= 0.95`` for
``Y ~ Binomial(n, p)`` (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, §3.2; the
exact binomial form, :func:`quantile_ci`). The rule reads only the drawn values, so the same seed
gives the same draws and numbers on any machine and load.

How much work. Each model's draws are bounded by their cost, estimated from the scenario's size
alone (the model's ``cost`` in :mod:`tertius.models.registry`, in pair evaluations): a model draws
at most the largest multiple of :data:`BLOCK` whose draws cost at most :data:`COST_BUDGET`. Where
not even the fewest draws the rule stops at (:data:`MIN_DRAWS`) fit, the model's interval is not
drawn: the results record it as ``skipped: cost`` with the cost of a draw and the budget, and
``tertius run --interval-draws N`` (a fixed number of draws, never bounded) or ``tertius sweep``
draws it on request. Like the precision rule, the bound reads only the input, so the same scenario
and seed give the same bytes on any machine and load.

The draws are a prefix of one stream: block ``k`` is ``draw(scenario, spec, child_rng(seed,
"intervals", k), BLOCK)``, so the first ``n`` draws are the same whatever the maximum, and stopping
at ``n`` gives exactly the interval of a fixed run of ``n`` draws (``fixed=True``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tertius.models import get_model
from tertius.perturb import Perturbation, draw
from tertius.scenario import Scenario
from tertius.seeds import child_rng
from tertius.sweeps.engines import SweepJob, evaluate_draws
from tertius.text import finite_or_none
from tertius.uncertainty import LEVEL

#: Draws per block of the intervals' stream (and between two checks of the stopping rule).
BLOCK = 50
#: The fewest draws the precision rule stops at: below it the rule could stop on a few draws that
#: happen to agree. At 100 draws the 10th percentile has n p (1 - p) = 9 draws' worth of binomial
#: variance (the usual floor for the normal approximation Conover gives beside the exact form),
#: and a mode of the forecasts holding 5 % of the draws is missed with probability 0.95^100 < 0.6 %.
MIN_DRAWS = 100
#: The largest Monte Carlo error (the 95 % confidence half-width) of an endpoint, as a share of its
#: issue's scale: 1 %, one unit on a 0-100 scale, the resolution at which the report prints a
#: forecast (two significant digits), and a fifth of the ±5 % a sourced position moves by.
TOLERANCE = 0.01
#: The confidence of the order-statistic interval that measures an endpoint's Monte Carlo error.
CONFIDENCE = 0.95
#: The most draws the precision rule may take for a model without a batch form, which runs its
#: draws one by one (nash's convex programme, the ensembles, exchange, procedural): a bound on the
#: cost, not on the precision, whose error the results still report (``stopped: maximum``). A
#: fixed number of draws (``fixed``) is run whatever the model.
SLOW_MAX_DRAWS = 100
#: The most work one model's interval draws may cost by default, in pair evaluations (the unit of
#: the models' cost estimates, :mod:`tertius.models.registry`): 1,000 draws of bdm's 10 rounds on
#: one issue of 50 actors (10 × 50² × 1,000). Every scenario of the casebook keeps the draws it had
#: before the bound: the largest, litigation (46 actors on one issue), costs 21.2 M for bdm's 1,000
#: draws, and the default scenario (5 actors on 8 issues) 2 M. A draw of bdm on 600 actors × 3
#: issues costs 10.8 M, so that interval is not drawn (it took about two minutes here), while the
#: central models' draws there (1,800 pair evaluations each) keep their 1,000.
COST_BUDGET = 25_000_000


def interval_draws(scenario: Scenario, spec: Perturbation, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Draws ``start`` to ``stop - 1`` of the intervals' stream (blocks of :data:`BLOCK`, block
    ``k`` from ``child_rng(seed, "intervals", k)``): the same numbers whatever else is drawn."""
    parts = []
    for k in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        block = draw(scenario, spec, child_rng(seed, "intervals", k), BLOCK)
        a, b = max(start - k * BLOCK, 0), min(stop - k * BLOCK, BLOCK)
        parts.append({key: v[a:b] for key, v in block.items()})
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def quantile_ci(sorted_values: np.ndarray, p: float, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The distribution-free ``confidence`` interval ``(X(r), X(s))`` of the ``p``-quantile of the
    distribution the sorted values were drawn from (Conover 1999, §3.2, exact binomial form):
    ``r`` the largest and ``s`` the smallest order statistics with ``P(Y <= r - 1) <= a`` and
    ``P(Y <= s - 1) >= 1 - a``, ``a = (1 - confidence) / 2``, ``Y ~ Binomial(n, p)``; None when
    there are too few values for either to exist."""
    # scipy.special's binomial CDF, not scipy.stats' (the same function; scipy.stats takes 0.4 s to
    # import, scipy.special 0.03 s once numpy and scipy.linalg are in), imported where it is used
    from scipy.special import bdtr

    n = sorted_values.size
    if n == 0:
        return None
    a = (1 - confidence) / 2
    cdf = bdtr(np.arange(n + 1), n, p)
    r = int(np.count_nonzero(cdf <= a))  # order statistics are 1-based: X(r) = sorted[r - 1]
    s = int(np.argmax(cdf >= 1 - a)) + 1
    if r < 1 or s > n:
        return None
    return float(sorted_values[r - 1]), float(sorted_values[s - 1])


def _bands(values: np.ndarray, scenario: Scenario, tail: float) -> tuple[dict[str, Any], bool]:
    """Each issue's interval with its endpoints' Monte Carlo errors, and whether every error is
    within :data:`TOLERANCE` of its scale."""
    per_issue, precise = {}, True
    for k, issue in enumerate(scenario.issues):
        v = np.sort(values[:, k][np.isfinite(values[:, k])])
        lo, hi = np.quantile(v, [tail, 1 - tail]) if v.size else (np.nan, np.nan)
        errors = []
        for p in (tail, 1 - tail):
            ci = quantile_ci(v, p)
            errors.append(None if ci is None else (ci[1] - ci[0]) / 2)
        span = issue.scale.max - issue.scale.min
        precise = precise and all(e is not None and e <= TOLERANCE * span for e in errors)
        per_issue[issue.id] = {"lo": finite_or_none(lo), "hi": finite_or_none(hi), "draws": int(v.size),
                               "lo_error": finite_or_none(errors[0]), "hi_error": finite_or_none(errors[1])}
    return per_issue, precise


def cost_bound(cost: float, most: int) -> int:
    """The most draws, up to ``most``, whose cost fits within :data:`COST_BUDGET` at ``cost`` pair
    evaluations a draw: the largest multiple of :data:`BLOCK` that fits (``most`` if it fits whole)."""
    if cost <= 0 or most * cost <= COST_BUDGET:
        return most
    return min(most, BLOCK * int(COST_BUDGET // (cost * BLOCK)))


def not_drawn(scenario: Scenario, cost: float, needed: int) -> dict[str, Any]:
    """The record of an interval left undrawn by the cost bound: no draws, no issues, and why."""
    return {"issues": {}, "draws": 0, "failed": 0, "skipped": "cost", "actors": len(scenario.actors),
            "draws_needed": needed, "cost_per_draw": cost, "budget": COST_BUDGET}


def model_interval(scenario: Scenario, name: str, params: Mapping[str, Any], spec: Perturbation, seed: int,
                   draws: int, level: float = LEVEL, fixed: bool = False) -> dict[str, Any]:
    """One model's intervals: draws in blocks until the precision rule holds (at least
    :data:`MIN_DRAWS`, at most ``draws``), or exactly ``draws`` when ``fixed``."""
    tail = (1 - level) / 2
    job = SweepJob(scenario=scenario, model=name, params=dict(params), spec=spec, seed=seed, n=draws, chunk_size=BLOCK)
    values, failed, done = np.empty((0, len(scenario.issues))), 0, 0
    while True:
        stop = draws if fixed else min(draws, max(done + BLOCK, MIN_DRAWS))
        out, errors = evaluate_draws(job, interval_draws(scenario, spec, seed, done, stop), first=done)
        values = np.concatenate([values, out[[e is None for e in errors]]])
        failed += sum(e is not None for e in errors)
        done = stop
        per_issue, precise = _bands(values, scenario, tail)
        if done >= draws or precise:
            break
    return {"issues": per_issue, "draws": done, "failed": failed,
            "stopped": "fixed" if fixed else ("precision" if precise else "maximum")}


def forecast_intervals(scenario: Scenario, models: list[str], draws: int, seed: int = 0, level: float = LEVEL,
                       params: Mapping[str, Mapping[str, Any]] | None = None, fixed: bool = False) -> dict[str, Any]:
    """Each model's interval for each issue: the central ``level`` share of its forecasts over
    perturbed copies of the scenario (the scenario's ``perturbation:``, else the default one: the
    draws of the sweeps and of the robustness check). ``draws`` is the most draws a model gets;
    how many it uses follows the module's precision rule, the same for every model, within the
    model's cost bound (:func:`cost_bound`; a model whose :data:`MIN_DRAWS` do not fit is recorded
    by :func:`not_drawn`, and a model the bound held below ``draws`` records its ``max_draws``),
    unless ``fixed`` (then exactly ``draws``, whatever the cost). Each issue's endpoints carry their Monte Carlo errors
    (``lo_error``, ``hi_error``: the 95 % confidence half-widths; None with too few draws). A
    draw a model fails on is left out and counted. ``params``: model parameters by model."""

    if draws < 1:
        return {"level": level, "draws": 0, "models": {}}
    spec = scenario.perturbation or Perturbation()
    out = {}
    for name in models:
        given = (params or {}).get(name, {})
        model = get_model(name)
        if fixed:
            out[name] = model_interval(scenario, name, given, spec, seed, draws, level, fixed)
            continue
        most = draws if model.batch is not None else min(draws, SLOW_MAX_DRAWS)
        cost = model.cost(scenario, model.params(given))
        bounded = cost_bound(cost, most)
        if bounded < min(MIN_DRAWS, most):
            out[name] = not_drawn(scenario, cost, min(MIN_DRAWS, most))
            continue
        out[name] = model_interval(scenario, name, given, spec, seed, bounded, level, fixed)
        if bounded < most:  # the cost, not the rule's maximum, bounded the draws
            out[name]["max_draws"] = bounded
    rule = ({"fixed": draws} if fixed else
            {"min_draws": min(MIN_DRAWS, draws), "max_draws": draws, "max_draws_one_by_one": min(SLOW_MAX_DRAWS, draws),
             "block": BLOCK, "tolerance": TOLERANCE, "confidence": CONFIDENCE})
    return {"level": level, "draws": draws, "seed": seed, "rule": rule, "perturbation": spec.model_dump(),
            "models": out}


__all__ = ["BLOCK", "CONFIDENCE", "COST_BUDGET", "MIN_DRAWS", "SLOW_MAX_DRAWS", "TOLERANCE", "cost_bound",
           "forecast_intervals", "interval_draws", "model_interval", "not_drawn", "quantile_ci"]
