"""The command line: every command, its --help, JSON output and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tests.conftest import DECIDE_INPUT, DEU_TRAIN, need

runner = CliRunner()
COMMANDS = ["run", "forecast", "validate", "broker", "scenarios", "schema", "convert", "report", "models", "sweep", "serve"]


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help(cmd):
    r = invoke(cmd, "--help")
    assert r.exit_code == 0 and "Usage" in r.output


def test_run_writes_results_and_a_self_contained_report(tmp_path):
    r = invoke("run", "--out", str(tmp_path), "--format", "json", "--draws", "20")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["scenario"]["id"] == "second-opium-war"
    assert set(data["forecasts"]) >= {"mean", "weighted-median", "compromise", "nash"}
    html = (tmp_path / "report.html").read_text()
    assert "<svg" in html
    for network_load in ('src="http', "href=\"http", "<link", "<script src", "@import", "url(http", "fetch(",
                         "XMLHttpRequest"):
        assert network_load not in html
    assert html.count("<script>") == 1  # the chart downloads, inline
    assert html.count("<svg") >= 1 + len(data["scenario"]["issues"])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["scores"] == data["scores"]


def test_run_table_output(tmp_path):
    r = invoke("run", "--out", str(tmp_path), "--draws", "20")
    assert r.exit_code == 0
    assert "legations" in r.stdout and "MAE" in r.stdout and "report.html" in r.stdout


def test_report_rerenders_from_saved_results(tmp_path):
    invoke("run", "--out", str(tmp_path), "--format", "json", "--draws", "20")
    written = (tmp_path / "report.html").read_bytes()
    (tmp_path / "report.html").unlink()
    r = invoke("report", str(tmp_path / "results.json"))
    assert r.exit_code == 0
    assert (tmp_path / "report.html").read_bytes() == written  # the same bytes that 'run' wrote


def test_report_rerenders_results_saved_with_the_old_broker_key(tmp_path):
    """Up to 0.2.0 results.json held the third-party analysis under ``broker``; such a file (made
    here by giving the key back its old name, which is all that changed) renders to the same bytes."""
    invoke("run", "--out", str(tmp_path), "--format", "json", "--draws", "20")
    written = (tmp_path / "report.html").read_bytes()
    text = (tmp_path / "results.json").read_text(encoding="utf-8")
    assert text.count('"third_parties": {') == 1
    old = tmp_path / "old" / "results.json"
    old.parent.mkdir()
    old.write_text(text.replace('"third_parties": {', '"broker": {'), encoding="utf-8")
    assert '"broker": {' in old.read_text(encoding="utf-8") and '"third_parties": {' not in old.read_text(encoding="utf-8")
    r = invoke("report", str(old))
    assert r.exit_code == 0, r.output
    html = (old.parent / "report.html").read_bytes()
    assert html == written and b'id="third-parties"' in html


def test_exchange_report_shows_rounds_exchanges_and_externalities(tmp_path):
    r = invoke("run", str(need(DECIDE_INPUT / "copenhagen.csv")), "-m", "exchange", "--out", str(tmp_path),
               "--format", "json", "--draws", "5")
    assert r.exit_code == 0, r.output
    html = (tmp_path / "report.html").read_text()
    assert "exchange: the largest exchanges of round 1" in html
    assert "exchange: externalities by round" in html
    assert "exchange: externalities by actor, round 1" in html and "Alliance of Small Island States" in html
    rounds = json.loads(r.stdout)["forecasts"]["exchange"]["details"]["externalities_by_round"]
    assert html.count("<tr><td>", html.index("externalities by round")) >= len(rounds) == 10


def test_forecast_json_layout():
    r = invoke("forecast", str(need(DECIDE_INPUT / "cop21.csv")), "--model", "compromise", "--format", "json")
    data = json.loads(r.stdout)
    assert data["model"] == "compromise"
    assert len(data["issues"]) == 13
    assert all(isinstance(i["id"], str) and isinstance(i["outcome"], float) for i in data["issues"])


def test_forecast_on_a_file_with_many_scenarios():
    r = invoke("forecast", str(need(DEU_TRAIN)))
    assert r.exit_code == 2 and "--select" in r.stderr
    r = invoke("forecast", str(DEU_TRAIN), "--select", "d00032i1", "--format", "json")
    assert json.loads(r.stdout)["scenario"] == "d00032i1"


def test_validate_json_on_deu():
    r = invoke("validate", str(need(DEU_TRAIN)), "--model", "compromise", "--format", "json")
    data = json.loads(r.stdout)
    assert data["models"]["compromise"]["n"] == 233
    assert isinstance(data["models"]["compromise"]["mae"], float)


def test_scenarios_models_schema():
    listed = json.loads(invoke("scenarios", "--format", "json").stdout)["scenarios"]
    assert [s["id"] for s in listed if s["default"]] == ["second-opium-war"]
    assert "eu-emissions-1994" in {s["id"] for s in listed}
    names = {m["name"] for m in json.loads(invoke("models", "--format", "json").stdout)["models"]}
    assert {"mean", "weighted-median", "compromise", "nash"} <= names
    schema = json.loads(invoke("schema").stdout)
    assert schema["title"] == "Scenario" and "stances" in schema["properties"]


def test_convert_between_formats(tmp_path):
    out = tmp_path / "cop21.yaml"
    r = invoke("convert", str(need(DECIDE_INPUT / "cop21.csv")), str(out))
    assert r.exit_code == 0 and out.exists()
    back = tmp_path / "cop21.csv"
    assert invoke("convert", str(out), str(back)).exit_code == 0
    assert json.loads(invoke("forecast", str(back), "--format", "json").stdout)["issues"] == \
        json.loads(invoke("forecast", str(out), "--format", "json").stdout)["issues"]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("args,needle", [
    (["forecast", "no-such-scenario"], "no such file or bundled scenario"),
    (["forecast", "--model", "oracle"], "unknown model 'oracle'"),
    (["forecast", "--param", "x"], "not NAME=VALUE"),
    (["convert", "second-opium-war", "out.docx"], "cannot tell the output format"),
    (["forecast", "-m", "exchange", "-p", "bookkeeping=nonsense"], "(-p/--param): exchange parameter bookkeeping"),
    (["forecast", "-m", "bdm", "-p", "rounds=x"], "(-p/--param): parameter rounds='x' of model 'bdm' is not of type int"),
])
def test_user_errors_are_one_line_with_exit_2(args, needle):
    r = invoke(*args)
    assert r.exit_code == 2
    assert needle in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr


def test_broken_file_error(tmp_path):
    r = invoke("forecast", str(need(DECIDE_INPUT / "copenhagen_with_errors.csv")))
    assert r.exit_code == 2 and ":86: position 160" in r.stderr


def test_broker_command():
    r = invoke("broker", "--third-party", "russia", "--draws", "10", "--format", "json")
    data = json.loads(r.stdout)
    assert [t["third_party"] for p in data["phases"] for t in p["third_parties"]] == ["russia", "russia"]
    r = invoke("broker", "--draws", "5")
    assert r.exit_code == 0 and "broker" in r.stdout and "Qing China" in r.stdout
    r = invoke("broker", "eu-emissions-1994")
    assert r.exit_code == 2 and "declares no conflict" in r.stderr


def test_output_files_get_the_umask_mode(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        r = invoke("run", "-m", "compromise", "--draws", "2", "--out", str(tmp_path / "out"))
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    for name in ("results.json", "report.html"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o644


def test_version_command():
    r = invoke("version", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["version"]


def test_readme_python_example_runs():
    """The README's Python example, run as a doctest would (its last line needs the DEU file)."""
    import re

    from tests.conftest import DEU_TRAIN, REPO, need

    text = (REPO / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    need(DEU_TRAIN)
    code = code.replace('"../shared/data/deu/deu_train.tsv"', repr(str(DEU_TRAIN)))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["f"].model == "compromise"


def test_version_and_short_help_flags():
    r = invoke("--version")
    assert r.exit_code == 0 and r.stdout.strip()
    r = invoke("-h")
    assert r.exit_code == 0 and "Usage" in r.stdout
    r = invoke("forecast", "-h")
    assert r.exit_code == 0 and "--model" in r.stdout


def test_models_as_a_comma_list(tmp_path):
    r = invoke("run", "-m", "compromise,mean", "--draws", "0", "--out", str(tmp_path), "--format", "json")
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)["forecasts"]) == {"compromise", "mean"}


def test_run_and_sweep_share_one_rule_for_earlier_output(tmp_path):
    args = ("run", "-m", "compromise", "--draws", "2", "--out", str(tmp_path / "run"))
    assert invoke(*args).exit_code == 0
    again = invoke(*args)
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert invoke(*args, "--overwrite").exit_code == 0
    sweep = ("sweep", "--n", "20", "--chunk-size", "10", "-q", "--out", str(tmp_path / "sweep"))
    assert invoke(*sweep).exit_code == 0
    again = invoke(*sweep)
    assert again.exit_code == 2 and "--overwrite" in again.stderr and "--resume" in again.stderr
    assert invoke(*sweep, "--overwrite").exit_code == 0
    assert invoke(*sweep, "--resume", "--overwrite").exit_code == 2


def test_the_default_sweep_folder_names_the_model_and_seed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("sweep", "--n", "10", "-q", "--seed", "4").exit_code == 0
    assert invoke("sweep", "--n", "10", "-q", "-m", "mean", "--seed", "4").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "tertius-output").iterdir())
    assert names == ["second-opium-war-sweep-compromise-seed4", "second-opium-war-sweep-mean-seed4"]


def test_ctrl_c_in_a_sweep_says_how_to_resume(tmp_path, monkeypatch):
    import tertius.cli as cli

    def interrupted(*args, **kwargs):
        kwargs["progress"](1)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_sweep_api", interrupted)
    r = runner.invoke(app, ["sweep", "--n", "30", "--chunk-size", "10", "-q", "--out", str(tmp_path / "s")])
    assert r.exit_code == 130 and "--resume" in r.stderr and "1 of 3 chunks" in r.stderr


def test_the_cli_and_the_analysis_import_no_table_library():
    """pandas is imported where a sweep builds or reads a table: importing the CLI, the analysis
    and the third parties' game (every command's start) does not import it."""
    import subprocess
    import sys

    code = ("import sys, tertius.cli, tertius.analysis, tertius.conflict, tertius.sweeps; "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
