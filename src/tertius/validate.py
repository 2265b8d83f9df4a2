"""Score forecasts against observed outcomes.

Errors are measured on each issue's own scale and, to pool issues with different scales,
as a percentage of the scale's span (0-100). For DEU issues, whose scales are 0-100, the two
agree. ``mae`` is the mean absolute error in percent of span over all scorable issues.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tertius.forecast import Forecast
from tertius.models import MODELS, run_model
from tertius.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd


def error_table(scenarios: Sequence[Scenario], forecasts: dict[str, Sequence[Forecast]]) -> pd.DataFrame:
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


def summarise(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """MAE (percent of span) and count of scorable issues per model."""
    out: dict[str, dict[str, Any]] = {}
    for model, group in table.groupby("model", sort=False):
        scorable = group.dropna(subset=["abs_error_pct"])
        out[str(model)] = {"mae": float(scorable["abs_error_pct"].mean()) if len(scorable) else None,
                           "n": int(len(scorable))}
    return out


def validate(scenarios: Iterable[Scenario] | Scenario, models: Sequence[str] | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Run each model on each scenario and score it where outcomes are observed.

    Returns ``{"models": {name: {"mae": float, "n": int}}, "issues": [row, ...]}`` where the
    rows are :func:`error_table` records. Nothing is fitted to the outcomes, so these
    in-sample errors are also out-of-sample errors.
    """
    scenarios = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    models = list(models or MODELS)
    forecasts = {m: [run_model(s, m, seed=seed) for s in scenarios] for m in models}
    table = error_table(scenarios, forecasts)
    return {"models": summarise(table), "issues": _records(table)}


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    recs = table.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in recs]
