"""Issue 19: every assumed input of the default scenario appears in the report's "Inputs and their
sources", with its range (the range :func:`tertius.uncertainty.inputs` gives it), and the table
lists the assumptions sorted by how close they come to flipping an answer."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from tertius.io import load_scenario
from tertius.report.html import render_html
from tertius.uncertainty import inputs, label, labeller


class _Tables(HTMLParser):
    """The rows (cell texts) of the first table after ``<h2 id="inputs">``, and of the table in
    the ``<details>`` after it (the sourced numbers)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen, self.tables, self.row, self.cell = False, [], None, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "h2":
            self.seen = dict(attrs).get("id") == "inputs"
        elif self.seen and tag == "table":
            self.tables.append([])
        elif self.seen and self.tables and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data


@pytest.fixture(scope="module")
def report() -> tuple[list[list[str]], list[list[str]], dict]:
    from tertius.analysis import analyse

    results = json.loads(json.dumps(analyse(load_scenario(), draws=20)))
    parser = _Tables()
    parser.feed(render_html(results))
    assumed, sourced = parser.tables[0], parser.tables[1]
    assert assumed[0][:3] == ["input", "value", "range"] and sourced[0][:3] == ["input", "value", "range"]
    return assumed[1:], sourced[1:], results


def _range(text: str) -> tuple[float, float]:
    lo, hi = text.replace(" (declared)", "").split("–")
    return float(lo), float(hi)


def test_every_assumed_input_is_in_the_inputs_table_with_its_range(report) -> None:
    assumed, sourced, _ = report
    s = load_scenario()
    found = inputs(s)
    rows = {r[0]: r for r in assumed}
    wanted = [i for i in found if i.assumed]
    assert len(assumed) == len(wanted) and len(sourced) == len(found) - len(wanted)
    conflict = [i for i in wanted if i.path[0] == "conflict"]
    assert {"conflict.costs.russia", "conflict.broker_costs.russia", "conflict.loser_weight",
            "conflict.miles_per_day"} <= {i.key for i in conflict}  # the conflict's inputs are there
    for i in wanted:
        row = rows.get(label(s, i))
        assert row is not None, f"{i.key} ({label(s, i)}) is not in the report's inputs table"
        assert row[3] == "assumed", (i.key, row)
        lo, hi = _range(row[2])
        assert lo == pytest.approx(i.lo, rel=5e-3, abs=1e-9) and hi == pytest.approx(i.hi, rel=5e-3, abs=1e-9), \
            (i.key, row[2], i.lo, i.hi)
        assert float(row[1]) == pytest.approx(i.value, rel=5e-3, abs=1e-9), (i.key, row)


def test_assumptions_are_sorted_by_how_close_they_come_to_a_flip(report) -> None:
    assumed, _, results = report
    share = [float(r[4].rstrip(" %")) if r[4] != "–" else None for r in assumed]
    close = [x for x in share if x is not None]
    assert close and close == sorted(close) and share[: len(close)] == close  # the flips first, nearest on top
    russia = next(r for r in assumed if r[0] == "Russian Empire: cost of brokering")
    nearest = min(r["closeness"] for q in results["breakeven"]["questions"] for r in q["inputs"]
                  if r["input"] == "conflict.broker_costs.russia" and not r["safe"])
    assert float(russia[4].rstrip(" %")) == pytest.approx(100 * nearest, abs=0.5)


@pytest.mark.parametrize("name", ["second-opium-war", "eu-emissions-1994"])
def test_labeller_names_every_input_as_label_does(name):
    """labeller reads the scenario once for many inputs; each name is label's."""
    s = load_scenario(name)
    name_of = labeller(s)
    found = inputs(s)
    assert found and [name_of(i) for i in found] == [label(s, i) for i in found]
