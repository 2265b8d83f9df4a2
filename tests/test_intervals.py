"""The summary's 80 % interval: quantiles of the forecasts over perturbed draws."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.models import run_model
from tertius.scenario import Perturbation, Scenario
from tertius.sweeps.intervals import BLOCK, forecast_intervals
from tests.strategies import build, scenario_data


@settings(max_examples=15, deadline=None)
@given(scenario_data(), st.integers(0, 2**31 - 1))
def test_interval_is_ordered_on_the_scale_and_seeded(data: dict, seed: int) -> None:
    s = build(data)
    a = forecast_intervals(s, ["compromise", "weighted-median"], 40, seed=seed)
    assert a == forecast_intervals(s, ["compromise", "weighted-median"], 40, seed=seed)
    for m in ("compromise", "weighted-median"):
        for issue in s.issues:
            band = a["models"][m]["issues"][issue.id]
            assert band["draws"] == 40
            assert issue.scale.min - 1e-9 <= band["lo"] <= band["hi"] <= issue.scale.max + 1e-9


@settings(max_examples=10, deadline=None)
@given(scenario_data())
def test_without_noise_the_interval_is_the_point_forecast(data: dict) -> None:
    s = Scenario.model_validate({**data, "perturbation": {"position": 0, "salience": 0, "capability": 0}})
    point = run_model(s, "compromise").outcome
    got = forecast_intervals(s, ["compromise"], 20)["models"]["compromise"]["issues"]
    for k, issue in enumerate(s.issue_ids):
        assert abs(got[issue]["lo"] - point[k]) < 1e-9
        assert abs(got[issue]["hi"] - point[k]) < 1e-9


def test_interval_holds_the_central_eighty_percent_of_the_draws() -> None:
    """Against the draws themselves: the 10th and 90th percentiles of the same seeded batch."""
    from tertius.perturb import draw
    from tertius.seeds import child_rng

    s = build({"id": "x", "actors": [{"id": "a", "capability": 1}, {"id": "b", "capability": 2}],
               "issues": [{"id": "i", "scale": {"min": 0, "max": 100}}],
               "stances": [{"actor": "a", "issue": "i", "position": 10, "salience": 1},
                           {"actor": "b", "issue": "i", "position": 90, "salience": 0.5}]})
    got = forecast_intervals(s, ["compromise"], 500, seed=3, fixed=True)["models"]["compromise"]["issues"]["i"]
    blocks = [draw(s, Perturbation(), child_rng(3, "intervals", k), BLOCK) for k in range(500 // BLOCK)]
    batch = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    w = batch["capability"][:, :, None] * batch["salience"]
    x = (w * batch["position"]).sum(1) / w.sum(1)
    lo, hi = np.quantile(x[:, 0], [0.1, 0.9])
    assert abs(got["lo"] - lo) < 1e-6 and abs(got["hi"] - hi) < 1e-6
    assert abs(np.mean((x[:, 0] >= got["lo"]) & (x[:, 0] <= got["hi"])) - 0.8) < 0.01


def test_no_draws_no_interval() -> None:
    s = build({"id": "x", "actors": [{"id": "a", "capability": 1}], "issues": [{"id": "i", "scale": {"min": 0, "max": 1}}],
               "stances": [{"actor": "a", "issue": "i", "position": 0.5, "salience": 1}]})
    assert forecast_intervals(s, ["compromise"], 0)["models"] == {}


def test_run_summary_shows_the_interval(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from tertius.cli import app

    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path), "--draws", "40", "-m", "compromise,mean"])
    assert res.exit_code == 0, res.output
    assert "80 % interval" in res.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    bands = results["intervals"]["models"]["compromise"]["issues"]
    assert all(b["lo"] <= b["hi"] for b in bands.values())
    html = (tmp_path / "report.html").read_text()
    assert "80 % interval" in html
