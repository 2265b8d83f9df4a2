"""The published JSON Schemas accept what tertius reads and writes: every bundled scenario as
written (shorthand numbers included), a saved results.json and a sweep's summary.json."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from tertius.cli import app
from tertius.io import bundled_scenarios
from tertius.schemas import SCHEMAS, results_schema, scenario_schema, summary_schema

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_validates_against_the_schema(name):
    data = yaml.safe_load(bundled_scenarios()[name].read_text())
    jsonschema.validate(data, scenario_schema())


def test_the_schema_accepts_the_readme_shorthand_and_refuses_a_typo():
    base = {"id": "s", "actors": [{"id": "a", "capability": 0.4}], "issues": [{"id": "x"}],
            "stances": [{"actor": "a", "issue": "x", "position": 1, "salience": {"value": 0.5, "source": "here"}}]}
    jsonschema.validate(base, scenario_schema())
    bad = {**base, "stances": [{**base["stances"][0], "salince": 0.5}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, scenario_schema())


def test_saved_results_and_sweep_summaries_validate(tmp_path):
    r = runner.invoke(app, ["run", "--draws", "5", "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    jsonschema.validate(json.loads((tmp_path / "run" / "results.json").read_text()), results_schema())
    r = runner.invoke(app, ["sweep", "--n", "6", "--out", str(tmp_path / "sweep"), "-q"])
    assert r.exit_code == 0, r.output
    jsonschema.validate(json.loads((tmp_path / "sweep" / "summary.json").read_text()), summary_schema())


@pytest.mark.parametrize("of", sorted(SCHEMAS))
def test_schema_command(of):
    r = runner.invoke(app, ["schema", "--of", of])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["$schema"].startswith("https://json-schema.org/") and data["version"]
    jsonschema.Draft202012Validator.check_schema(data)


def test_the_compact_stances_and_the_guides_files_validate(tmp_path):
    import yaml

    from tests.test_guide import files
    from tests.test_hostile import COMPACT

    jsonschema.validate(yaml.safe_load(COMPACT), scenario_schema())
    for path in files(tmp_path).values():
        jsonschema.validate(yaml.safe_load(path.read_text()), scenario_schema())
    bad = yaml.safe_load(COMPACT)
    bad["stances"]["x"]["a"] = [100, 0.9, 3]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, scenario_schema())
