"""Break-even values against a brute-force scan, ranges of the inputs, and the batched game."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.breakeven import answers, scan, search
from tertius.conflict.equilibrium import solve
from tertius.conflict.war import build_war, phases_of
from tertius.io import load_scenario
from tertius.scenario import Quantity, Scenario
from tertius.uncertainty import default_range, inputs, with_value


@pytest.fixture(scope="module")
def default() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="module")
def table(default: Scenario) -> dict:
    return search(default)


@pytest.mark.parametrize("key", ["conflict.costs.russia", "conflict.broker_costs.russia"])
def test_flip_values_agree_with_a_brute_force_scan(default: Scenario, table: dict, key: str) -> None:
    ref = scan(default, key, step=0.001)
    for q in table["questions"]:
        row = next(r for r in q["inputs"] if r["input"] == key)
        inp = next(i for i in inputs(default) if i.key == key)
        found: list[float | None] = [None, None]
        for f in row["flips"]:
            found[0 if f["at"] < inp.value else 1] = f["at"]
        for side in (0, 1):
            expected = ref[(q["phase"], q["third_party"])][side]
            if expected is None:
                assert found[side] is None, (q["question"], side)
            else:
                assert found[side] is not None and abs(found[side] - expected) <= 0.01, (q["question"], side)


def test_an_answer_flips_in_the_default_scenario(table: dict) -> None:
    # a bracketed flip really changes the answer, and the input's own value does not
    default = load_scenario()
    q = next(q for q in table["questions"] if not all(r["safe"] for r in q["inputs"]))
    row = next(r for r in q["inputs"] if not r["safe"])
    flip = row["flips"][0]
    phase = next(ph for ph in phases_of(default) if (ph.id if ph else None) == q["phase"])
    war = build_war(with_value(default, tuple(_path(row["input"])), flip["at"]), phase)
    k = war.index(q["third_party"])
    from tertius.conflict.war import OPTIONS
    assert OPTIONS[solve(war).profile[0, k]] == flip["to"] != q["answer"]


def _path(key: str) -> list:
    return [int(p) if p.isdigit() else p for p in key.split(".")]


def test_stacked_game_equals_one_game_per_war(default: Scenario) -> None:
    phase = phases_of(default)[-1]
    wars = [build_war(with_value(default, ("conflict", "costs", "russia"), v), phase) for v in (0.05, 0.2)]
    wars += [build_war(with_value(default, ("conflict", "loser_weight"), v), phase) for v in (0.05, 0.3)]
    wars += [build_war(with_value(default, ("conflict", "broker_costs", "russia"), v), phase) for v in (0.05, 0.2)]
    third = [wars[0].index(t) for t in wars[0].third_ids]
    batched = answers(wars, third)
    one = np.array([solve(w).profile[0, third] for w in wars])
    assert (batched == one).all()


def test_every_assumed_input_has_a_range(default: Scenario) -> None:
    found = inputs(default)
    keys = {i.key for i in found}
    assert {"conflict.costs.russia", "conflict.broker_costs.usa", "conflict.loser_weight",
            "conflict.miles_per_day"} <= keys
    for i in found:
        assert i.lo <= i.value <= i.hi and i.lo < i.hi or i.value in (i.lo, i.hi), i.key
    cost = next(i for i in found if i.key == "conflict.costs.russia")
    assert cost.assumed and cost.lo <= 0.26 <= cost.hi


def test_declared_range_wins_and_is_checked() -> None:
    q = Quantity.model_validate({"value": 0.1, "assumption": "x", "range": [0.05, 0.2]})
    assert q.range == (0.05, 0.2)
    assert Quantity.model_validate(q.model_dump()) == q
    with pytest.raises(ValueError, match="outside its range"):
        Quantity.model_validate({"value": 0.3, "range": [0.05, 0.2]})
    assert default_range("cost", 0.1, True) == pytest.approx((0.025, 0.3))
    assert default_range("cost", 0.1, False) == pytest.approx((0.08, 0.125))


def test_why_on_a_small_war_gives_json_and_refuses_a_value_outside_its_range(tmp_path) -> None:
    from typer.testing import CliRunner

    from tertius.cli import app
    from tests.test_hostile import YAML

    runner = CliRunner()
    good = tmp_path / "small.yaml"
    good.write_text(YAML.replace("costs: {a: 0.1, b: 0.1, t: 0.1}",
                                 "costs: {a: 0.1, b: 0.1, t: {value: 0.1, assumption: x, range: [0.0, 0.9]}}"))
    res = runner.invoke(app, ["broker", str(good), "--why", "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.stdout)
    row = next(r for r in data["questions"][0]["inputs"] if r["input"] == "conflict.costs.t")
    assert row["range"] == [0.0, 0.9] and row["declared_range"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(YAML.replace("costs: {a: 0.1, b: 0.1, t: 0.1}",
                                "costs: {a: 0.1, b: 0.1, t: {value: 0.1, range: [0.2, 0.9]}}"))
    res = runner.invoke(app, ["broker", str(bad), "--why"])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "range" in lines[0], res.stderr


def test_forecast_break_even_moves_the_forecast_by_the_tolerance(default: Scenario) -> None:
    from tertius.breakeven import forecast_search
    from tertius.models import run_model

    result = forecast_search(default, ["compromise"])
    q = next(q for q in result["questions"] if q["inputs"])
    row = q["inputs"][0]
    k = default.issue_ids.index(q["issue"])
    for f in row["flips"]:
        moved = run_model(with_value(default, tuple(_path(row["input"])), f["at"]), "compromise").outcomes.iloc[k]
        # the compromise forecast is continuous: at the flip it has moved by the tolerance
        assert abs(abs(moved - q["forecast"]) - q["tolerance"]) < 0.01 * q["tolerance"] + 1e-6
        assert moved == pytest.approx(f["forecast"], abs=0.02 * q["tolerance"])


@functools.cache
def _evaluator() -> tuple[Scenario, list, Any]:
    from tertius.breakeven import _Evaluator

    s = load_scenario()
    found = inputs(s)  # sourced numbers too: capabilities and distances reach the strengths
    return s, found, _Evaluator(s, found)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 10_000), share=st.floats(0.0, 1.0))
def test_a_value_written_into_the_war_gives_the_rebuilt_war(k: int, share: float) -> None:
    """The search writes most inputs straight into each phase's war; for every input of the default
    scenario (sourced ones too) and any value in its range, that war is the one ``build_war`` makes
    from the scenario rebuilt with the value (its own phases: an input may be one of a phase's)."""
    from tertius.breakeven import REBUILD, _same

    s, found, ev = _evaluator()
    k %= len(found)
    inp = found[k]
    value = inp.lo + share * (inp.hi - inp.lo)
    rebuilt = with_value(s, inp.path, value)
    for p, phase in enumerate(phases_of(rebuilt)):
        if ev.targets[p][k] == REBUILD:
            continue
        ((_, written),) = ev._written(p, np.array([k]), np.array([value]))
        assert _same(written, build_war(rebuilt, phase)), (inp.key, value, p, ev.targets[p][k])


def test_a_wrong_write_is_caught_and_the_input_rebuilt(monkeypatch) -> None:
    """The check against the rebuilt war guards the direct writes: a write to the wrong place (here
    Russia's cost of fighting written as the United States') is found, and that input is rebuilt
    for each value, so its answers stay those of the rebuilt scenario."""
    import tertius.breakeven as be

    s = load_scenario()
    found = [i for i in inputs(s) if i.key in ("conflict.costs.russia", "conflict.costs.usa")]
    right = be._target

    def wrong(scenario, phase, path):
        got = right(scenario, phase, path)
        return ("cost", scenario.actor_ids.index("usa"), 1.0) if path == ("conflict", "costs", "russia") else got

    monkeypatch.setattr(be, "_target", wrong)
    ev = be._Evaluator(s, found)
    assert all(t[0] == be.REBUILD and t[1] != be.REBUILD for t in ev.targets)
    values = np.array([0.03, 0.2, 0.29])
    direct = ev(np.zeros(3, dtype=int), values)
    again = be._Evaluator(s, found, rebuild=True)(np.zeros(3, dtype=int), values)
    assert (direct == again).all()


def test_the_search_plays_only_the_phase_asked_for() -> None:
    """With one question per value, the answers of that question's phase are those of a full
    evaluation; the other phase's answers are its own (not played)."""
    from tertius.breakeven import _Evaluator

    s = load_scenario()
    found = [i for i in inputs(s) if i.key == "conflict.broker_costs.russia"]
    ev = _Evaluator(s, found)
    values = np.array([0.05, 0.2, 0.3])
    full = ev(np.zeros(3, dtype=int), values)
    last = [q for q, p in enumerate(ev.phase_of) if p == len(ev.phases) - 1]
    asked = ev(np.zeros(3, dtype=int), values, questions=np.full(3, last[0]))
    assert (asked[:, last] == full[:, last]).all()
    others = [q for q in range(len(ev.questions)) if q not in last]
    assert (asked[:, others] == ev.base()[others]).all()
    assert (full[:, last] != ev.base()[last]).any()  # the cost flips Russia's 1860 choice
