"""Forecast intervals: each model's central interval per issue over perturbed draws of the
scenario (docs/uncertainty.md). It runs the models through the sweeps' engine, so it sits beside
it rather than in :mod:`tertius.uncertainty`, which the engine itself uses."""

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
from tertius.uncertainty import LEVEL, SLOW_DRAWS


def forecast_intervals(scenario: Scenario, models: list[str], draws: int, seed: int = 0,
                       level: float = LEVEL, params: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Each model's interval for each issue: the central ``level`` share of its forecasts over
    ``draws`` perturbed copies of the scenario (the scenario's ``perturbation:``, else the
    default one: the draws of the sweeps and of the robustness check). Models with a batch form
    evaluate every draw at once; others run the first :data:`SLOW_DRAWS` draws one by one. A
    draw a model fails on is left out and counted. ``params``: model parameters by model."""

    if draws < 1:
        return {"level": level, "draws": 0, "models": {}}
    spec = scenario.perturbation or Perturbation()
    batch = draw(scenario, spec, child_rng(seed, "intervals"), draws)
    tail = (1 - level) / 2
    out: dict[str, Any] = {}

    for name in models:
        size = draws if get_model(name).batch is not None else min(draws, SLOW_DRAWS)
        job = SweepJob(scenario=scenario, model=name, params=dict((params or {}).get(name, {})), spec=spec, seed=seed,
                       n=size, chunk_size=size)
        values, errors = evaluate_draws(job, {k: v[:size] for k, v in batch.items()})
        ok = values[[e is None for e in errors]]
        per_issue = {}
        for k, issue in enumerate(scenario.issue_ids):
            v = ok[:, k][np.isfinite(ok[:, k])]
            lo, hi = np.quantile(v, [tail, 1 - tail]) if v.size else (np.nan, np.nan)
            per_issue[issue] = {"lo": finite_or_none(lo), "hi": finite_or_none(hi), "draws": int(v.size)}
        out[name] = {"issues": per_issue, "draws": size, "failed": int(sum(e is not None for e in errors))}
    return {"level": level, "draws": draws, "seed": seed, "perturbation": spec.model_dump(), "models": out}


__all__ = ["forecast_intervals"]
