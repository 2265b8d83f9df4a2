"""Sweeps move the conflict inputs within their ranges, as the robustness draws of broker and run do."""

from __future__ import annotations

import yaml

from tertius.scenario import Scenario
from tertius.sweeps import sweep
from tests.test_hostile import YAML


def _small(cost: dict | float) -> Scenario:
    data = yaml.safe_load(YAML)
    data["conflict"]["costs"]["t"] = cost
    data["perturbation"] = {"position": 0, "salience": 0, "capability": 0}
    return Scenario.model_validate(data)


def test_a_declared_range_moves_the_third_partys_choice_in_a_sweep(tmp_path) -> None:
    # the break-even search puts Third's flip to brokering at a cost of about 0.395
    wide = _small({"value": 0.1, "assumption": "x", "range": [0.0, 0.9]})
    _, _, summary = sweep(wide, "compromise", n=64, chunk_size=16, out=tmp_path / "wide")
    shares = summary["third_party_shares"][""]["t"]
    assert 0 < shares["join-a"] < 1 and shares["broker"] > 0.2, shares
    row = next(m for m in summary["moved"] if m["input"] == "conflict.costs.t")
    assert row["range"] == [0.0, 0.9] and row["value"] == 0.1 and row["label"] == "Third: cost of fighting"
    # a range of one value does not move, and then the cost never reaches the flip
    fixed = _small({"value": 0.1, "assumption": "x", "range": [0.1, 0.1]})
    _, _, still = sweep(fixed, "compromise", n=64, chunk_size=16, out=tmp_path / "fixed")
    assert "conflict.costs.t" not in {m["input"] for m in still["moved"]}
    assert still["third_party_shares"][""]["t"]["broker"] < shares["broker"]


def test_sweep_conflict_draws_are_seeded_and_independent_of_chunking(tmp_path) -> None:
    s = _small({"value": 0.1, "assumption": "x", "range": [0.0, 0.9]})
    a = sweep(s, "compromise", n=32, chunk_size=16, seed=5, out=tmp_path / "a").summary
    b = sweep(s, "compromise", n=32, chunk_size=16, seed=5, out=tmp_path / "b").summary
    assert a["third_party_shares"] == b["third_party_shares"]


def test_sweep_output_says_what_moved(tmp_path) -> None:
    from typer.testing import CliRunner

    from tertius.cli import app

    f = tmp_path / "s.yaml"
    f.write_text(YAML.replace("costs: {a: 0.1, b: 0.1, t: 0.1}",
                              "costs: {a: 0.1, b: 0.1, t: {value: 0.1, assumption: x, range: [0.0, 0.9]}}"))
    res = CliRunner().invoke(app, ["sweep", str(f), "--n", "16", "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "Third: cost of fighting 0.1, drawn in 0–0.9" in text
    assert "Third: cost of fighting" in (tmp_path / "o" / "report.html").read_text()
    # without a conflict nothing but the perturbation moves, and the summary says so
    plain = tmp_path / "p.yaml"
    plain.write_text(YAML.split("conflict:")[0])
    res = CliRunner().invoke(app, ["sweep", str(plain), "--n", "8", "--out", str(tmp_path / "p"), "-q",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    assert json.loads(res.stdout)["moved"] == []
