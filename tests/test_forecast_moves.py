"""Forecast break-evens in 'tertius run', the report and results.json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.text import apart
from tests.test_hostile import YAML


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[str, dict, str]:
    folder = tmp_path_factory.mktemp("run")
    f = folder / "s.yaml"
    f.write_text(YAML.replace("{actor: a, issue: x, position: 100, salience: 0.9}",
                              "{actor: a, issue: x, position: 100, salience: {value: 0.9, assumption: a guess}}"))
    res = CliRunner().invoke(app, ["run", str(f), "--out", str(folder / "o"), "--draws", "16"])
    assert res.exit_code == 0, res.output
    return res.stdout, json.loads((folder / "o" / "results.json").read_text()), \
        (folder / "o" / "report.html").read_text()


def test_results_carry_every_batch_models_forecast_break_evens(ran) -> None:
    _, results, _ = ran
    found = results["breakeven_forecasts"]
    assert set(found["models"]) <= set(results["forecasts"])
    assert found["inputs"] >= 1
    assert {q["model"] for q in found["questions"]} == set(found["models"])


def test_cli_and_report_show_the_summary_models_break_evens(ran) -> None:
    from tertius.analysis import head_model
    from tertius.report.html import forecast_moves

    out, results, html = ran
    moves = forecast_moves(results)
    assert moves is not None
    head = head_model(results["scores"], list(results["forecasts"]))
    assert moves["model"] == (head if head in results["breakeven_forecasts"]["models"]
                              else results["breakeven_forecasts"]["models"][0])
    assert "What would move the forecasts" in out and "What would move the forecasts" in html
    for row in moves["rows"]:
        q = next(q for q in results["breakeven_forecasts"]["questions"]
                 if q["model"] == moves["model"] and q["name"] == row["issue"])
        for x, r in zip(row["inputs"], q["inputs"], strict=False):
            # the nearest flip of the stored search, moving the forecast by more than the tolerance
            assert x["at"] == min((f["at"] for f in r["flips"]), key=lambda a: abs(a - r["value"]))
            assert abs(x["to"] - q["forecast"]) >= q["tolerance"] * 0.99


def test_no_batch_model_no_section(tmp_path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(YAML)
    res = CliRunner().invoke(app, ["run", str(f), "--out", str(tmp_path / "o"), "-m", "nash", "--draws", "8"])
    assert res.exit_code == 0, res.output
    assert "What would move the forecasts" not in res.stdout


@pytest.mark.parametrize(("x", "ref", "want"), [(1.9998, 2.0, "1.9998"), (0.534, 0.5, "0.534"), (2.0, 2.0, "2")])
def test_apart_shows_enough_digits(x: float, ref: float, want: str) -> None:
    assert apart(x, ref) == want
    assert apart(x, ref, 2) == (want if want != "0.534" else "0.53")  # the report prints two digits where that tells them apart
