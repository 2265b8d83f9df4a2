"""``-p/--param`` on every command that runs models: ``tertius run`` takes model parameters as
``forecast`` and ``sweep`` do, the fix in bdm's warning is a command that exists and does what it
says, and every bad parameter is one line naming the option, with exit status 2."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.io import load_scenario
from tertius.models import run_model

runner = CliRunner()
#: A scenario without a conflict, so that a run is quick.
SMALL = "eu-emissions-1994"


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "400"})


def test_run_passes_a_models_parameters_to_that_model_only(tmp_path):
    r = invoke("run", SMALL, "-m", "bdm,exchange,compromise", "-p", "bdm.rounds=3", "--draws", "0",
               "--out", str(tmp_path), "--format", "json")
    assert r.exit_code == 0, r.output
    forecasts = json.loads(r.stdout)["forecasts"]
    assert forecasts["bdm"]["params"]["rounds"] == 3
    assert forecasts["exchange"]["params"]["rounds"] == 10  # exchange keeps its default
    s = load_scenario(SMALL)
    expected = run_model(s, "bdm", {"rounds": 3}).outcomes
    assert [i["outcome"] for i in forecasts["bdm"]["issues"]] == pytest.approx(list(expected))
    assert expected.tolist() != pytest.approx(run_model(s, "bdm").outcomes.tolist())  # the parameter mattered


def test_a_bare_name_sets_every_model_that_has_it(tmp_path):
    r = invoke("run", SMALL, "-m", "bdm,exchange,compromise", "-p", "rounds=4", "--draws", "0",
               "--out", str(tmp_path), "--format", "json")
    assert r.exit_code == 0, r.output
    forecasts = json.loads(r.stdout)["forecasts"]
    assert forecasts["bdm"]["params"]["rounds"] == forecasts["exchange"]["params"]["rounds"] == 4
    assert forecasts["compromise"]["params"] == {}


def test_forecast_and_sweep_take_the_models_name_too(tmp_path):
    plain = json.loads(invoke("forecast", SMALL, "-m", "bdm", "-p", "rounds=3", "-f", "json").stdout)
    named = json.loads(invoke("forecast", SMALL, "-m", "bdm", "-p", "bdm.rounds=3", "-f", "json").stdout)
    assert plain["issues"] == named["issues"] and named["params"]["rounds"] == 3
    r = invoke("sweep", SMALL, "-m", "bdm", "-p", "bdm.rounds=3", "--n", "4", "--out", str(tmp_path / "s"),
               "--format", "json", "--quiet")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("args,needle", [
    (["-p", "rounds"], "not NAME=VALUE"),
    (["-p", "=3"], "not NAME=VALUE"),
    (["-p", "bdm.=3"], "not NAME=VALUE"),
    (["-p", "rounds=abc"], "parameter rounds='abc' of model 'bdm' is not of type int"),
    (["-p", "bdm.rounds=-1"], "rounds is negative"),
    (["-p", "nosuch=1"], ("no model run here has a parameter 'nosuch'", "model 'bdm' has no parameter nosuch")),
    (["-p", "bmd.rounds=3"], "unknown model 'bmd' (fix: did you mean -p bdm.rounds?"),
    (["-m", "bdm", "-p", "exchange.rounds=3"], "model 'exchange' is not run here"),
    (["-m", "compromise", "-p", "rounds=3"], "model 'compromise' has no parameter rounds"),
    (["-p", "compromise.rounds=3"], ("model 'compromise' has no parameter rounds", "model 'compromise' is not run here")),
    (["-p", "bdm.settle=sometimes"], "settle"),
    (["-p", "rounds=1e400"], "rounds"),
    (["-p", "bdm.rounds=3\x00"], "rounds"),
])
@pytest.mark.parametrize("command", ["run", "forecast", "sweep"])
def test_a_bad_parameter_is_one_line_naming_the_option(tmp_path, command, args, needle):
    if command != "run" and "-m" in args:
        pytest.skip("forecast and sweep run one model: choosing models is run's case")
    extra = ["-m", "bdm"] if command != "run" else []
    out = ["--out", str(tmp_path / "o")] if command != "forecast" else []
    r = invoke(command, SMALL, *extra, *args, *out)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: model parameters (-p/--param):"), r.stderr
    assert "fix:" in lines[0] and "Traceback" not in r.stderr
    assert any(n in lines[0] for n in ((needle,) if isinstance(needle, str) else needle)), lines[0]
    assert not (tmp_path / "o").exists()  # nothing is written


def test_bdms_warning_names_a_run_option_that_settles_it(tmp_path):
    """The default scenario's ports forecast still moves after bdm's 10 rounds: the warning's fix
    for ``tertius run`` is taken from the warning, run, and settles bdm without touching exchange."""
    r = invoke("run", "-m", "bdm,exchange", "--draws", "0", "--out", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    warning = " ".join(r.output.split())
    fix = re.search(r"tertius run (-p \S+)", warning)
    assert fix and "not settled on ports" in warning, warning
    r = invoke("run", "-m", "bdm,exchange", "--draws", "0", "--out", str(tmp_path / "b"), "--format", "json",
               *shlex.split(fix.group(1)))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["forecasts"]["bdm"]["params"]["rounds"] == 30 and data["forecasts"]["exchange"]["params"]["rounds"] == 10
    assert "ports" not in {k for k, v in data["forecasts"]["bdm"]["details"].get("settling", {}).items()
                           if v["status"] == "unsettled"}
