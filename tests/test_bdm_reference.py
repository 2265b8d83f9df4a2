"""Reference tests for the `bdm` model on the EC car-emission example.

Data: shared/data/bdm/eu_emissions_1994/ (Bueno de Mesquita 1994, *European Community Decision
Making*, table p. 78; Scholz, Calbert & Smith 2011, *J. Theoretical Politics* 23(4), Table 1).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tertius.io import load_scenario
from tertius.models import run_model
from tertius.models.bdm import DEFAULTS, bdm_issue, expected_utilities, risk_exponents, win_probabilities
from tests.conftest import BDM_DATA, need

EU = BDM_DATA / "eu_emissions_1994"


def _table(name: str) -> list[dict[str, str]]:
    with need(EU / name).open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def inputs():
    rows = _table("actors.csv")
    names = [r["Actor"] for r in rows]
    x = np.array([float(r["Position"]) for r in rows])
    c = np.array([float(r["Capability"]) for r in rows])
    s = np.array([float(r["Salience"]) for r in rows])
    return names, x, c, s


@pytest.fixture(scope="module", autouse=True, params=["c", "numpy"])
def kernel(request):
    """Every test here runs on both paths: the C kernel (when it was built at install) and numpy."""
    if request.param == "c":
        pytest.importorskip("tertius.models._bdm_c", reason="the C kernel was not built (pip install -e .)")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERTIUS_KERNEL", request.param)
        yield request.param


@pytest.fixture(scope="module")
def trajectory(inputs, kernel):
    _, x, c, s = inputs
    return bdm_issue(x, c, s, DEFAULTS, kernel=kernel)


def test_weighted_mean_per_round(trajectory):
    """Scholz et al. (2011) round-by-round c·s-weighted mean, rounds 0-10, as reproduced by
    the jmckib replication (shared/reference/bdm-and-deu.md section 5.1, check B). Tolerance 1e-3."""
    published = [7.390, 7.461, 7.553, 7.590, 7.358, 7.349, 7.415, 7.510, 7.572, 7.325, 7.242]
    np.testing.assert_allclose(trajectory.mean, published, atol=1e-3)


def test_positions_per_round(inputs, trajectory):
    """Every actor's position after each round: scholz_replication_rounds.csv. Tolerance 1e-3."""
    names = inputs[0]
    ref = _table("scholz_replication_rounds.csv")
    expected = np.array([[float(r[n]) for n in names] for r in ref])
    np.testing.assert_allclose(trajectory.positions, expected, atol=1e-3)
    np.testing.assert_allclose(trajectory.mean, [float(r["weighted_mean_cs"]) for r in ref], atol=1e-6)
    np.testing.assert_allclose(trajectory.median, [float(r["bdm_vote_median"]) for r in ref], atol=1e-6)


def test_round_one_risk_exponents(inputs, trajectory):
    """risk_exponents_round1.csv (Scholz-style implementation). Tolerance 1e-4."""
    names = inputs[0]
    ref = {r["actor"]: float(r["r_scholz_impl_round1"]) for r in _table("risk_exponents_round1.csv")}
    np.testing.assert_allclose(trajectory.risk[0], [ref[n] for n in names], atol=1e-4)


def test_belgium_quadrant(inputs):
    """BDM (1994)'s figure of Belgium's perspective after the round-1 risk update:
    x = E^B(U_Bj), y = E^B(U_jB). Figure values read by eye, tolerance 0.02
    (belgium_quadrant_round1.csv); the Scholz-style values to 1e-3."""
    names, x, c, s = inputs
    w = c * s
    R = float(x.max() - x.min())
    r = risk_exponents(x, w, s, R, "global")
    P = win_probabilities(x, w, r, R, "global")
    own, other = expected_utilities(x, s, P, r, R, 7.0, 1.0, 1.0)
    b = names.index("Belgium")
    for row in _table("belgium_quadrant_round1.csv"):
        j = names.index(row["other_actor"])
        assert own[b, j] == pytest.approx(float(row["fig_x_EU_Belgium_challenges_other"]), abs=0.02)
        assert other[b, j] == pytest.approx(float(row["fig_y_EU_other_challenges_Belgium"]), abs=0.02)
        assert own[b, j] == pytest.approx(float(row["scholz_impl_x_after_risk_update"]), abs=1e-3)
        assert other[b, j] == pytest.approx(float(row["scholz_impl_y_after_risk_update"]), abs=1e-3)


def test_round_one_offers(inputs, trajectory):
    """Round 1: Belgium compromises with France (to 8.4159), Luxembourg loses to Belgium (to 7),
    Ireland loses to Luxembourg (to 4) (bdm-and-deu.md section 5.1)."""
    names = inputs[0]
    after = dict(zip(names, trajectory.positions[1], strict=True))
    assert after["Belgium"] == pytest.approx(8.4159323154, abs=1e-9)
    assert after["Luxembourg"] == 7.0 and after["Ireland"] == 4.0
    assert names[trajectory.partners[0][names.index("Belgium")]] == "France"


def test_model_on_the_csv_and_the_0_100_copy_agree():
    """The same table with saliences on 0-100 gives the same trajectory."""
    a = run_model(load_scenario(need(EU / "actors.csv")), "bdm")
    b = run_model(load_scenario(need(EU / "actors_salience_0_100.csv")), "bdm")
    np.testing.assert_allclose(np.array(a.rounds), np.array(b.rounds), atol=1e-12)
    assert a.outcome_of("issue") == pytest.approx(7.0)
    assert len(a.rounds) == 11
