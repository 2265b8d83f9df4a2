"""Every break-even value of the default scenario's third-party choices, pinned against a direct
recomputation through the public API (``tertius.conflict.broker``, one scenario at a time, not the
search's batched game): a small step short of the value keeps the answer, a small step beyond it
changes it, to the option the table names. The issue's example, Russia's cost of fighting set from
0.10 to 0.26, is checked the same way: the table calls the input safe exactly when the choices at
0.26 are those at 0.10."""

from __future__ import annotations

import pytest

from tertius.breakeven import search
from tertius.conflict import broker
from tertius.io import load_scenario
from tertius.scenario import Scenario
from tertius.uncertainty import LEVELS, inputs, moved_in_draws, with_value

#: The step either side of a break-even value: 0.01 of a brute-force scan is the issue's bound.
STEP = 1e-3


@pytest.fixture(scope="module")
def searched() -> tuple[Scenario, dict]:
    """The default scenario and its break-even table."""
    s = load_scenario()
    return s, search(s)


def choices(s: Scenario) -> dict[tuple[str | None, str], str]:
    """Each third party's option in the selected equilibrium of each phase, by (phase, third party)."""
    return {(p["id"], t): o for p in broker(s, draws=0)["phases"] for t, o in p["selected"].items()}


def _path(key: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def flips(table: dict) -> list[tuple[dict, dict, dict]]:
    return [(q, r, f) for q in table["questions"] for r in q["inputs"] for f in r["flips"]]


def test_the_default_scenario_has_break_even_values(searched: tuple[Scenario, dict]) -> None:
    _, table = searched
    assert len(flips(table)) >= 3


def test_every_break_even_value_is_where_the_choice_changes(searched: tuple[Scenario, dict]) -> None:
    default, table = searched
    for q, r, f in flips(table):
        way = 1.0 if f["at"] > r["value"] else -1.0
        key = (q["phase"], q["third_party"])
        short = choices(with_value(default, _path(r["input"]), f["at"] - way * STEP))[key]
        beyond = choices(with_value(default, _path(r["input"]), f["at"] + way * STEP))[key]
        assert short == q["answer"], (q["question"], r["label"], f["at"], short)
        assert beyond == f["to"] != q["answer"], (q["question"], r["label"], f["at"], beyond)


def test_russias_cost_of_fighting_at_the_issues_value(searched: tuple[Scenario, dict]) -> None:
    """Issue 19: "set conflict.costs.russia from 0.10 to 0.26 and 1860 flips to stay out". The table
    and a direct recomputation at 0.26 must tell the same story, whichever it is."""
    default, table = searched
    key = "conflict.costs.russia"
    cost = next(i for i in inputs(default) if i.key == key)
    assert cost.value == 0.1 and cost.lo <= 0.26 <= cost.hi
    before, after = choices(default), choices(with_value(default, _path(key), 0.26))
    for q in table["questions"]:
        row = next(r for r in q["inputs"] if r["input"] == key)
        between = [f for f in row["flips"] if cost.value < f["at"] <= 0.26]
        changed = after[(q["phase"], q["third_party"])] != before[(q["phase"], q["third_party"])]
        assert bool(between) == changed, (q["question"], row["flips"], after)


def test_a_flip_within_an_inputs_range_shows_in_the_robustness_shares(searched: tuple[Scenario, dict]) -> None:
    """Issue 19, done means: before any input is changed, the robustness shares of ``tertius
    broker`` show a choice as not robust where an assumed input's range covers a flip. In today's
    game the nearest flip of Russia's 1860 choice is its cost of brokering (broker a deal, stay out
    from about 0.157, in a range of 0.025 to 0.3). The draws take each conflict input at the
    midpoints of LEVELS bins of its range, so a flip region wider than one bin is always drawn; the
    share of the selected option then falls at least half as far as the region's share of the range."""
    default, table = searched
    moved = {i.key for i in moved_in_draws(default)}
    result = broker(default, draws=200, seed=0)
    shares = {(p["id"], t["third_party"]): t["perturbation"]["first"] for p in result["phases"]
              for t in p["third_parties"]}
    checked = []
    for q, r, f in flips(table):
        lo, hi = r["range"]
        region = (hi - f["at"] if f["at"] > r["value"] else f["at"] - lo) / (hi - lo)
        if r["input"] in moved and region > 1 / LEVELS:
            share = shares[(q["phase"], q["third_party"])][q["answer"]]
            assert share < 1 - region / 2, (q["question"], r["label"], f["at"], region, share)
            checked.append((q["third_party"], q["phase"], r["input"]))
    assert ("russia", "1860", "conflict.broker_costs.russia") in checked
    cost = next(r for q in table["questions"] if (q["phase"], q["third_party"]) == ("1860", "russia")
                for r in q["inputs"] if r["input"] == "conflict.broker_costs.russia")
    assert cost["range"][0] < cost["flips"][0]["at"] < cost["range"][1] and cost["flips"][0]["to"] == "neutral"
    assert shares[("1860", "russia")]["broker"] < 0.75
