"""The numbers the docs print are the library's: the default scenario's table in
docs/thirdparty.md ("The default scenario") against :func:`tertius.conflict.third_parties` at the
seed and draws it names, so a refit of the choice model or a change to the game that moves them
fails here until the page is updated (one source of numbers)."""

from __future__ import annotations

import re

import pytest

from tertius.conflict import third_parties
from tertius.io import DEFAULT_SCENARIO, load_scenario
from tests.conftest import REPO

PAGE = REPO / "docs" / "thirdparty.md"
ORDER = ("join-a", "join-b", "neutral", "broker")  # the table's column order of expected utilities


def _rows() -> list[list[str]]:
    text = PAGE.read_text(encoding="utf-8").split("## The default scenario", 1)[1]
    table = [line for line in text.splitlines() if line.startswith("| 18")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table]


@pytest.fixture(scope="module")
def result():
    return third_parties(load_scenario(DEFAULT_SCENARIO), None, draws=1000, seed=0)


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def test_the_page_has_the_four_decisions():
    assert len(_rows()) == 4


@pytest.mark.parametrize("k", range(4))
def test_a_row_of_the_default_scenarios_table_is_the_librarys(result, k):
    year, name, _equilibrium, utilities, probability, _recorded = _rows()[k]
    phase = next(p for p in result["phases"] if year in p["name"])
    tp = next(t for t in phase["third_parties"] if t["name"].startswith(name.split()[0]))
    printed = [float(v.strip("* ")) for v in utilities.split("/")]
    computed = [tp["options"][o]["expected_utility"] for o in ORDER]
    assert printed == pytest.approx(computed, abs=5e-4), f"{year} {name}: update the expected utilities"
    recorded = tp["actual"]["option"]
    choice, game = re.fullmatch(r"(\d+ %) \(([\d.]+ %)\)", probability).groups()
    assert choice == _pct(tp["probabilities"][recorded]), f"{year} {name}: update the choice model's probability"
    game_pct = 100 * tp["game_logit"][recorded]
    assert float(game.rstrip(" %")) == pytest.approx(game_pct, abs=0.051 if "." in game else 0.51), \
        f"{year} {name}: update the game logit's probability"


CHOICE_PAGE = REPO / "docs" / "choicemodel.md"
TABLES = {"COW wars": "war", "MID disputes": "dispute", "casebook": "casebook"}


def _cv_rows() -> list[tuple[str, str, list[str]]]:
    """The rows of docs/choicemodel.md's two tables of the three data sets' cross-validation:
    (data set, model key, the printed numbers)."""
    text = CHOICE_PAGE.read_text(encoding="utf-8").split("### The three data sets in one cross-validation", 1)[1]
    text = text.split("\n## ", 1)[0]
    out, data = [], ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        key = re.search(r"`(\w+)`", cells[1]) if line.startswith("|") and len(cells) > 2 else None
        if key is None:
            continue
        data = next((v for k, v in TABLES.items() if cells[0].startswith(k)), data)
        out.append((data, key.group(1), cells[2:]))
    return out


def test_the_three_data_sets_cross_validation_on_the_page_is_fitted_json():
    from tertius.conflict.choice import fitted

    cv = fitted()["cross_validation"]
    rows = _cv_rows()
    assert {(d, k) for d, k, _ in rows} == {(d, k) for d in TABLES.values() for k in
                                            ("choice_model", "baseline_logit", "baseline_logit_casebook", "base_rates")}
    for data, key, cells in rows:
        m = (cv["casebook"] if data == "casebook" else cv["tables"][data])[key]
        for cell, name, places in zip(cells, ("log_loss", "brier", "auc", "f1"), (6, 6, 3, 3), strict=False):
            assert float(cell) == pytest.approx(m[name], abs=0.51 * 10 ** -places), f"{data} {key} {name}: update the page"
        if data == "casebook" and "matched" in m:
            option, matched, brokers = cells[4:7]
            assert float(option) == pytest.approx(m["option_log_loss"], abs=5.1e-4), f"{key}: update the page"
            assert matched == f"{m['matched']} of {m['n']}", f"{key}: update the page"
            assert brokers == f"{m['p_broker_brokers']:.2f} / {m['p_broker_neutrals']:.2f}", f"{key}: update the page"


def test_the_casebook_logit_on_the_page_is_casebook_fit_json():
    """docs/casebook.md quotes the shipped casebook logit (λ, α, β of casebook_fit.json) to the
    digits it prints."""
    from tertius.conflict.casebook import fitted_setting

    text = (REPO / "docs" / "casebook.md").read_text(encoding="utf-8")
    quoted = re.search(r"`setting\.logit`\) are λ = ([\d.]+), α = (−?[\d.]+), β = (−?[\d.]+)", text)
    assert quoted, "docs/casebook.md no longer quotes the shipped logit"
    got = fitted_setting()["logit"]
    for printed, key in zip(quoted.groups(), ("precision", "join_constant", "broker_constant"), strict=True):
        value = float(printed.replace("−", "-"))
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        assert round(got[key], decimals) == value, (key, printed)
