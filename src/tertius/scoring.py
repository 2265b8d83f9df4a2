"""Score forecasts against observed outcomes.

Errors are measured on each issue's own scale and, to pool issues with different scales,
as a percentage of the scale's span (0-100). For DEU issues, whose scales are 0-100, the two
agree. ``mae`` is the mean absolute error in percent of span over all scorable issues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tertius.errors import InputError
from tertius.forecast import Forecast
from tertius.models import MODELS, run_model
from tertius.models.ensemble import component_forecasts, cross_validate, default_model, groups_of
from tertius.models.procedural import with_rule_capabilities
from tertius.resample import cluster_ratios
from tertius.results import ValidationResult
from tertius.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd


def error_table(scenarios: Sequence[Scenario], forecasts: Mapping[str, Sequence[Forecast]]) -> pd.DataFrame:
    """One row per scenario, issue and model: forecast, observed, error, error in % of span."""
    import pandas as pd
    rows: list[dict[str, Any]] = []
    for model, fs in forecasts.items():
        for s, f in zip(scenarios, fs, strict=True):
            arr = s.arrays
            for k, issue_id in enumerate(arr.issue_ids):
                err = f.outcome[k] - arr.observed[k]
                rows.append({
                    "scenario": s.id, "issue": issue_id, "model": model,
                    "forecast": float(f.outcome[k]), "observed": float(arr.observed[k]),
                    "error": float(err), "abs_error_pct": float(abs(err) / arr.span[k] * 100.0),
                })
    return pd.DataFrame(rows, columns=["scenario", "issue", "model", "forecast", "observed", "error", "abs_error_pct"])


def mae_by_model(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """MAE (percent of span) and count of scorable issues per model."""
    out: dict[str, dict[str, Any]] = {}
    for model, group in table.groupby("model", sort=False):
        scorable = group.dropna(subset=["abs_error_pct"])
        out[str(model)] = {"mae": float(scorable["abs_error_pct"].mean()) if len(scorable) else None,
                           "n": int(len(scorable))}
    return out


#: ``--capability`` choices: the scenario's own, or derived from its procedure's rules.
CAPABILITIES = ("own", "shapley", "banzhaf")


def validate(scenarios: Iterable[Scenario] | Scenario, models: Sequence[str] | None = None,
             seed: int = 0, capability: str = "own", cv: int | None = None,
             params: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Run each model on each scenario and score it where outcomes are observed.

    Returns ``{"models": {name: {"mae": float, "n": int}}, "issues": [row, ...]}`` where the
    rows are :func:`error_table` records. ``capability`` 'shapley' or 'banzhaf' replaces the
    capabilities by those the scenario's procedure implies (Council power index, Commission and
    Parliament by procedure; :mod:`tertius.institutions`). With ``cv`` = K, every model also gets
    ``cv_mae``: its K-fold error grouped by proposal. Only ``best`` is fitted, so it alone gets a
    nested cross-validation (its weights, shrinkage and interval chosen inside each outer fold);
    for the fixed models the plain out-of-fold error is their error. ``cv`` adds the interval
    coverage of ``best``, its nested MAE beside ``compromise``'s, which of the two is the default
    forecast on this evidence and why, and the errors per procedure, voting rule and instrument.
    ``params`` gives parameters by model name (``tertius validate -p``), as
    :func:`tertius.analysis.run_models` takes them; the rest keep their defaults, and so do
    ``best``'s components and its cross-validation.
    """
    scenarios = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    models = list(models or MODELS)
    if capability not in CAPABILITIES:
        raise InputError(f"unknown --capability '{capability}'", fix=f"use one of: {', '.join(CAPABILITIES)}")
    if capability != "own":
        scenarios = [with_rule_capabilities(s, capability) for s in scenarios]
    forecasts = {m: [run_model(s, m, (params or {}).get(m), seed=seed) for s in scenarios] for m in models}
    table = error_table(scenarios, forecasts)
    out = ValidationResult(models=mae_by_model(table), issues=error_records(table), capability=capability)
    if cv is not None:
        out["cv"] = _cross_validated(scenarios, table, out["models"], cv, seed)
    return out


def _cross_validated(scenarios: list[Scenario], table: pd.DataFrame, models: dict[str, dict[str, Any]], k: int,
                     seed: int) -> dict[str, Any]:
    for name, v in models.items():
        if name != "best":
            v["cv_mae"] = v["mae"]
    f = np.concatenate([component_forecasts(s) for s in scenarios])
    y = np.concatenate([(s.arrays.observed - s.arrays.lo) / s.arrays.span * 100 for s in scenarios])
    groups = [g for s, g in zip(scenarios, groups_of(scenarios), strict=True) for _ in s.issues]
    res = cross_validate(f, y, groups, k=k, seed=seed)
    if "best" in models:
        models["best"]["cv_mae"] = res["cv_mae"]
    kinds = [(s.procedure.kind, s.procedure.rule, s.procedure.instrument) if s.procedure else ("", "", "")
             for s in scenarios for _ in s.issues]
    ok = ~np.isnan(y)
    by_type: dict[str, dict[str, Any]] = {}
    for label, pos in (("procedure", 0), ("rule", 1), ("instrument", 2)):
        for value in sorted({kd[pos] or "–" for kd in kinds}):
            rows = np.array([(kd[pos] or "–") == value for kd in kinds]) & ok
            if rows.any():
                err = np.abs(res["pred"][rows] - y[rows])
                by_type[f"{label}={value}"] = {
                    "n": int(rows.sum()), "best_cv_mae": float(err.mean()),
                    "best_coverage": float(np.mean(err <= res["half_width"][rows])),
                    "compromise_mae": float(np.abs(f[rows, 0] - y[rows]).mean()),
                }
    default, why = default_model(res)
    ok &= ~np.isnan(res["pred"])
    err = np.abs(res["pred"][ok] - y[ok])
    one = np.ones(int(ok.sum()))
    how_sure = cluster_ratios(np.array(groups)[ok], {
        "best_minus_compromise_mae": (err - np.abs(f[ok, 0] - y[ok]), one),
        "best_coverage": ((err <= res["half_width"][ok]).astype(float), one)}, seed, label="best") if ok.any() else {}
    return {"k": k, "seed": seed, "groups": "proposal", "nested": True, "best_cv_mae": res["cv_mae"],
            "compromise_cv_mae": res["compromise_mae"], "best_shrink": res["shrink"], "default": default,
            "default_why": why, "best_coverage": res["coverage"],
            "best_half_width": [float(x) for x in np.unique(res["half_width"][~np.isnan(res["half_width"])])],
            "by_type": by_type, "how_sure": how_sure}


def error_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of :func:`error_table` as JSON-able dicts (NaN as None)."""
    recs = table.to_dict(orient="records")
    return [{str(k): (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in recs]
