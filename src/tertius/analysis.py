"""The full analysis of one scenario, as run by ``tertius run``: every model, scores, and the
sensitivity of the forecasts to capabilities that rest on an assumption.

The result is plain JSON-able data. Reports are rendered from it after it is saved, so a
report never runs a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from tertius.breakeven import forecast_search, search
from tertius.conflict import DEFAULT_DRAWS, third_parties
from tertius.errors import PARAMS, InputError
from tertius.forecast import Forecast
from tertius.models import MODELS, get_model, run_model
from tertius.models.registry import shared_runs
from tertius.scenario import Actor, Quantity, Scenario
from tertius.scoring import error_records, error_table, mae_by_model
from tertius.sweeps.intervals import forecast_intervals
from tertius.uncertainty import inputs
from tertius.version import __version__

#: Factors applied to an assumed capability in the sensitivity check.
SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)


def with_capability(scenario: Scenario, actor_id: str, value: float) -> Scenario:
    """A copy of the scenario with one actor's capability replaced."""
    actors = [
        a if a.id != actor_id else Actor(**{**a.model_dump(), "capability": Quantity(
            value=value, assumption="sensitivity check")})
        for a in scenario.actors
    ]
    return Scenario.model_validate({**scenario.to_data(), "actors": [a.model_dump() for a in actors]})


def capability_sensitivity(scenario: Scenario, models: Sequence[str], seed: int = 0,
                           factors: Sequence[float] = SENSITIVITY_FACTORS,
                           params: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Forecasts when each assumed (not sourced) capability is scaled by ``factors`` (``params``:
    model parameters by model, as for :func:`run_models`)."""
    rows = []
    for actor in scenario.actors:
        if actor.capability.assumption is None:
            continue
        for factor in factors:
            varied = with_capability(scenario, actor.id, actor.capability.value * factor)
            for m in models:
                try:
                    f = run_model(varied, m, (params or {}).get(m), seed=seed)
                except InputError:  # refused at this capability: nothing to compare
                    continue
                for k, issue_id in enumerate(f.issue_ids):
                    rows.append({"actor": actor.id, "factor": factor,
                                 "capability": actor.capability.value * factor, "model": m,
                                 "issue": issue_id, "outcome": float(f.outcome[k])})
    return rows


#: In the default results, a per-actor mapping of numbers (or of records of numbers) in a model's
#: details with more entries than this is replaced by its total (``tertius run --full`` keeps every
#: entry).
COMPACT_ABOVE = 50
#: In the default results, a round of exchange's ``details["exchanges"]`` lists at most this many
#: exchanges, its largest by gain (in their order), and ``exchanges_left_out`` says how many the
#: rounds left out (``tertius run --full`` keeps every one). The report shows round 1's 15 largest
#: by gain and the page each round's 5 largest, so both read what is kept; at 600 actors the full
#: list was 6.9 MB of the 14 MB results.json.
EXCHANGES_KEPT = 50


def _numbers(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _records_of_numbers(values: list[Any]) -> bool:
    """Whether every value is a mapping of numbers with the same keys as the first."""
    first = values[0] if values else None
    return isinstance(first, dict) and all(
        isinstance(v, dict) and v.keys() == first.keys() and all(map(_numbers, v.values())) for v in values)


def _largest_exchanges(rounds: list[Any]) -> tuple[list[Any], int]:
    """Each round's :data:`EXCHANGES_KEPT` largest exchanges by gain, in their order, and how many
    were left out."""
    kept, left_out = [], 0
    for trades in rounds:
        if len(trades) <= EXCHANGES_KEPT:
            kept.append(trades)
            continue
        order = sorted(range(len(trades)), key=lambda k: -trades[k]["gain"])[:EXCHANGES_KEPT]
        kept.append([trades[k] for k in sorted(order)])
        left_out += len(trades) - EXCHANGES_KEPT
    return kept, left_out


def compact(value: Any) -> Any:
    """A model's details without bulky per-actor maps (see :data:`COMPACT_ABOVE`) or long lists of
    exchanges (:data:`EXCHANGES_KEPT`)."""
    if isinstance(value, dict):
        # map(isinstance, ...) tests each entry in C: at 600 actors exchange's details hold 10 M of them
        if len(value) > COMPACT_ABOVE and all(map(isinstance, value.values(), repeat((int, float)))):
            return {f"total of {len(value)} (tertius run --full keeps each)": float(sum(value.values()))}
        if len(value) > COMPACT_ABOVE and _records_of_numbers(list(value.values())):
            keys = next(iter(value.values())).keys()
            return {f"total of {len(value)} (tertius run --full keeps each)":
                    {k: float(sum(v[k] for v in value.values())) for k in keys}}
        rounds = value.get("exchanges")
        if isinstance(rounds, list) and any(isinstance(r, list) and len(r) > EXCHANGES_KEPT for r in rounds):
            kept, left_out = _largest_exchanges(rounds)  # cut before compacting what is kept
            note = (f"each round lists its {EXCHANGES_KEPT} largest exchanges by gain; "
                    f"{left_out:,} smaller ones are left out (tertius run --full keeps each)")
            value = {**value, "exchanges": kept, "exchanges_left_out": note}
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def run_models(scenario: Scenario, models: Sequence[str] | None = None, seed: int = 0,
               params: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[dict[str, Forecast], dict[str, str]]:
    """Each model's forecast, and the models that refused the scenario with why. An unknown model
    name is an error; a refusal by one model does not sink the others, but a refusal by all does.
    ``params`` gives parameters by model name (``tertius forecast -p``); the rest keep their defaults."""
    models = list(models or MODELS)
    for m in models:
        get_model(m)  # an unknown name is the user's mistake, not a model's refusal
    forecasts, refused = {}, {}
    with shared_runs():  # an ensemble's components are not run twice
        for m in models:
            try:
                forecasts[m] = run_model(scenario, m, (params or {}).get(m), seed=seed)
            except InputError as e:  # one model's refusal does not sink the others
                if e.file == PARAMS:  # but a bad parameter is the user's mistake, not a refusal
                    raise
                refused[m] = e.message + (f" (fix: {e.fix})" if e.fix else "")
    if not forecasts:
        raise InputError("every model refused the scenario: " + "; ".join(f"{m}: {r}" for m, r in refused.items()),
                         fix="check the scenario's stances and capabilities")
    return forecasts, refused


def scores(scenario: Scenario, forecasts: dict[str, Forecast]) -> dict[str, Any]:
    """The scores of ``tertius run``: per model the MAE in % of each issue's scale span and the
    number of scored issues, and per issue and model the forecast, observed value and errors."""
    table = error_table([scenario], {m: [f] for m, f in forecasts.items()})
    return {"models": mae_by_model(table), "issues": error_records(table)}


def analyse(scenario: Scenario, models: Sequence[str] | None = None, seed: int = 0,
            draws: int = DEFAULT_DRAWS, full: bool = False,
            params: Mapping[str, Mapping[str, Any]] | None = None, interval_draws: int | None = None) -> dict[str, Any]:
    """Run every model on the scenario, score it, and check sensitivity to assumptions; for a
    scenario that declares a conflict, add the third-party analysis (key ``third_parties``). Unless ``full``,
    bulky per-actor maps in the models' details are summed (:func:`compact`). ``params`` gives
    model parameters by model (``tertius run -p``); every model run of the analysis uses them. The
    forecast intervals take as many draws as their precision rule needs, up to ``draws``
    (:mod:`tertius.sweeps.intervals`), or exactly ``interval_draws`` when it is given."""
    forecasts, refused = run_models(scenario, models, seed=seed, params=params)
    ran = list(forecasts)
    scored = scores(scenario, forecasts)
    return {
        "tertius_version": __version__,
        "seed": seed,
        "scenario": scenario.to_data(),
        "models": {m: {"summary": MODELS[m].summary, "citation": MODELS[m].citation} for m in ran},
        "refused": refused,
        "forecasts": {m: f.to_dict() if full else {**f.to_dict(), "details": compact(f.details)}
                      for m, f in forecasts.items()},
        "scores": scored,
        "sensitivity": capability_sensitivity(scenario, ran, seed=seed, params=params),
        "third_parties": third_parties(scenario, draws=draws, seed=seed) if scenario.conflict is not None else None,
        **breakevens(scenario, ran, params),
        "intervals": forecast_intervals(scenario, interval_models(scenario, ran, scored),
                                        draws if interval_draws is None else interval_draws, seed=seed, params=params,
                                        fixed=interval_draws is not None),
        "inputs": [i.to_data() for i in inputs(scenario)],
    }


def head_model(scored: dict[str, Any], models: Sequence[str]) -> str:
    """The model the summary leads with: the best-scored (lowest MAE), else the first."""
    ranked = [m for m in models if scored["models"].get(m, {}).get("mae") is not None]
    return min(ranked, key=lambda m: scored["models"][m]["mae"]) if ranked else models[0]


def interval_models(scenario: Scenario, ran: Sequence[str], scored: dict[str, Any]) -> list[str]:
    """The models whose 80 % intervals are drawn: every model with a batch form, and the
    summary's model (:func:`head_model`) in any case; each within its cost bound, the summary's
    model too (:func:`tertius.sweeps.intervals.cost_bound`)."""
    head = head_model(scored, ran) if ran else None
    return [m for m in ran if m in MODELS and (MODELS[m].batch is not None or m == head)]


def breakevens(scenario: Scenario, ran: Sequence[str],
               params: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The results' two break-even tables (:mod:`tertius.breakeven`): ``breakeven``, for each third
    party's option (None without a conflict), and ``breakeven_forecasts``, for the forecasts of the
    models in ``ran``."""
    return {"breakeven": _breakeven(scenario),
            "breakeven_forecasts": forecast_search(scenario, [m for m in ran if m in MODELS], params=params)}


def _breakeven(scenario: Scenario) -> dict[str, Any] | None:
    """What would have to be true for each third party's option to change (:mod:`tertius.breakeven`)."""
    if scenario.conflict is None:
        return None

    return search(scenario)
