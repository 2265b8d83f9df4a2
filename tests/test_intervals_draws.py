"""How many draws a forecast interval takes: the Monte Carlo precision rule of
tertius.sweeps.intervals (Conover 1999, §3.2), the same for every model."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tertius.cli import app
from tertius.models import get_model
from tertius.scenario import Perturbation, Scenario
from tertius.sweeps.intervals import BLOCK, MIN_DRAWS, SLOW_MAX_DRAWS, TOLERANCE, forecast_intervals, interval_draws, quantile_ci


def _scenario(width: float, n: int = 6) -> Scenario:
    """Two camps at 10 and 90 on a 0-100 scale; ``width``: the perturbation of positions, in % of
    the scale (tiny: a tight interval; wide: a noisy one)."""
    return Scenario.model_validate({
        "id": "x", "actors": [{"id": f"a{k}", "capability": 1 + k % 3} for k in range(n)],
        "issues": [{"id": "i", "scale": {"min": 0, "max": 100}}, {"id": "j", "scale": {"min": 0, "max": 1}}],
        "stances": [{"actor": f"a{k}", "issue": i, "position": (10 if k % 2 else 90) * (1 if i == "i" else 0.01),
                     "salience": 0.3 + 0.1 * k} for k in range(n) for i in ("i", "j")],
        "perturbation": {"position": width, "salience": 0.2 * (width > 1), "capability": 0.25 * (width > 1)}})


def test_conover_median_interval_for_twenty_values() -> None:
    """Conover (1999), §3.2: for n = 20 the 95 % interval of the median is (X(6), X(15)), covering
    with probability 1 - 2 P(Binomial(20, 1/2) <= 5) = 0.9586."""
    assert quantile_ci(np.arange(1.0, 21.0), 0.5) == (6.0, 15.0)
    # the 10th percentile needs P(Y = 0) = 0.9^n <= 0.025, n >= 36
    assert quantile_ci(np.arange(35.0), 0.1) is None and quantile_ci(np.arange(36.0), 0.1) is not None


def test_the_order_statistics_are_those_of_scipy_stats_binomial_cdf() -> None:
    """quantile_ci takes the binomial CDF from scipy.special (bdtr) instead of scipy.stats (slow to
    import): the two differ by up to 1e-11, and the order statistics they choose are the same for
    every number of draws up to 2,000 at the 10th, 50th and 90th percentiles (checked to 5,000
    once, and at the 5th and 95th)."""
    from scipy.stats import binom

    for p in (0.1, 0.5, 0.9):
        for n in range(1, 2001):
            values = np.arange(float(n))
            cdf = binom.cdf(np.arange(n + 1), n, p)
            r, s = int(np.count_nonzero(cdf <= 0.025)), int(np.argmax(cdf >= 0.975)) + 1
            assert quantile_ci(values, p) == (None if r < 1 or s > n else (float(r - 1), float(s - 1)))


def test_order_statistic_interval_covers_the_quantile_at_least_as_often_as_it_says() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(2000):
        ci = quantile_ci(np.sort(rng.uniform(size=120)), 0.1)
        assert ci is not None
        hits += ci[0] <= 0.1 <= ci[1]
    assert hits / 2000 >= 0.94  # >= 95 % by construction; 2000 trials: sd 0.5 %


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 260), st.integers(1, 260))
def test_draws_are_a_prefix_of_one_stream(seed: int, a: int, b: int) -> None:
    s = _scenario(10)
    lo, hi = sorted((a, b))
    whole = interval_draws(s, s.perturbation or Perturbation(), seed, 0, hi)
    part = interval_draws(s, s.perturbation or Perturbation(), seed, lo - 1, hi)
    assert all(whole[k].shape[0] == hi and np.array_equal(whole[k][lo - 1:], part[k]) for k in whole)


@pytest.mark.parametrize("model", ["compromise", "weighted-median", "bdm", "procedural"])
def test_stopping_at_n_is_the_fixed_run_of_n_bit_for_bit(model: str) -> None:
    s = _scenario(25)
    got = forecast_intervals(s, [model], 400, seed=11)["models"][model]
    assert MIN_DRAWS <= got["draws"] <= 400 and got["draws"] % BLOCK == 0
    fixed = forecast_intervals(s, [model], got["draws"], seed=11, fixed=True)["models"][model]
    assert fixed["draws"] == got["draws"] and fixed["stopped"] == "fixed"
    assert json.dumps(fixed["issues"]) == json.dumps(got["issues"])


def test_a_noisy_scenario_takes_more_draws_than_a_tight_one() -> None:
    tight = forecast_intervals(_scenario(0.01), ["compromise"], 2000, seed=1)["models"]["compromise"]
    noisy = forecast_intervals(_scenario(30), ["compromise"], 2000, seed=1)["models"]["compromise"]
    assert tight["draws"] == MIN_DRAWS and tight["stopped"] == "precision"
    assert noisy["draws"] > tight["draws"]
    for band, issue_span in zip(noisy["issues"].values(), (100, 1), strict=True):
        if noisy["stopped"] == "precision":
            assert band["lo_error"] <= TOLERANCE * issue_span and band["hi_error"] <= TOLERANCE * issue_span


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 700), st.floats(0, 40), st.integers(0, 2**31 - 1))
def test_the_minimum_and_the_maximum_hold(most: int, width: float, seed: int) -> None:
    got = forecast_intervals(_scenario(width), ["compromise", "mean"], most, seed=seed)
    for band in got["models"].values():
        assert min(MIN_DRAWS, most) <= band["draws"] <= most
        assert band["stopped"] == "maximum" or band["draws"] % BLOCK == 0
        assert band["stopped"] in ("precision", "maximum")
        if band["stopped"] == "maximum":
            assert band["draws"] == most
    assert got["rule"]["min_draws"] == min(MIN_DRAWS, most) and got["rule"]["max_draws"] == most


def test_a_model_drawn_one_by_one_stops_at_its_bound_unless_the_number_is_fixed() -> None:
    """A bound on the cost of a model without a batch form (its draws run one by one), not on the
    precision: the results say it stopped at the maximum, with the errors it reached."""
    assert get_model("procedural").batch is None and get_model("compromise").batch is not None
    s = _scenario(30)
    got = forecast_intervals(s, ["procedural", "compromise"], 2000, seed=3)
    assert got["models"]["procedural"]["draws"] <= SLOW_MAX_DRAWS
    assert got["models"]["compromise"]["draws"] > SLOW_MAX_DRAWS  # noisy: the batch model draws on
    assert got["rule"]["max_draws_one_by_one"] == SLOW_MAX_DRAWS
    fixed = forecast_intervals(s, ["procedural"], SLOW_MAX_DRAWS + BLOCK, seed=3, fixed=True)
    assert fixed["models"]["procedural"]["draws"] == SLOW_MAX_DRAWS + BLOCK


def _intervals(seed: int) -> str:
    return json.dumps(forecast_intervals(_scenario(20), ["compromise", "bdm"], 300, seed=seed))


def test_same_seed_same_numbers_serial_and_in_worker_processes() -> None:
    serial = [_intervals(seed) for seed in (0, 5)]
    with ProcessPoolExecutor(2) as pool:
        parallel = list(pool.map(_intervals, (0, 5)))
    assert serial == parallel and serial[0] != serial[1]


def test_results_report_and_summary_show_draws_and_errors(tmp_path) -> None:
    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path), "-m", "compromise,mean", "--draws", "400"])
    assert res.exit_code == 0, res.output
    assert "Monte Carlo error of the ends at most ±" in res.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    intervals = results["intervals"]
    assert intervals["rule"]["tolerance"] == TOLERANCE
    html = (tmp_path / "report.html").read_text()
    assert "80 % intervals by model" in html and "Monte Carlo error of the endpoints at most" in html
    for band in intervals["models"].values():
        assert f"<td rowspan=\"{len(band['issues'])}\">{band['draws']}" in html
        assert all(b["lo_error"] is not None and b["lo_error"] >= 0 for b in band["issues"].values())
    again = CliRunner().invoke(app, ["report", str(tmp_path / "results.json"), "--out", str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.html").read_text() == html


def test_interval_draws_fixes_the_number_for_every_model(tmp_path) -> None:
    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path), "-m", "compromise,mean", "--interval-draws", "130",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    intervals = json.loads((tmp_path / "results.json").read_text())["intervals"]
    assert intervals["rule"] == {"fixed": 130}
    assert {b["draws"] for b in intervals["models"].values()} == {130}


@pytest.mark.parametrize("args", [["--interval-draws", "-3"], ["--draws", "-1"], ["--interval-draws", "many"]])
def test_a_bad_number_of_draws_is_one_line(tmp_path, args: list[str]) -> None:
    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "o"), "-m", "compromise", *args])
    assert res.exit_code == 2
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()
    if "many" not in args:
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and "--interval-draws" in lines[0]
