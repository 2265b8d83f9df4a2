"""The error messages of issue 20 ("Why", item 6): each suggested fix is applied to its input,
through the CLI and through the page's API, and the result is checked to be what the user
meant, not only that the command now runs."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from tertius import load_scenario, run_model
from tertius.cli import app as cli


def _write(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _set_salience(data, actor, issue, value):
    for st in data["stances"]:
        if st["actor"] == actor and st["issue"] == issue:
            st["salience"] = value if not isinstance(st["salience"], dict) else {**st["salience"], "value": value}


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def test_a_single_salience_above_one_is_called_a_typo_not_a_scale(tmp_path):
    data = load_scenario().to_data()
    _set_salience(data, "russia", "amur", 1.5)
    text = _error(CliRunner().invoke(cli, ["validate", str(_write(tmp_path, data))]))
    assert "salience_scale" not in text.split("fix", 1)[-1]  # following it would rescale every salience
    assert "between 0 and 1" in text and "typo" in text
    from tertius.errors import InputError
    from tertius.web.api import Limits, scenario_of

    with pytest.raises(InputError) as page:
        scenario_of(data, Limits())
    assert "between 0 and 1" in (page.value.fix or "")
    # the fix applied (a salience within 0-1) runs, on the scale of every other salience
    _set_salience(data, "russia", "amur", 0.15)
    assert CliRunner().invoke(cli, ["validate", str(_write(tmp_path, data))]).exit_code == 0


def test_saliences_on_0_100_get_the_scale_fix_and_it_gives_the_same_forecast(tmp_path):
    data = load_scenario().to_data()
    for st in data["stances"]:
        q = st["salience"]
        value = 100 * (q["value"] if isinstance(q, dict) else q)
        st["salience"] = {**q, "value": value} if isinstance(q, dict) else value
    text = _error(CliRunner().invoke(cli, ["validate", str(_write(tmp_path, data))]))
    assert "declare salience_scale: 100" in text
    data["salience_scale"] = 100
    path = _write(tmp_path, data)
    from tertius.io import load_scenario as load_file

    fixed = run_model(load_file(path), "compromise").outcome
    original = run_model(load_scenario(), "compromise").outcome
    assert fixed == pytest.approx(original)  # what the user meant: the same analysis on 0-100


@pytest.mark.parametrize(("typed", "meant"), [("compromize", "compromise"), ("Nash", "nash")])
def test_an_unknown_model_names_the_option_and_the_closest_model(tmp_path, typed, meant):
    text = _error(CliRunner().invoke(cli, ["run", "-m", typed, "--out", str(tmp_path / "a")]))
    assert "--model" in text and f"did you mean -m {meant}?" in text
    assert "second-opium-war" not in text.split(":")[1]  # it does not blame the scenario file
    r = CliRunner().invoke(cli, ["run", "-m", meant, "--out", str(tmp_path / "b"), "--format", "json", "--draws", "0"])
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout)["forecasts"]) == [meant]


def test_a_sweep_of_a_conflict_without_phases_names_the_war(tmp_path):
    data = load_scenario().to_data()
    data["conflict"]["phases"] = []
    r = CliRunner().invoke(cli, ["sweep", str(_write(tmp_path, data)), "--n", "20", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    shares = [line for line in r.output.splitlines() if "equilibrium choice" in line]
    assert shares and all(line.startswith("the Allies against Qing China, ") for line in shares), shares


def test_help_lists_the_workbook_among_the_inputs():
    for command in ("broker", "run", "sweep"):
        r = CliRunner().invoke(cli, [command, "--help"], env={"COLUMNS": "200"})
        assert ".xlsx" in r.output, command
