"""Equilibria where iterated best response cycles (tertius.conflict.equilibrium): dominance +
enumeration among the third parties that matter, else a logit QRE traced from λ = 0. A cycle is
never presented as an answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tertius.conflict import broker, equilibrium
from tertius.conflict.equilibrium import (
    BEST_RESPONSE,
    ENUMERATION,
    LAMBDAS,
    LOGIT_QRE,
    expected,
    qre,
    qre_damped,
    solve,
    undominated,
)
from tertius.conflict.game import (
    all_profiles,
    best_response_path,
    deviation_values,
    option_values,
    payoffs,
    pure_equilibria,
)
from tertius.conflict.thirdparty import analyse_phase, explain
from tertius.conflict.war import OPTIONS, UNAVAILABLE, build_war, phases_of, players, restrict, rows
from tertius.io import load_scenario
from tertius.scenario import Scenario

from .test_conflict import _war, conflicts

ROOT = Path(__file__).resolve().parents[1]


def _pennies(a: float = 1.0) -> np.ndarray:
    """Matching pennies between two players on options 0 and 1 (2 and 3 are strictly worse):
    (1, 4, 4, 2). Player 0 wants to match, player 1 to differ."""
    g = np.zeros((1, 4, 4, 2))
    g[0, 2:, :, 0] = g[0, :, 2:, 1] = -5.0
    for i in range(2):
        for j in range(2):
            g[0, i, j] = (a, -a) if i == j else (-a, a)
    return g


def test_matching_pennies_has_no_pure_equilibrium_and_its_qre_is_the_even_mix():
    grid = _pennies()
    alive = undominated(grid)
    assert alive[0].tolist() == [[True, True, False, False]] * 2  # options 2, 3 strictly dominated
    sigma, lam = qre(grid)
    assert lam[0] > 1.0  # the path was traced well beyond λ = 0
    assert np.allclose(sigma[0, :, :2], 0.5, atol=1e-6) and np.allclose(sigma[0, :, 2:], 0.0, atol=1e-6)


def test_qre_is_a_fixed_point_of_the_logit_response():
    rng = np.random.default_rng(3)
    grid = rng.normal(size=(3, 4, 4, 4, 3))
    sigma, lam = qre(grid)
    u = expected(grid, sigma)
    z = lam[:, None, None] * (u - u.max(-1, keepdims=True))
    again = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    assert np.allclose(again, sigma, atol=1e-6)
    assert np.allclose(sigma.sum(-1), 1.0)


def _residual(grid: np.ndarray, sigma: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(Dg,) max |σ - logit(λ u(σ))|, the expected payoffs u from the plain contraction."""
    u = expected(grid, sigma)
    z = lam[:, None, None] * (u - u.max(-1, keepdims=True))
    return np.abs(np.exp(z) / np.exp(z).sum(-1, keepdims=True) - sigma).max((-1, -2))


def _range(grid: np.ndarray) -> np.ndarray:
    span = np.where(grid > UNAVAILABLE / 2, grid, np.nan).reshape(len(grid), -1)
    return np.nanmax(span, -1) - np.nanmin(span, -1)


@settings(max_examples=40, deadline=None)
@given(s=st.integers(1, 4), seed=st.integers(0, 2 ** 32 - 1), unit=st.integers(-3, 3), blocked=st.booleans(),
       ties=st.booleans())
def test_the_traced_qre_is_a_fixed_point_at_the_reported_lambda(s, seed, unit, blocked, ties):
    """Generated games of 1-4 players (payoffs on scales 10^-3 to 10^3, on a coarse grid with
    ties, with an option unavailable to the first player): the traced QRE is a fixed point of the
    logit response at the λ it reports (residual < 1e-8), the path reaches the last point of
    LAMBDAS, and the unavailable option gets probability 0."""
    rng = np.random.default_rng(seed)
    grid = rng.normal(size=(3,) + (4,) * s + (s,))
    if ties:
        grid = np.round(grid)
    grid *= 10.0 ** unit
    if blocked:
        grid[:, 3, ..., 0] = UNAVAILABLE
    sigma, lam = qre(grid)
    assert np.allclose(sigma.sum(-1), 1.0) and (sigma >= 0).all()
    assert (_residual(grid, sigma, lam) < 1e-8).all()
    scale = np.where(_range(grid) > 1e-12, _range(grid), 1.0)
    assert np.allclose(lam * scale, LAMBDAS[-1])
    if blocked:
        assert (sigma[:, 0, 3] < 1e-300).all()


@settings(max_examples=20, deadline=None)
@given(s=st.integers(1, 3), seed=st.integers(0, 2 ** 32 - 1))
def test_the_path_follower_agrees_with_the_damped_corrector_where_that_converged(s, seed):
    """On small generated games the damped corrector (no predictor, the reference) converges up to
    some λ; the path followed by predictor and Newton, stopped at that λ, gives the same
    probabilities (tolerance 1e-6: the damped corrector stops at a residual of 1e-7)."""
    rng = np.random.default_rng(seed)
    grid = rng.normal(size=(2,) + (4,) * s + (s,))
    ref, lam_ref = qre_damped(grid)
    scale = _range(grid)
    sigma, lam = qre(grid, top=lam_ref * scale)
    assert np.allclose(lam, lam_ref)
    assert np.abs(sigma - ref).max() < 1e-6


@pytest.mark.parametrize("s", [1, 2, 3, 5])
def test_expected_payoffs_equal_the_sum_over_every_profile(s):
    """The halving contraction of ``expected`` against the plain sum over all 4^s profiles of each
    player's payoff times the others' probabilities (tolerance 1e-12)."""
    import itertools

    rng = np.random.default_rng(s)
    grid = rng.normal(size=(2,) + (4,) * s + (s,))
    sigma = rng.dirichlet(np.ones(4), size=(2, s))
    ref = np.zeros((2, s, 4))
    for prof in itertools.product(range(4), repeat=s):
        for j in range(s):
            w = np.prod([sigma[:, i, prof[i]] for i in range(s) if i != j], axis=0) if s > 1 else 1.0
            ref[:, j, prof[j]] += w * grid[(slice(None), *prof, j)]
    assert np.allclose(expected(grid, sigma), ref, rtol=0, atol=1e-12)


def test_qre_selects_the_risk_dominant_of_two_pure_equilibria():
    """A stag hunt: both (0, 0) and (1, 1) are equilibria; the logit path from λ = 0 ends at the
    risk-dominant one (1, 1) (McKelvey & Palfrey 1995, sec. 4; Turocy 2005)."""
    g = np.full((1, 4, 4, 2), -10.0)
    g[0, 0, 0] = (4, 4)
    g[0, 0, 1] = (0, 3)
    g[0, 1, 0] = (3, 0)
    g[0, 1, 1] = (3, 3)
    sigma, _ = qre(g)
    assert sigma[0, 0].argmax() == 1 and sigma[0, 1].argmax() == 1


@pytest.fixture(scope="module")
def balkans():
    s = load_scenario(ROOT / "casebook" / "first-balkan-war-london-1912.yaml")
    return s, phases_of(s)[0]


def test_a_cycle_of_best_responses_is_never_the_answer(balkans):
    """In the first Balkan war's first phase (seven third parties) best response cycles; the whole
    game has no pure equilibrium (all 4^7 profiles enumerated: see benchmarks/bench_equilibrium.py),
    so the answer is the logit QRE, reported as such."""
    s, phase = balkans
    war = build_war(s, phase)
    _, converged, _ = best_response_path(war)
    assert not converged[0]
    sol = solve(war)
    assert sol.method[0] == LOGIT_QRE and not sol.ok[0]
    assert sol.label(0).startswith("logit QRE, λ=")
    assert np.allclose(sol.mixed[0].sum(-1), 1.0)
    out = analyse_phase(s, phase, draws=0)
    assert out["solver"] == sol.label(0) and not out["converged"]
    assert "logit QRE" in out["method"]
    party = out["third_parties"][0]
    assert "logit QRE" in party["explanation"] and "not a pure equilibrium" in party["explanation"]


@settings(max_examples=20, deadline=None)
@given(data=conflicts(third_parties=3))
def test_the_reported_profile_is_an_equilibrium_whenever_a_pure_one_exists(data):
    """Best response stopped after one step (max_steps=0), so wherever someone still gains by
    moving the other methods must find the equilibrium; checked against brute-force enumeration,
    and "best response" is the method only where the profile it reached is an equilibrium."""
    war = _war(data)
    third = np.nonzero(war.third)[0]
    sol = solve(war, max_steps=0)
    event(sol.label(0).split(",")[0])
    roles, ne = pure_equilibria(war)
    found = {tuple(int(x) for x in roles[p, third]) for p in np.nonzero(ne[0])[0]}
    if sol.method[0] == BEST_RESPONSE:  # only where the profile it reached is an equilibrium
        assert sol.ok[0]
    if found:
        assert tuple(int(x) for x in sol.profile[0, third]) in found
        assert sol.ok[0] and sol.method[0] in (BEST_RESPONSE, ENUMERATION)
    else:
        assert sol.method[0] == LOGIT_QRE and not sol.ok[0]
    if sol.ok[0]:  # no third party gains by deviating
        vals, _ = option_values(war, sol.profile)
        here = np.take_along_axis(vals, sol.profile[:, third][..., None].astype(np.intp), -1)[..., 0]
        assert (vals.max(-1) <= here + 1e-9 * (1 + np.abs(here))).all()


def test_explain_names_enumeration(balkans):
    s, phase = balkans
    out = analyse_phase(s, phase, draws=0)
    item = dict(out["third_parties"][0], method="dominance + enumeration")
    assert "enumerating" in explain(build_war(s, phase), item, True)


CONFLICTS = [p for p in sorted((ROOT / "casebook").glob("*.yaml"))
             + sorted((ROOT / "src" / "tertius" / "scenarios").glob("*.yaml"))]


@pytest.mark.parametrize("path", CONFLICTS, ids=lambda p: p.stem)
def test_every_bundled_conflict_ends_with_a_reported_equilibrium_and_method(path):
    s = load_scenario(path)
    if s.conflict is None:
        pytest.skip("no conflict")
    for phase in broker(s, draws=0)["phases"]:
        assert phase["solver"] == "best response" or phase["solver"] == "dominance + enumeration" \
            or phase["solver"].startswith("logit QRE, λ=")
        assert set(phase["selected"]) == {t["third_party"] for t in phase["third_parties"]}
        assert all(o in OPTIONS for o in phase["selected"].values())
        assert phase["converged"] == (not phase["solver"].startswith("logit QRE"))


def test_pygambit_agrees_on_the_logit_qre_of_matching_pennies():
    """Optional oracle (pygambit is GPL and not a dependency)."""
    gbt = pytest.importorskip("pygambit")
    g = _pennies()
    game = gbt.Game.from_arrays(g[0, ..., 0], g[0, ..., 1])
    res = gbt.nash.logit_solve(game)
    ref = [[float(res.equilibria[0][s]) for s in pl.strategies] for pl in game.players]
    sigma, _ = qre(g)
    assert np.allclose(sigma[0], ref, atol=1e-3)


def test_perturbed_draws_report_each_method_share(balkans):
    """Over perturbed draws (whose wars may carry per-draw costs) every draw gets a method, and
    the shares add up to one."""
    s, phase = balkans
    out = analyse_phase(s, phase, draws=20, seed=1)
    share = out["solver_share"]
    assert set(share) == {"best response", "dominance + enumeration", "logit QRE"}
    assert abs(sum(share.values()) - 1.0) < 1e-12


def test_the_reported_qre_is_a_fixed_point_of_the_logit_response_in_the_whole_war():
    """Mudanya (1922, three third parties): iterated best response cycles and the game has no pure
    equilibrium, so the answer is the logit QRE. It must be a fixed point (McKelvey & Palfrey 1995,
    eq. 3): each third party's probabilities equal exp(λ EU(o)) / Σ exp(λ EU(o')) where EU(o) is its
    payoff of option o against the others' QRE mixture. The payoffs here come from the whole war,
    all 4^3 profiles through :func:`tertius.conflict.game.payoffs`, not from the solver's subgame.
    Tolerance 1e-8 in probability: Newton's corrector stops below 1e-12 at the reported λ."""
    s = load_scenario(ROOT / "casebook" / "greco-turkish-war-mudanya-1922.yaml")
    (phase,) = phases_of(s)
    war = build_war(s, phase)
    _, converged, _ = best_response_path(war)
    assert not converged[0]  # the cycle
    sol = solve(war)
    assert sol.method[0] == LOGIT_QRE and np.isfinite(sol.lam[0]) and sol.lam[0] > 0
    sigma = sol.mixed[0]  # (T, 4)
    t = len(war.third_ids)
    assert t == 3 and np.allclose(sigma.sum(-1), 1.0)
    # the path reaches λ = 10^4 / the range of the payoffs, near a mixed equilibrium: as the game has
    # no pure one, some third party mixes
    assert (sigma.max(-1) < 1 - 1e-3).any()
    third = np.nonzero(war.third)[0]
    roles = all_profiles(war)  # (64, n), the first third party slowest
    grid = payoffs(war, roles).value[0][:, third].reshape(4, 4, 4, t)
    eu = np.stack([np.einsum("abc,b,c->a", grid[..., 0], sigma[1], sigma[2]),
                   np.einsum("abc,a,c->b", grid[..., 1], sigma[0], sigma[2]),
                   np.einsum("abc,a,b->c", grid[..., 2], sigma[0], sigma[1])])
    z = sol.lam[0] * (eu - eu.max(-1, keepdims=True))
    response = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    assert np.abs(response - sigma).max() < 1e-8
    # and the reported options are the likeliest of that mixture
    assert (sol.profile[0, third] == sigma.argmax(-1)).all()


@settings(max_examples=15, deadline=None)
@given(s=st.integers(2, 3), seed=st.integers(0, 2 ** 32 - 1))
def test_the_path_does_not_jump_to_another_branch_on_near_ties(s, seed):
    """Games in which every player's fourth option nearly duplicates its first (payoffs 10^-3
    apart, as a broker's and a neutral's often are): near λ ~ 10^3 the QRE correspondence has
    several branches close together. The path followed with the default steps ends where a path
    of short steps (at most 0.05 in arclength) ends: the step control keeps it on the principal
    branch."""
    import tertius.conflict.equilibrium as eq

    rng = np.random.default_rng(seed)
    grid = rng.uniform(0.2, 0.8, size=(2,) + (4,) * s + (s,))
    for j in range(s):
        first = np.take(grid[..., j], 0, axis=1 + j)
        np.moveaxis(grid[..., j], 1 + j, 0)[3] = first + 1e-3 * rng.normal(size=first.shape)
    sigma, lam = qre(grid)
    saved = eq.PATH_STEP, eq.PATH_STEP_MAX
    try:
        eq.PATH_STEP, eq.PATH_STEP_MAX = 0.01, 0.05
        fine, lam_fine = qre(grid)
    finally:
        eq.PATH_STEP, eq.PATH_STEP_MAX = saved
    assert np.allclose(lam, lam_fine)
    assert np.abs(sigma - fine).max() < 1e-6


@st.composite
def with_bystanders(draw: st.DrawFn) -> dict:
    """A conflict (:func:`conflicts`) among more actors: bystanders on neither side and no third
    party, with capabilities and stances of their own, placed anywhere in the list of actors."""
    data = draw(conflicts(third_parties=draw(st.integers(1, 3))))
    m = len(data["issues"])
    for k in range(draw(st.integers(1, 4))):
        a = f"x{k}"
        data["actors"].insert(draw(st.integers(0, len(data["actors"]))),
                              {"id": a, "capability": draw(st.floats(0.0, 1.0)), "distance": draw(st.integers(0, 6000))})
        for i in range(m):
            if draw(st.booleans()):
                data["stances"].append({"actor": a, "issue": f"i{i}", "position": 10.0 * draw(st.integers(0, 10)),
                                        "salience": draw(st.floats(0.0, 1.0))})
    return data


@settings(max_examples=40, deadline=None)
@given(data=with_bystanders(), max_steps=st.sampled_from([None, 0]))
def test_the_game_among_the_players_is_the_game_among_everyone(data, max_steps):
    """Bystanders (on neither side, no third party) are dropped from the game where that cannot
    change a settlement (:func:`tertius.conflict.war.players`): the reported profile, method and
    option values are those of the game among every actor, and so is every player's payoff."""
    war = _war(data)
    keep = players(war)
    event("restricted" if keep is not None else "every actor plays")
    fast, full = solve(war, max_steps), equilibrium._solve(war, max_steps)
    assert (fast.profile == full.profile).all()
    assert (fast.ok == full.ok).all() and (fast.method == full.method).all()
    np.testing.assert_allclose(fast.values, full.values, rtol=1e-12, atol=1e-12)
    if keep is not None:
        assert (full.profile[:, ~keep] == 0).all()  # the bystanders stay out
        sub = payoffs(restrict(war, keep), full.profile[:, keep]).value
        np.testing.assert_allclose(sub, payoffs(war, full.profile).value[..., keep], rtol=1e-12, atol=1e-12)
        one = rows(war, np.array([0]))
        assert restrict(one, keep).actor_ids == [a for a, k in zip(war.actor_ids, keep, strict=True) if k]


def test_every_actor_plays_where_a_side_has_no_weight_on_an_issue():
    """Where a side's members hold no stance on an issue, a settlement there falls back on every
    actor's unweighted position: the bystanders then count, and none is dropped."""
    data = {"id": "g", "actors": [{"id": a, "capability": 0.5, "distance": 100} for a in ("a", "b", "t", "x")],
            "issues": [{"id": "i0", "status_quo": 0}, {"id": "i1", "status_quo": 0}],
            "stances": [{"actor": "a", "issue": "i0", "position": 100, "salience": 0.5},
                        {"actor": "b", "issue": "i0", "position": 0, "salience": 0.5},
                        {"actor": "a", "issue": "i1", "position": 100, "salience": 0.5},
                        {"actor": "t", "issue": "i1", "position": 60, "salience": 0.5},
                        {"actor": "x", "issue": "i1", "position": 30, "salience": 0.5}],
            "conflict": {"side_a": {"name": "A", "actors": ["a"]}, "side_b": {"name": "B", "actors": ["b"]},
                         "stakes": ["i0"], "third_parties": ["t"]}}
    war = build_war(Scenario.model_validate(data))
    assert players(war) is None
    data["stances"].append({"actor": "b", "issue": "i1", "position": 0, "salience": 0.5})
    keep = players(build_war(Scenario.model_validate(data)))
    assert keep is not None and keep.tolist() == [True, True, True, False]


@settings(max_examples=40, deadline=None)
@given(data=with_bystanders(), seed=st.integers(0, 2**32 - 1))
def test_deviation_values_are_the_option_values_bit_for_bit(data, seed):
    """Best response evaluates each draw's profile once instead of once per third party
    (:func:`tertius.conflict.game.deviation_values`): the same numbers, to the last bit, as the
    4 T deviations of :func:`option_values`, at any profile of the third parties' options."""
    war = _war(data)
    third = np.nonzero(war.third)[0]
    profile = war.side[None].astype(np.int8).copy()
    profile[0, third] = np.random.default_rng(seed).integers(0, len(OPTIONS), len(third))
    assert np.array_equal(deviation_values(war, profile), option_values(war, profile)[0])
