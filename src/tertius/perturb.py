"""Declared perturbations of a scenario's inputs, drawn as a batch.

A :class:`Perturbation` says how much each input may move:

* ``position``: additive noise in issue-scale units (the half-width of a uniform draw, or the
  standard deviation of a normal one);
* ``salience`` and ``capability``: multiplicative noise, relative to the value (0.2 = ±20 %);
* ``overrides``: per-actor or per-issue values of the same three fields;
* ``distribution``: ``uniform``, ``normal`` (clipped to the valid range) or ``truncnorm``
  (a normal truncated to the valid range, so no mass piles up at the bounds).

Draws always stay valid: positions on their issue's scale, saliences in [0, 1] (on the
scenario's own salience scale), capabilities at least 0. Draws come as arrays with a leading
batch axis, so models can evaluate them all at once.
"""

from __future__ import annotations

import numpy as np

from tertius.errors import InputError, ScenarioProblem
from tertius.scenario import Override, Perturbation, Scenario, check_overrides

__all__ = ["Override", "Perturbation", "apply", "draw", "widths"]


def widths(spec: Perturbation, scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (actor, issue) position and salience widths and per-actor capability widths."""
    try:
        check_overrides(scenario, spec)
    except ScenarioProblem as p:
        raise InputError(p.message, file=f"scenario {scenario.id}", path=p.path, fix=p.fix) from None
    n, m = len(scenario.actors), len(scenario.issues)
    pos = np.full((n, m), spec.position)
    sal = np.full((n, m), spec.salience)
    cap = np.full(n, spec.capability)
    for o in spec.overrides:  # later overrides win; an actor-and-issue override is most specific
        rows = slice(None) if o.actor is None else scenario.actor_ids.index(o.actor)
        cols = slice(None) if o.issue is None else scenario.issue_ids.index(o.issue)
        if o.position is not None:
            pos[rows, cols] = o.position
        if o.salience is not None:
            sal[rows, cols] = o.salience
        if o.capability is not None and o.issue is None:
            cap[rows] = o.capability
    return pos, sal, cap


def _noise(rng: np.random.Generator, dist: str, shape: tuple[int, ...], lo: np.ndarray | None = None,
           hi: np.ndarray | float | None = None) -> np.ndarray:
    """Standard noise: uniform on [-1, 1] or standard normal; truncated to [lo, hi] for truncnorm."""
    if dist == "uniform":
        return rng.uniform(-1.0, 1.0, shape)
    if dist == "normal" or lo is None:
        return rng.standard_normal(shape)
    from scipy.stats import truncnorm  # only this distribution needs scipy.stats (slow to import)

    a = np.broadcast_to(np.nan_to_num(lo, nan=-1.0, neginf=-1e6), shape)
    assert hi is not None  # truncnorm is always drawn with both bounds
    b = np.broadcast_to(np.nan_to_num(hi, nan=1.0, posinf=1e6), shape)
    b = np.where(b > a, b, a + 1.0)  # degenerate ranges (no room to move) are masked out by the caller
    return truncnorm.rvs(a, b, size=shape, random_state=rng)


def draw(scenario: Scenario, spec: Perturbation, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """``size`` perturbed copies of the scenario's arrays: position (size, n, m), salience
    (size, n, m) on [0, 1], capability (size, n). Absent stances stay NaN / 0."""
    arr = scenario.arrays
    w_pos, w_sal, w_cap = widths(spec, scenario)
    n, m = arr.position.shape
    lo, hi = arr.lo[None, None, :], arr.hi[None, None, :]
    x = np.broadcast_to(arr.position, (size, n, m))
    s = np.broadcast_to(arr.salience, (size, n, m))
    c = np.broadcast_to(arr.capability, (size, n))
    dist = spec.distribution
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if dist == "truncnorm":
            z_pos = _noise(rng, dist, (size, n, m), np.where(w_pos > 0, (lo - x) / w_pos, -1.0),
                           np.where(w_pos > 0, (hi - x) / w_pos, 1.0))
            rel_s = np.where(w_sal > 0, -1.0 / w_sal, -1.0)
            z_sal = _noise(rng, dist, (size, n, m), rel_s, np.where((w_sal > 0) & (s > 0), (1.0 / s - 1.0) / w_sal, 1.0))
            z_cap = _noise(rng, dist, (size, n), np.where(w_cap > 0, -1.0 / w_cap, -1.0), np.inf)
        else:
            z_pos = _noise(rng, dist, (size, n, m))
            z_sal = _noise(rng, dist, (size, n, m))
            z_cap = _noise(rng, dist, (size, n))
    position = np.clip(x + z_pos * w_pos, lo, hi)
    position = np.where(np.isnan(x), np.nan, position)
    salience = np.clip(s * (1.0 + z_sal * w_sal), 0.0, 1.0)
    capability = np.maximum(c * (1.0 + z_cap * w_cap), 0.0)
    return {"position": position, "salience": salience, "capability": capability}


def apply(scenario: Scenario, position: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> Scenario:
    """One drawn copy as a full Scenario (for models without a batch form)."""
    data = scenario.to_data()
    data.pop("perturbation", None)
    a_index = {a: k for k, a in enumerate(scenario.actor_ids)}
    i_index = {i: k for k, i in enumerate(scenario.issue_ids)}
    for k, a in enumerate(data["actors"]):
        a["capability"] = float(capability[k])
    for st in data["stances"]:
        a, i = a_index[st["actor"]], i_index[st["issue"]]
        st["position"] = float(position[a, i])
        st["salience"] = float(salience[a, i] * scenario.salience_scale)
    return Scenario.model_validate(data)
