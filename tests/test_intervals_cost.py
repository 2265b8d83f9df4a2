"""The forecast intervals' cost bound (tertius.sweeps.intervals.COST_BUDGET): each model's draws
cost at most the budget, in the pair evaluations its registry entry estimates from the scenario's
size; a model whose fewest draws do not fit is not drawn, and says why."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tertius.cli import app
from tertius.io import bundled_scenarios, load_scenario
from tertius.models import MODELS, get_model
from tertius.scenario import Scenario
from tertius.sweeps import intervals
from tertius.sweeps.intervals import BLOCK, COST_BUDGET, MIN_DRAWS, SLOW_MAX_DRAWS, cost_bound, forecast_intervals


def _scale(n: int, m: int) -> Scenario:
    """n actors on m issues, positions and saliences drawn from a seeded generator."""
    rng = np.random.default_rng(0)
    return Scenario.model_validate({
        "id": "scale", "actors": [{"id": f"a{k}", "capability": float(c)} for k, c in enumerate(rng.uniform(0.1, 1, n))],
        "issues": [{"id": f"i{j}", "scale": {"min": 0, "max": 100}} for j in range(m)],
        "stances": [{"actor": f"a{k}", "issue": f"i{j}", "position": float(rng.uniform(0, 100)),
                     "salience": float(rng.uniform(0.05, 1))} for k in range(n) for j in range(m)]})


def _small() -> Scenario:
    return Scenario.model_validate({
        "id": "x", "actors": [{"id": f"a{k}", "capability": 1 + k % 3} for k in range(6)],
        "issues": [{"id": "i", "scale": {"min": 0, "max": 100}}],
        "stances": [{"actor": f"a{k}", "issue": "i", "position": 10 + 15 * k, "salience": 0.3 + 0.1 * k}
                    for k in range(6)]})


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1e9), st.integers(1, 5000))
def test_the_bound_is_the_largest_block_multiple_that_fits(cost: float, most: int) -> None:
    got = cost_bound(cost, most)
    assert 0 <= got <= most
    if most * cost <= COST_BUDGET:
        assert got == most  # fits whole: untouched
    else:
        assert got % BLOCK == 0 and got * cost <= COST_BUDGET < (got + BLOCK) * cost


def test_the_costs_follow_their_formulas() -> None:
    s = _scale(40, 3)
    n = 40 * 3
    assert get_model("mean").cost(s, {}) == n
    assert get_model("bdm").cost(s, get_model("bdm").params({"rounds": 7})) == 7 * 3 * 40 ** 2
    pairs = 3 * 40 * 40  # three pairs of issues, 40 × 40 actors each
    assert get_model("exchange").cost(s, get_model("exchange").params({"repetitions": 2})) == 10 * 2 * pairs
    assert get_model("nash").cost(s, {}) == 1000 * n
    assert get_model("best").cost(s, {}) > get_model("bdm").cost(s, get_model("bdm").params(None))


@pytest.mark.parametrize("sid", bundled_scenarios())
def test_every_model_of_the_casebook_keeps_its_draws(sid: str) -> None:
    """The budget is set so that no scenario of the casebook (the default one included) loses a
    draw: each model's bound is the most draws it had before (1,000 with a batch form, else 100)."""
    s = load_scenario(sid)
    for name, model in MODELS.items():
        most = 1000 if model.batch is not None else SLOW_MAX_DRAWS
        assert cost_bound(model.cost(s, model.params(None)), most) == most, name


def test_the_default_scenario_keeps_its_draws() -> None:
    """The draws recorded with byte_identity.py at 7a32e37: mean 100, compromise 450,
    weighted-median and bdm 1,000 (the default scenario's interval models)."""
    got = forecast_intervals(load_scenario("second-opium-war"), ["mean", "compromise", "weighted-median", "bdm"], 1000)
    assert {m: b["draws"] for m, b in got["models"].items()} == {
        "mean": 100, "compromise": 450, "weighted-median": 1000, "bdm": 1000}
    assert all("max_draws" not in b and "skipped" not in b for b in got["models"].values())


def test_bdm_on_600_actors_is_not_drawn_and_says_why() -> None:
    s = _scale(600, 3)
    got = forecast_intervals(s, ["mean", "bdm"], 1000)
    bdm = got["models"]["bdm"]
    assert bdm == {"issues": {}, "draws": 0, "failed": 0, "skipped": "cost", "actors": 600,
                   "draws_needed": MIN_DRAWS, "cost_per_draw": 10 * 3 * 600.0 ** 2, "budget": COST_BUDGET}
    assert got["models"]["mean"]["draws"] >= MIN_DRAWS and "skipped" not in got["models"]["mean"]


def test_a_bound_below_the_maximum_is_recorded(monkeypatch) -> None:
    s = _small()
    cost = get_model("compromise").cost(s, {})
    monkeypatch.setattr(intervals, "COST_BUDGET", cost * (MIN_DRAWS + BLOCK) + 1)
    got = forecast_intervals(s, ["compromise"], 1000, seed=1)["models"]["compromise"]
    assert got["max_draws"] == MIN_DRAWS + BLOCK and got["draws"] <= MIN_DRAWS + BLOCK


def test_interval_draws_forces_a_model_over_the_budget(monkeypatch) -> None:
    s = _small()
    monkeypatch.setattr(intervals, "COST_BUDGET", 1)
    assert forecast_intervals(s, ["bdm"], 1000)["models"]["bdm"]["skipped"] == "cost"
    fixed = forecast_intervals(s, ["bdm"], 70, fixed=True)["models"]["bdm"]
    assert fixed["draws"] == 70 and fixed["stopped"] == "fixed" and "skipped" not in fixed


def test_run_says_in_one_line_which_interval_was_not_drawn(tmp_path, monkeypatch) -> None:
    """The summary's model is bounded like the others: here compromise heads the summary (the
    first model, nothing scored) and is not drawn; the CLI, results.json and the report say so."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_small().to_data()))
    monkeypatch.setattr(intervals, "COST_BUDGET", 1)
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "-m", "compromise,bdm"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.stdout.split())
    for m in ("compromise", "bdm"):
        assert f"{m}: 80 % interval not drawn: 6 actors make each draw cost" in flat
    assert "run with --interval-draws N or `tertius sweep`" in flat
    assert flat.index("compromise: 80 % interval not drawn") < flat.index("bdm: 80 % interval not drawn")
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert {b["skipped"] for b in results["intervals"]["models"].values()} == {"cost"}
    html = (tmp_path / "o" / "report.html").read_text()
    assert html.count("80 % interval not drawn: 6 actors make each draw cost") == 4  # summary and table, twice
    forced = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "f"), "-m", "compromise,bdm",
                                      "--interval-draws", "60"])
    assert forced.exit_code == 0, forced.output
    got = json.loads((tmp_path / "f" / "results.json").read_text())["intervals"]["models"]
    assert {m: b["draws"] for m, b in got.items()} == {"compromise": 60, "bdm": 60}
    assert "not drawn" not in forced.stdout
