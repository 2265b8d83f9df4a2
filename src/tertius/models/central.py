"""Central-tendency models: mean, weighted median, and the compromise model.

All three work issue by issue. The array functions take positions and weights with any
leading batch axes, shape (..., actors, issues), so a sweep can evaluate many perturbed
scenarios in one call. Absent stances are NaN positions with weight 0. Where every weight on
an issue is 0, the unweighted mean of the positions taken is used instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tertius.forecast import Forecast, utilities
from tertius.models.registry import register
from tertius.scenario import Scenario

#: Relative tolerance for "the cumulative weight is exactly one half" in the weighted median.
MEDIAN_TIE_TOL = 1e-9


def _weights(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return _present_weights(~np.isnan(position), weight)


def _present_weights(present: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weights of the actors that take a position; all of them equal where none has weight."""
    w = np.where(present, weight, 0.0)
    total = w.sum(axis=-2, keepdims=True)
    return np.where(total > 0, w, present.astype(float))


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Σ w x / Σ w over actors (axis -2)."""
    return filled_weighted_mean(np.nan_to_num(position), ~np.isnan(position), weight)


def filled_weighted_mean(filled: np.ndarray, present: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """:func:`weighted_mean` of positions given as ``filled`` (NaN as 0) and ``present`` (not
    NaN), for a caller that averages the same positions under many weights (the game's
    settlements) and so computes the two once. Either may broadcast against ``weight``."""
    w = _present_weights(present, weight)
    return (w * filled).sum(axis=-2) / w.sum(axis=-2)


def weighted_median(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weighted median over actors (axis -2).

    Sort positions; the median is the first position at which the cumulative weight reaches
    half the total. When the cumulative weight equals one half exactly (within a relative
    1e-9), as with two equal blocs, the median is the midpoint between that position and the
    next one with positive weight, like the ordinary median of an even sample. Computed as
    (L + U) / 2 with L the first position where the cumulative weight >= half - tol and U the
    first where it > half + tol; the two coincide except at an exact tie.
    """
    w = _weights(position, weight)
    x = np.where(np.isnan(position), np.inf, position)
    order = np.argsort(x, axis=-2, kind="stable")
    xs = np.take_along_axis(x, order, axis=-2)
    ws = np.take_along_axis(w, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    total = cum[..., -1:, :]
    half = total / 2.0
    tol = MEDIAN_TIE_TOL * total
    lower = np.argmax(cum >= half - tol, axis=-2)
    upper = np.argmax(cum > half + tol, axis=-2)
    lo = np.take_along_axis(xs, lower[..., None, :], axis=-2)[..., 0, :]
    hi = np.take_along_axis(xs, upper[..., None, :], axis=-2)[..., 0, :]
    return (lo + hi) / 2.0


def _forecast(scenario: Scenario, outcome: np.ndarray, params: dict[str, Any]) -> Forecast:
    arr = scenario.arrays
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=outcome,
                    utility=utilities(arr, outcome), params=params)


def _batch_mean(scenario: Scenario, x: np.ndarray, s: np.ndarray, c: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    return weighted_mean(x, (~np.isnan(x)).astype(float))


def _batch_compromise(scenario: Scenario, x: np.ndarray, s: np.ndarray, c: np.ndarray,
                      params: dict[str, Any]) -> np.ndarray:
    return weighted_mean(x, c[..., :, None] * s)


def _batch_median(scenario: Scenario, x: np.ndarray, s: np.ndarray, c: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    return weighted_median(x, c[..., :, None] * s)


@register("mean", summary="Unweighted mean of the positions taken on each issue.",
          citation="Naive baseline; Achen (2006) in Thomson et al., The European Union Decides, ch. 4.",
          batch=_batch_mean, tags=("deterministic",))
def mean(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """The unweighted mean of the actors' positions, issue by issue (a naive baseline)."""
    arr = scenario.arrays
    return _forecast(scenario, weighted_mean(arr.position, arr.present.astype(float)), params)


@register("weighted-median", summary="The median voter, weighted by capability x salience.",
          citation="Black (1948); Bueno de Mesquita (1994) and Achen (2006): c·s-weighted median position.",
          batch=_batch_median, tags=("deterministic",))
def weighted_median_model(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """Median voter position, each actor weighted by capability times salience.

    Black, D. (1948) "On the rationale of group decision-making", JPE 56(1). The capability
    x salience weighting follows Bueno de Mesquita (1994), "Political forecasting: an expected
    utility method", in *European Community Decision Making*, and Achen (2006), ch. 4 of
    Thomson et al., *The European Union Decides*. Ties at exactly half: see
    :func:`weighted_median`.
    """
    arr = scenario.arrays
    w = arr.capability[:, None] * arr.salience
    return _forecast(scenario, weighted_median(arr.position, w), params)


@register("compromise", summary="Capability x salience weighted mean (the compromise model).",
          citation="van den Bos (1991); Achen (2006), The European Union Decides, ch. 4.",
          batch=_batch_compromise, tags=("deterministic",))
def compromise(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """The compromise model: x̂ = Σ c_i s_i x_i / Σ c_i s_i, issue by issue.

    van den Bos, J. M. M. (1991) *Dutch EC policy making*; Achen, C. H. (2006) "Institutional
    realism and bargaining models", ch. 4 of Thomson, Stokman, Achen & König (eds.), *The
    European Union Decides*, Cambridge UP. Achen shows it is a first-order approximation to
    the asymmetric Nash bargaining solution with salience-weighted losses.
    """
    arr = scenario.arrays
    w = arr.capability[:, None] * arr.salience
    return _forecast(scenario, weighted_mean(arr.position, w), params)
