"""The model registry: every model is a pure function registered under a name.

A model has the signature ``model(scenario, params, rng) -> Forecast``; :func:`run_model` writes
the name it is registered under into the forecast's ``model``. ``params`` is a dict
already completed with the model's documented defaults; ``rng`` is a
``numpy.random.Generator`` and is the only source of randomness a model may use.

Each model also declares the cost of one run (``cost``), estimated from the scenario's size alone,
in **pair evaluations**: one actor's term evaluated against another actor (bdm's expected utility
of a challenge, exchange's gain of a trade) or, for a model without pairs, one actor's term on one
issue. The forecast intervals bound their draws by it (:mod:`tertius.sweeps.intervals`), so the
bound reads the input only, never the clock or the load. ``n_i`` below is the number of actors
with a position on issue ``i``.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tertius.errors import PARAMS, InputError
from tertius.forecast import Forecast
from tertius.scenario import Scenario

ModelFn = Callable[[Scenario, dict[str, Any], np.random.Generator], Forecast]
#: A batch form: (scenario, position (B, n, m), salience (B, n, m) on [0, 1], capability (B, n),
#: params) -> outcomes (B, m). It must give the same numbers as the model run on each draw.
BatchFn = Callable[[Scenario, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]], np.ndarray]
#: A cost estimate: (scenario, params completed with the defaults) -> pair evaluations of one run.
CostFn = Callable[[Scenario, dict[str, Any]], float]


def actors_per_issue(scenario: Scenario) -> np.ndarray:
    """``n_i``: the number of actors with a position on each issue."""
    return scenario.arrays.present.sum(axis=0)


def linear_cost(scenario: Scenario, params: Mapping[str, Any]) -> float:
    """Σ_i n_i: one term per actor and issue (a mean; a weighted median's sort adds a log factor of
    at most a few tens, left out). The cost of a model that declares none."""
    return float(actors_per_issue(scenario).sum())


def rounds_pairs_cost(scenario: Scenario, params: Mapping[str, Any]) -> float:
    """rounds × Σ_i n_i²: every ordered pair of actors on every issue, in each round (bdm)."""
    n = actors_per_issue(scenario).astype(float)
    return float(params["rounds"]) * float(np.sum(n * n))


@dataclass(frozen=True)
class ModelSpec:
    name: str
    fn: ModelFn
    summary: str
    citation: str
    defaults: dict[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    batch: BatchFn | None = None
    cost: CostFn = linear_cost

    def params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            known = ", ".join(self.defaults) or "none"
            raise InputError(f"model '{self.name}' has no parameter {', '.join(unknown)}",
                             fix=f"its parameters are: {known}", file=PARAMS)
        out = dict(self.defaults)
        for k, v in given.items():
            default = self.defaults[k]
            try:
                out[k] = type(default)(v) if default is not None and not isinstance(default, bool) else v
            except (TypeError, ValueError, OverflowError):  # OverflowError: an int of 1e400
                raise InputError(f"parameter {k}={v!r} of model '{self.name}' is not of type {type(default).__name__}",
                                 fix=f"give {_KINDS.get(type(default), 'a value like the default')}, e.g. {k}={default}",
                                 file=PARAMS) from None
        return out


#: How an error names the kind of value a parameter takes.
_KINDS = {int: "a whole number", float: "a number", str: "text"}

MODELS: dict[str, ModelSpec] = {}


def register(name: str, *, summary: str, citation: str, defaults: Mapping[str, Any] | None = None,
             tags: tuple[str, ...] = (), batch: BatchFn | None = None,
             cost: CostFn = linear_cost) -> Callable[[ModelFn], ModelFn]:
    def wrap(fn: ModelFn) -> ModelFn:
        if name in MODELS:
            raise ValueError(f"model {name!r} registered twice")
        MODELS[name] = ModelSpec(name, fn, summary, citation, dict(defaults or {}), frozenset(tags), batch, cost)
        return fn

    return wrap


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise InputError(f"unknown model '{name}'", fix=f"use one of: {', '.join(MODELS)}") from None


_SHARED: contextvars.ContextVar[dict[tuple, tuple[Scenario, Forecast]] | None] = contextvars.ContextVar("tertius_shared_runs",
                                                                                     default=None)


@contextlib.contextmanager
def shared_runs() -> Iterator[None]:
    """Within the block, a model run with the same scenario, parameters and integer seed as an
    earlier one returns that forecast instead of running again (an ensemble's components, say,
    when the components were run on their own too). Scenarios are immutable, so the result is
    the same; runs with a Generator for a seed are never shared."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def run_model(scenario: Scenario, name: str, params: Mapping[str, Any] | None = None,
              seed: int | np.random.Generator | None = 0) -> Forecast:
    """Run a registered model. All randomness comes from ``seed`` (an int or a Generator)."""
    spec = get_model(name)
    full = spec.params(params)
    memo = _SHARED.get()
    key = None
    if memo is not None and not isinstance(seed, np.random.Generator):
        key = (id(scenario), name, repr(sorted(full.items())), seed)
        if key in memo:
            return memo[key][1]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = spec.fn(scenario, full, rng)
    if out.model != spec.name:  # the registry, not the model, names the forecast
        out = dataclasses.replace(out, model=spec.name)
    if memo is not None and key is not None:
        memo[key] = (scenario, out)  # the scenario is kept so that its id is not reused
    return out
