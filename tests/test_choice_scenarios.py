"""The choice model in a scenario's third-party analysis (docs/choicemodel.md, "In the analysis of a
scenario"): `tertius broker`, the report and the page show its probabilities where the scenario
gives its covariates, else the game's logit, and say which model gave them."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict import broker
from tertius.conflict.choicemodel import casebook_design, option_probabilities, shipped
from tertius.conflict.war import OPTIONS
from tertius.io import load_scenario
from tertius.io.yaml_io import scenario_from_data
from tests.conftest import REPO

CASE = REPO / "casebook" / "second-opium-war.yaml"
DEFAULT = REPO / "src" / "tertius" / "scenarios" / "second_opium_war.yaml"


def _data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def default():
    return broker(load_scenario(), draws=0)


def test_the_default_scenario_gets_the_choice_model(default):
    assert default["params"]["choice_model"]["alpha"] == shipped()["theory"]["alpha"]
    for phase in default["phases"]:
        for t in phase["third_parties"]:
            assert t["probability_model"] == "choice-model"
            assert math.isclose(sum(t["probabilities"].values()), 1.0)
            assert math.isclose(sum(t["game_logit"].values()), 1.0)
            for o, p in t["probabilities"].items():
                assert t["options"][o]["probability"] == p  # one number per option, everywhere
            assert "the choice model gives it" in t["answer"]
            assert t["probabilities"] != t["game_logit"]


def test_the_analysis_gives_the_probabilities_of_the_fitted_design():
    """On a casebook case, each recorded decision's probabilities in `tertius broker` equal those
    the choice model's fit sees for the same decision (casebook_design): one library number."""
    scenario = load_scenario(CASE)
    d = casebook_design([scenario])
    p = option_probabilities(d, shipped()["theory"])
    result = broker(scenario, draws=0)
    by = {(ph["id"], t["third_party"]): t for ph in result["phases"] for t in ph["third_parties"]}
    assert len(d.rows) >= 4
    for row, probs in zip(d.rows, p, strict=True):
        item = by[(row["phase"], row["third_party"])]
        assert item["probability_model"] == "choice-model"
        for k, o in enumerate(OPTIONS):
            assert item["probabilities"][o] == pytest.approx(probs[k], abs=1e-9)


def _variant(change):
    data = _data()
    change(data)
    return scenario_from_data(data, file="variant.yaml")


@pytest.mark.parametrize("what", ["no location", "no period", "not CINC"])
def test_without_the_covariates_the_game_logit_gives_the_probabilities(default, what):
    def change(data):
        if what == "no location":
            for a in data["actors"]:
                if a["id"] == "usa":
                    a.pop("location")
                    a["distance"] = 7000
        elif what == "no period":
            data.pop("period")
        else:
            for a in data["actors"]:  # a 0-100 scale, as some scenarios use
                cap = a["capability"]
                a["capability"] = {**cap, "value": 100 * cap["value"]} if isinstance(cap, dict) else 100 * cap

    result = broker(_variant(change), draws=0)
    for phase, before in zip(result["phases"], default["phases"], strict=True):
        for t, t0 in zip(phase["third_parties"], before["third_parties"], strict=True):
            game = t["probability_model"] == "game-logit"
            assert game == (what != "no location" or t["third_party"] == "usa")
            if game:
                assert t["probabilities"] == t["game_logit"]
                assert "the fitted logit gives it" in t["answer"]
            else:
                assert t["probabilities"] == t0["probabilities"]


def test_the_cli_shows_the_library_number(default):
    r = CliRunner().invoke(app, ["broker", "--draws", "0", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for phase, lib in zip(out["phases"], default["phases"], strict=True):
        for t, t0 in zip(phase["third_parties"], lib["third_parties"], strict=True):
            assert t["probability_model"] == t0["probability_model"] == "choice-model"
            assert t["probabilities"] == t0["probabilities"]


def test_a_third_party_without_a_stake_gets_zero_from_the_choice_model():
    """The default scenario's United States with no stance and no clause: no stake, no instrument,
    so P(broker) is 0 from the choice model as from the game's logit, and it never brokers."""
    def change(data):
        data["stances"] = [st for st in data["stances"] if st["actor"] != "usa"]
        data["conflict"].pop("spillovers", None)
        for ph in data["conflict"].get("phases", []):
            ph["stances"] = [st for st in ph.get("stances", []) if st["actor"] != "usa"]

    result = broker(_variant(change), draws=0)
    for phase in result["phases"]:
        usa = next(t for t in phase["third_parties"] if t["third_party"] == "usa")
        assert usa["probability_model"] == "choice-model"
        assert usa["probabilities"]["broker"] == 0.0 and usa["game_logit"]["broker"] == 0.0
        assert usa["equilibrium"] != "broker"


def test_draws_are_scored_by_the_model_that_gives_the_point_probability():
    """The choice model over D draws at once equals it draw by draw, and a third party whose point
    probability comes from the choice model gets its mean over the perturbed draws from it too."""
    from tertius.conflict.choicemodel import draw_probabilities, scenario_probabilities
    from tertius.conflict.equilibrium import solve
    from tertius.conflict.thirdparty import analyse_phase
    from tertius.conflict.war import OPTIONS, build_war, phases_of
    from tertius.io import load_scenario

    scenario = load_scenario()
    phase = phases_of(scenario)[0]
    war = build_war(scenario, phase)
    sol = solve(war)
    options = [OPTIONS[sol.profile[0, war.index(t)]] for t in war.third_ids]
    values = np.stack([sol.values[0], sol.values[0] * 0.5])
    both = draw_probabilities(scenario, war, values, [options, options])
    assert both
    for t, p in both.items():
        np.testing.assert_allclose(p[0], scenario_probabilities(scenario, war, values[0], options)[t])
        np.testing.assert_allclose(p[1], scenario_probabilities(scenario, war, values[1], options)[t])
    out = analyse_phase(scenario, phase, draws=64, seed=1)
    for party in out["third_parties"]:
        if party["probability_model"] != "choice-model":
            continue
        mean = party["perturbation"]["mean_probability"]
        assert sum(mean.values()) == pytest.approx(1.0)
        point = {o: v["probability"] for o, v in party["options"].items()}
        logit = party["game_logit"]
        far = max(mean, key=lambda o: abs(point[o] - logit[o]))
        if abs(point[far] - logit[far]) > 0.1:  # where the two models differ, the draws follow the choice model
            assert abs(mean[far] - point[far]) < abs(mean[far] - logit[far])
