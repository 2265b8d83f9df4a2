"""Importers and exporters: every Decide sample, the DEU file, YAML and CSV round trips."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tertius.errors import InputError
from tertius.io import load_scenario, load_scenarios, render
from tertius.io.yaml_io import scenario_from_data
from tests.conftest import DECIDE_INPUT, DEU_TRAIN, need

# file -> (actors, issues, stances) as counted in shared/reference/decide-exchange-model.md section 4
DECIDE_FILES = {
    "cop21.csv": (15, 13, 181),
    "CoP21_2019.csv": (15, 13, 181),
    "copenhagen.csv": (11, 7, 75),
    "kopenhagen.csv": (11, 7, 75),
    "kopenhagen_2016.csv": (11, 7, 77),
    "verkiezing_2012.csv": (11, 11, 108),
    "data_short.csv": (15, 3, 45),
    "sample_data.txt": (10, 6, 60),
    "verkiezing_2012.xdf": (11, 11, 110),
}


def test_every_decide_sample_is_covered_here():
    files = {p.name for p in need(DECIDE_INPUT).iterdir()}
    assert files == set(DECIDE_FILES) | {"copenhagen_with_errors.csv"}


@pytest.mark.parametrize("name", sorted(DECIDE_FILES))
def test_decide_samples_import(name):
    s = load_scenario(need(DECIDE_INPUT / name))
    assert (len(s.actors), len(s.issues), len(s.stances)) == DECIDE_FILES[name]


def test_broken_decide_sample_is_refused_at_its_row():
    with pytest.raises(InputError) as e:
        load_scenario(need(DECIDE_INPUT / "copenhagen_with_errors.csv"))
    assert str(e.value).startswith(f"{DECIDE_INPUT / 'copenhagen_with_errors.csv'}:86: position 160")


def test_decide_scale_bounds_come_from_m_rows():
    s = load_scenario(need(DECIDE_INPUT / "sample_data.txt"))
    tol = s.issue("tol-hoogte")
    assert (tol.scale.min, tol.scale.max) == (0.5, 7.0)


def test_decide_notes_record_what_was_left_out():
    s = load_scenario(need(DECIDE_INPUT / "kopenhagen_2016.csv"))
    assert any("technology, Forestry" in n for n in s.notes)
    s = load_scenario(need(DECIDE_INPUT / "verkiezing_2012.csv"))
    assert s.arrays.capability[s.actor_ids.index("50+")] == 0


@pytest.mark.parametrize("row,expect", [
    ("#D;A;p;50;60;1", "salience 60 of 'A' on 'p' is outside [0, 1] (fix: Decide saliences lie in [0, 1]"),
    ("#D;A;p;50;0.5;-1", "power -1 of 'A' is negative"),
    ("#D;B;p;50;0.5;1", "names actor 'B', which has no #A row"),
    ("#D;A;p;abc;0.5;1", "position 'abc' is not a number"),
    ("#D;A;p;50;0.5;1\n#D;A;p;40;0.5;1", ":6: second #D row for 'A' on 'p' (first on line 5)"),
    ("#X;whatever", "unknown row tag"),
    ("#D;A;p;50", "#D row has 3 fields, needs 5"),
])
def test_malformed_decide_rows(tmp_path, row, expect):
    p = tmp_path / "bad.csv"
    p.write_text(f"#A;A;Actor A\n#P;p;issue p\n#M;p;0\n#M;p;100\n{row}\n")
    with pytest.raises(InputError) as e:
        load_scenario(p)
    assert expect in str(e.value)
    line = 6 if "second" in expect else 5
    assert str(e.value).startswith(f"{p}:{line}: ")


def test_decide_m_rows_in_any_order(tmp_path):
    p = tmp_path / "order.csv"
    p.write_text("#A;A;A\n#P;p;p\n#M;p;100;high\n#M;p;0;low\n#D;A;p;50;0.5;1\n")
    s = load_scenario(p)
    assert (s.issues[0].scale.min, s.issues[0].scale.max) == (0, 100)


def test_deu_imports_one_scenario_per_issue():
    scenarios = load_scenarios(need(DEU_TRAIN))
    assert len(scenarios) == 243
    scorable = [s for s in scenarios if not np.isnan(s.arrays.observed[0])]
    assert len(scorable) == 233
    with_rp = [s for s in scorable if not np.isnan(s.arrays.status_quo[0])]
    assert len(with_rp) == 176
    s = load_scenario(DEU_TRAIN, select="d00032i1")
    assert s.arrays.observed[0] == 100 and s.salience_scale == 100


def test_yaml_round_trip_is_lossless_for_the_default_scenario():
    s = load_scenario()
    again = scenario_from_data(yaml.safe_load(render(s, "yaml")), file="round-trip")
    assert again == s
    assert render(again, "yaml") == render(s, "yaml")


@pytest.mark.parametrize("name", ["cop21.csv", "sample_data.txt"])
def test_decide_round_trip_keeps_the_numbers(tmp_path, name):
    s = load_scenario(need(DECIDE_INPUT / name))
    out = tmp_path / "again.csv"
    out.write_text(render(s, "decide"))
    t = load_scenario(out)
    a, b = s.arrays, t.arrays
    assert a.actor_ids == b.actor_ids and a.issue_ids == b.issue_ids
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.capability, b.capability)
    np.testing.assert_array_equal(a.lo, b.lo)
    np.testing.assert_array_equal(a.hi, b.hi)


def test_deu_scenario_converts_to_yaml_and_back(tmp_path):
    s = load_scenario(need(DEU_TRAIN), select="d00032i2")
    again = scenario_from_data(yaml.safe_load(render(s, "yaml")), file="x")
    assert again == s


def test_decide_comment_first_row_does_not_fool_the_separator(tmp_path):
    """Fragile spot of Decide's reader (study section 4): a free-text comment as the first row
    made its sniffer pick a wrong separator. Here the tag column decides."""
    p = tmp_path / "comment.csv"
    p.write_text("#/;Notes, with commas\\tand a tab; and semicolons;\n#A;A;Actor A\n#A;B;Actor B\n#P;p;p\n"
                 "#D;A;p;20;0.5;1\n#D;B;p;80;0.5;2\n")
    s = load_scenario(p)
    assert s.actor_ids == ["A", "B"] and s.arrays.capability.tolist() == [1.0, 2.0]
