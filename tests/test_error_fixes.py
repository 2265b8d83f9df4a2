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


SEMICOLON_TABLE = "Stakeholder;Capability;Position;Salience\nUpland;5;20;0,6\nMidland;2;40;0,3\nLowland;3;70;0,9\n"
COMMA_TABLE = "Stakeholder,Capability,Position,Salience\nUpland,5,20,0.6\nMidland,2,40,0.3\nLowland,3,70,0.9\n"


def test_a_semicolon_separated_actor_table_reads_as_the_comma_one(tmp_path):
    """A spreadsheet saved in a decimal-comma locale separates columns by semicolons: it is read
    as the same table, through the CLI (without --input-format) and through the page's upload."""
    semi, comma = tmp_path / "semi.csv", tmp_path / "comma.csv"
    semi.write_text(SEMICOLON_TABLE)
    comma.write_text(COMMA_TABLE)
    outcomes = []
    for path in (semi, comma):
        r = CliRunner().invoke(cli, ["forecast", str(path), "--format", "json"])
        assert r.exit_code == 0, r.output
        outcomes.append([i["outcome"] for i in json.loads(r.stdout)["issues"]])
    assert outcomes[0] == outcomes[1]
    from tertius.web import api

    page = api.upload("semi.csv", SEMICOLON_TABLE.encode(), api.Limits())["scenario"]
    assert [st["salience"] for st in page["stances"]] == [
        st["salience"] for st in api.upload("comma.csv", COMMA_TABLE.encode(), api.Limits())["scenario"]["stances"]]


def test_bdm_warns_of_rounds_only_when_its_forecast_still_moves(tmp_path):
    """On the guide's first file bdm's positions on the dam move for ever, but its forecast does
    not: a note, and no fix that escalates the rounds. On the default scenario the ports forecast
    does move: the warning names a command that exists, and following it settles the forecast."""
    from tests.test_guide import files

    river = files(tmp_path)["river.yaml"]
    for rounds in (5, 10, 30):
        r = CliRunner().invoke(cli, ["forecast", str(river), "-m", "bdm", "-p", f"rounds={rounds}"],
                               env={"COLUMNS": "300"})
        assert r.exit_code == 0, r.output
        assert "warning" not in r.output and "has not changed since round" in r.output
    r = CliRunner().invoke(cli, ["forecast", "-m", "bdm"], env={"COLUMNS": "300"})
    warning = " ".join(line for line in r.output.splitlines() if "not settled on ports" in line)
    assert "tertius forecast -m bdm -p rounds=30" in warning
    r = CliRunner().invoke(cli, ["forecast", "-m", "bdm", "-p", "rounds=30"], env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "not settled on ports" not in r.output
    cycle = " ".join(line for line in r.output.splitlines() if "cycles on ports" in line)
    assert "-p bdm.settle=cycle" in cycle  # a cycle has appeared: the next fix is named, not more rounds
    r = CliRunner().invoke(cli, ["forecast", "-m", "bdm", "-p", "rounds=30", "-p", "settle=cycle"], env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "warning: bdm" not in r.output
    s = load_scenario()
    settled = run_model(s, "bdm", {"rounds": 30, "settle": "cycle"}).outcome_of("ports")
    assert settled == run_model(s, "bdm", {"rounds": 90, "settle": "cycle"}).outcome_of("ports")  # what was meant


def test_a_notebook_can_repeat_a_sweep(tmp_path, monkeypatch):
    import tertius

    monkeypatch.chdir(tmp_path)
    s = load_scenario()
    first = tertius.sweep(s, "bdm", n=60, seed=2)
    again = tertius.sweep(s, "bdm", n=60, seed=2)
    assert first.summary["quantiles"] == again.summary["quantiles"]
    assert list(tmp_path.iterdir()) == []  # nothing left in the working folder
    tertius.sweep(s, "bdm", n=60, seed=2, out=tmp_path / "kept", broker=False)
    from tertius.errors import InputError

    with pytest.raises(InputError) as e:
        tertius.sweep(s, "bdm", n=60, seed=2, out=tmp_path / "kept", broker=False)
    assert "resume=True" in e.value.fix and "overwrite=True" in e.value.fix
