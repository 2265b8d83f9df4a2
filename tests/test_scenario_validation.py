"""Bad scenarios are refused with one line naming the file, the line and the field."""

from __future__ import annotations

import textwrap

import pytest

from tertius.errors import InputError
from tertius.io import load_scenario

GOOD = """\
id: t
actors:
  - id: a
    capability: 0.5
  - id: b
    capability: {value: 0.5, source: made up}
issues:
  - id: x
    scale: {min: 0, max: 100, anchors: {0: none, 100: all}}
    status_quo: 0
stances:
  - {actor: a, issue: x, position: 10, salience: 0.5}
  - actor: b
    issue: x
    position: 90
    salience: 0.5
"""


def write(tmp_path, text: str):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def refused(tmp_path, text: str) -> str:
    p = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(str(p))
    return msg


def test_good_scenario_loads(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.actor_ids == ["a", "b"]
    assert s.actors[1].capability.source == "made up"
    assert s.issues[0].scale.anchors == {0.0: "none", 100.0: "all"}


@pytest.mark.parametrize("old,new,expect", [
    ("{actor: a, issue: x", "{actor: zz, issue: x", ":12: stances[0].actor: unknown actor 'zz'"),
    ("    issue: x\n    position: 90", "    issue: y\n    position: 90", ":14: stances[1].issue: unknown issue 'y'"),
    ("  - id: b\n", "  - id: a\n", ":5: actors[1].id: duplicate actor id 'a'"),
    ("position: 10,", "position: 120,", ":12: stances[0].position: position 120.0 of 'a' is outside"),
    ("salience: 0.5}", "salience: 50}", "50 looks like a typo"),  # one stray value: not a 0-100 scale
    ("salience: 0.5}", "salience: -0.1}", "stances[0].salience"),
    ("capability: 0.5\n", "capability: -1\n", ":4: actors[0].capability: capability of 'a' is -1.0, below 0"),
    ("position: 10,", "position: .nan,", "stances[0].position"),
    ("position: 10,", "position: .inf,", "NaN or infinite"),
    ("status_quo: 0", "status_quo: 200", ":10: issues[0].status_quo"),
    ("    status_quo: 0\n", "    status_quo: 0\n    colour: red\n", "unknown field 'colour'"),
    ("max: 100", "max: -5", "issues[0].scale"),
])
def test_each_problem_is_located(tmp_path, old, new, expect):
    assert old in GOOD
    msg = refused(tmp_path, GOOD.replace(old, new, 1))
    assert expect in msg, msg
    assert "fix:" in msg


def test_declared_0_100_saliences_are_accepted(tmp_path):
    text = "salience_scale: 100\n" + GOOD.replace("salience: 0.5", "salience: 50")
    s = load_scenario(write(tmp_path, text))
    assert s.arrays.salience.max() == pytest.approx(0.5)


def test_empty_lists_and_uncovered_issue(tmp_path):
    assert "no actors" in refused(tmp_path, "id: t\nactors: []\nissues: []\nstances: []\n")
    msg = refused(tmp_path, GOOD.replace("stances:", "  - id: lonely\nstances:"))
    assert "no actor takes a position on issue 'lonely'" in msg and ":11:" in msg


def test_missing_field_and_bad_yaml(tmp_path):
    assert "missing field 'capability'" in refused(tmp_path, GOOD.replace("    capability: 0.5\n", "", 1))
    assert "not valid YAML" in refused(tmp_path, "id: [unclosed\n")
    assert "does not hold a scenario" in refused(tmp_path, "- just a list\n")


def test_unknown_file_and_suffix(tmp_path):
    with pytest.raises(InputError, match="no such file or bundled scenario"):
        load_scenario(tmp_path / "missing.yaml")
    p = tmp_path / "s.docx"
    p.write_text("x")
    with pytest.raises(InputError, match="unknown file type"):
        load_scenario(p)
