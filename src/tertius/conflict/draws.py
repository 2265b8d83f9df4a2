"""The robustness draws of a war: each phase's war built over drawn inputs, and where each input
of :mod:`tertius.uncertainty` enters the war, so a drawn or searched value is written straight into
the built war's numbers instead of rebuilding the scenario (shared by the draws here and the
break-even search of :mod:`tertius.breakeven`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tertius.conflict.war import build_war, phase_capability, stack, with_inputs
from tertius.scenario import Phase, Scenario
from tertius.uncertainty import LEVELS, Input, copy_data, moved_in_draws, set_value


def input_levels(moved: list[Input], size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, inputs) stratified levels: each input's :data:`LEVELS` levels in a random order.
    The inputs' permutations are drawn in the order of their keys, not of the file, so the same
    scenario with its maps (costs, broker costs…) written in another order draws the same values."""
    perm = {i: rng.permutation(np.arange(size) % LEVELS) for i in sorted(range(len(moved)), key=lambda i: moved[i].key)}
    return np.stack([perm[i] for i in range(len(moved))], axis=1) if moved else np.zeros((size, 0), dtype=int)


def war_draws(scenario: Scenario, phase: Any, batch: dict[str, np.ndarray], rng: np.random.Generator
              ) -> tuple[list[tuple[np.ndarray, Any]], list[Input]]:
    """The phase's war over drawn inputs: ``batch`` (positions, saliences, capabilities from
    :func:`tertius.sweeps.perturb.draw`), and each input of :func:`moved_in_draws` drawn within its
    range (:data:`LEVELS` stratified levels). Returns groups (draw indices, batched War) for the
    game, and the inputs that moved."""

    size = batch["position"].shape[0]
    moved = moved_in_draws(scenario)
    levels = input_levels(moved, size, rng)
    lo, hi = np.array([i.lo for i in moved]), np.array([i.hi for i in moved])
    values = lo + (hi - lo) * (levels + 0.5) / LEVELS
    cap = phase_capability(scenario, phase)
    base_cap = scenario.arrays.capability
    factor = np.where(base_cap > 0, cap / np.where(base_cap > 0, base_cap, 1.0), 1.0)
    data = scenario.to_data()
    base = build_war(scenario, phase)
    targets = [war_target(scenario, phase, inp.path) for inp in moved]
    direct = [(t[0], t[1]) if t is not None and t[0] in _NUMBERS else None for t in targets]
    rebuilt = [i for i, t in enumerate(targets) if t is not None and direct[i] is None]
    built: dict[bytes, Any] = {}
    wars = []
    for d in range(size):
        key = levels[d, rebuilt].tobytes()
        if key not in built:  # inputs that reach the war through the scenario: build it again
            if rebuilt:
                copy = copy_data(data)
                for i in rebuilt:
                    set_value(copy, moved[i].path, float(values[d, i]))
                built[key] = build_war(Scenario.model_validate(copy), phase)
            else:
                built[key] = base
        war = built[key]
        changes: dict[str, Any] = {}
        for i, f in enumerate(direct):  # the others are the war's own numbers: set them there
            if f is not None:
                name, k = f
                if k is None:
                    changes[name] = float(values[d, i])
                else:
                    arr = changes.get(name, getattr(war, name)).copy()
                    arr[k] = values[d, i]
                    changes[name] = arr
        if changes:
            war = replace(war, **changes)
        wars.append(with_inputs(war, batch["position"][d:d + 1], batch["salience"][d:d + 1],
                                batch["capability"][d:d + 1] * factor))
    return stack(wars), moved


#: A war field an input writes directly, with where: (field, index, divisor). ``None``: the input
#: does not enter the phase's war; :data:`REBUILD`: the scenario is rebuilt for each value.
Target = tuple[str, Any, float]
REBUILD = ("rebuild", None, 1.0)


def war_target(scenario: Scenario, phase: Phase | None, path: tuple) -> Target | None:
    """Where ``build_war`` puts the input at ``path`` in the war of ``phase`` (see :data:`Target`).
    Only the plain copies are listed: a cost, a broker cost, ``loser_weight``, the Tullock
    decisiveness, a stance in force in the phase, and the inputs of the strengths (capability,
    distance, ``miles_per_day``); anything else is rebuilt."""
    c = scenario.conflict
    assert c is not None
    ids, issues = scenario.actor_ids, scenario.issue_ids
    phases = list(c.phases)
    here = phases.index(phase) if phase is not None and phase in phases else None
    war_trap = c.contest == "war-trap"
    if path[:1] == ("conflict",) and len(path) == 3 and path[1] in ("costs", "broker_costs") and path[2] in ids:
        return ("cost" if path[1] == "costs" else "broker_cost", ids.index(str(path[2])), 1.0)
    if path == ("conflict", "loser_weight"):
        return ("loser_weight", None, 1.0)
    if path == ("conflict", "decisiveness"):
        return None if war_trap else ("decisiveness", None, 1.0)
    if path == ("conflict", "miles_per_day"):
        return ("miles_per_day", None, 1.0) if war_trap else None
    stance = None
    if len(path) == 3 and path[0] == "stances" and isinstance(path[1], int):
        stance, own = scenario.stances[path[1]], None
    elif len(path) == 6 and path[:2] == ("conflict", "phases") and path[3] == "stances" and isinstance(path[2], int):
        if path[2] != here:
            return None
        stance, own = phases[path[2]].stances[int(path[4])], path[2]
    if stance is not None and path[-1] in ("position", "salience"):
        where = (ids.index(stance.actor), issues.index(stance.issue))
        if own is None and phase is not None and any((s.actor, s.issue) == (stance.actor, stance.issue)
                                                      for s in phase.stances):
            return None  # the phase's own stance is in force
        return (str(path[-1]), where, scenario.salience_scale if path[-1] == "salience" else 1.0)
    if len(path) == 3 and path[0] == "actors" and isinstance(path[1], int) and path[2] in ("capability", "distance"):
        actor = scenario.actors[path[1]].id
        if path[2] == "distance":
            return ("miles", path[1], 1.0) if war_trap else None
        if phase is not None and actor in phase.capabilities:
            return None
        return ("capability", path[1], 1.0)
    if len(path) == 5 and path[:2] == ("conflict", "phases") and path[3] == "capabilities" and path[4] in ids:
        return ("capability", ids.index(str(path[4])), 1.0) if path[2] == here else None
    return REBUILD


#: The war's own numbers that a drawn input is written into directly (the rest of
#: :func:`war_target`'s targets, the capabilities and the stances, rebuild the scenario). The
#: distances and ``miles_per_day`` enter only through the strengths, which :func:`with_inputs`
#: projects again from the war's ``miles`` for every draw, so writing an actor's distance into
#: ``miles`` gives the war that rebuilding the scenario with that distance gives.
_NUMBERS = ("cost", "broker_cost", "loser_weight", "decisiveness", "miles_per_day", "miles")
