"""The robustness draws set a conflict's own numbers (costs, costs of brokering, loser_weight,
the march rate) on the built war, and rebuild the scenario only for the inputs that reach the war
through it: both give the same wars as rebuilding the scenario for every draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tertius.conflict.draws import input_levels, war_draws
from tertius.conflict.war import build_war, phase_capability, phases_of, with_inputs
from tertius.io import load_scenario
from tertius.perturb import Perturbation, draw
from tertius.scenario import Scenario
from tertius.seeds import child_rng
from tertius.uncertainty import LEVELS, copy_data, moved_in_draws, set_value

ROOT = Path(__file__).resolve().parents[1]
CASES = [ROOT / "src/tertius/scenarios/second_opium_war.yaml", ROOT / "casebook/first-balkan-war-london-1912.yaml",
         ROOT / "casebook/greco-turkish-war-mudanya-1922.yaml"]


def _rebuilt(scenario: Scenario, phase, batch, rng) -> list:
    """The wars of :func:`war_draws`, each built from its own copy of the scenario."""
    size = batch["position"].shape[0]
    moved = moved_in_draws(scenario)
    levels = input_levels(moved, size, rng)
    lo, hi = np.array([i.lo for i in moved]), np.array([i.hi for i in moved])
    values = lo + (hi - lo) * (levels + 0.5) / LEVELS
    cap = phase_capability(scenario, phase)
    base = scenario.arrays.capability
    factor = np.where(base > 0, cap / np.where(base > 0, base, 1.0), 1.0)
    out = []
    for d in range(size):
        data = copy_data(scenario.to_data())
        for i, inp in enumerate(moved):
            set_value(data, inp.path, float(values[d, i]))
        war = build_war(Scenario.model_validate(data), phase)
        out.append(with_inputs(war, batch["position"][d:d + 1], batch["salience"][d:d + 1],
                               batch["capability"][d:d + 1] * factor))
    return out


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_drawn_wars_equal_wars_rebuilt_from_the_scenario(path):
    scenario = load_scenario(path)
    for phase in phases_of(scenario)[:2]:
        batch = draw(scenario, scenario.perturbation or Perturbation(), child_rng(3, "test", "batch"), 24)
        groups, moved = war_draws(scenario, phase, batch, child_rng(3, "test", "levels"))
        assert moved
        ref = _rebuilt(scenario, phase, batch, child_rng(3, "test", "levels"))
        seen = 0
        for idx, war in groups:
            for row, d in enumerate(idx):
                r = ref[d]
                for name in ("cost", "broker_cost", "guarantee", "peace_value"):
                    got = getattr(war, name)
                    got = got[row, 0] if got.ndim == 3 else got
                    np.testing.assert_allclose(got, getattr(r, name), err_msg=name)
                for name in ("position", "salience", "capability", "strength"):
                    np.testing.assert_allclose(getattr(war, name)[row], getattr(r, name)[0], err_msg=name)
                assert war.loser_weight == r.loser_weight  # the march rate enters through the strengths
                assert war.decisiveness == r.decisiveness
                seen += 1
        assert seen == 24


def test_the_draws_do_not_depend_on_the_order_a_map_is_written_in():
    """The same scenario with its conflict's maps (costs, broker costs) written in another order
    draws the same values for each input, so every share and mean probability is the same; only
    the list of the inputs that moved follows the file's order."""
    from tertius import load_scenario
    from tertius.conflict import third_parties
    from tertius.scenario import Scenario

    s = load_scenario()
    data = s.to_data()
    for field in ("costs", "broker_costs"):
        data["conflict"][field] = dict(reversed(list(data["conflict"][field].items())))
    flipped = Scenario.model_validate(data)
    assert list(flipped.conflict.costs) != list(s.conflict.costs)

    def shares(scenario: Scenario) -> list:
        result = third_parties(scenario, draws=200, seed=3)
        return [(t["perturbation"]["first"], t["perturbation"]["mean_probability"],
                 sorted(m["input"] for m in t["perturbation"]["moved"]))
                for p in result["phases"] for t in p["third_parties"]]

    assert shares(flipped) == shares(s)
