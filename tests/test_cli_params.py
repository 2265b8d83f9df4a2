"""``-p/--param`` on every command that runs models: ``tertius run`` and ``validate`` take model
parameters as ``forecast`` and ``sweep`` do, the fix in bdm's warning is a command that exists and
does what it says, and every bad parameter is one line naming the option, with exit status 2."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.io import load_scenario, load_scenarios
from tertius.models import run_model
from tests.conftest import DEU_TRAIN, REPO, need

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


def _forecasts_of(rows: list[dict], model: str) -> dict[str, list[float]]:
    """validate's per-issue rows of one model, as each scenario's list of forecasts."""
    out: dict[str, list[float]] = {}
    for r in rows:
        if r["model"] == model:
            out.setdefault(r["scenario"], []).append(r["forecast"])
    return out


def test_validate_runs_the_models_with_the_given_parameters_on_the_deu_file():
    """``validate -p bdm.rounds=3`` scores bdm as run with 3 rounds on every DEU proposal, and
    leaves the other models alone."""
    path = need(DEU_TRAIN)
    r = invoke("validate", str(path), "-m", "bdm,compromise", "-p", "bdm.rounds=3", "-f", "json")
    assert r.exit_code == 0, r.output
    given = json.loads(r.stdout)
    plain = json.loads(invoke("validate", str(path), "-m", "bdm,compromise", "-f", "json").stdout)
    shown = _forecasts_of(given["issues"], "bdm")
    scenarios = load_scenarios(path)
    assert len(shown) == len(scenarios)
    for s in scenarios[:: max(1, len(scenarios) // 20)]:  # a spread of the proposals, run here directly
        assert shown[s.id] == pytest.approx(run_model(s, "bdm", {"rounds": 3}).outcome.tolist())
    assert given["models"]["bdm"]["mae"] != pytest.approx(plain["models"]["bdm"]["mae"])  # the parameter mattered
    assert given["models"]["compromise"] == plain["models"]["compromise"]
    assert _forecasts_of(given["issues"], "compromise") == _forecasts_of(plain["issues"], "compromise")


def test_validate_sets_a_bare_name_for_every_model_that_has_it():
    r = invoke("validate", "-m", "bdm,exchange,compromise", "-p", "rounds=4", "-f", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    s = load_scenario("second-opium-war")
    for m in ("bdm", "exchange"):
        assert _forecasts_of(data["issues"], m)[s.id] == pytest.approx(run_model(s, m, {"rounds": 4}).outcome.tolist())
    assert data["models"]["bdm"]["n"] == len(s.issues)  # the default scenario's outcomes are observed


def test_validate_refuses_parameters_for_a_casebook():
    """A casebook (or a third-party table) is scored by the third-party analysis, which runs no
    forecasting model: a -p would be ignored, so it is an error instead."""
    r = invoke("validate", str(REPO / "casebook"), "-p", "rounds=3")
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: model parameters (-p/--param):") and "fix: drop -p" in lines[0]


#: Which commands choose their models with -m (the others run one model: -m bdm).
CHOOSE_MODELS = ("run", "validate")
#: Which commands write into --out.
WRITE = ("run", "sweep")
BAD = [
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
]


@pytest.mark.parametrize("command,args,needle", [
    (command, args, needle) for command in ("run", "validate", "forecast", "sweep") for args, needle in BAD
    if command in CHOOSE_MODELS or "-m" not in args  # forecast and sweep run one model: no choice to get wrong
])
def test_a_bad_parameter_is_one_line_naming_the_option(tmp_path, command, args, needle):
    extra = [] if command in CHOOSE_MODELS else ["-m", "bdm"]
    out = ["--out", str(tmp_path / "o")] if command in WRITE else []
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
