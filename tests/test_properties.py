"""Property-based invariants that every registered model must satisfy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tertius.models import MODELS, run_model
from tests.strategies import build, scenario_data

ALL = sorted(MODELS)
TOL = 1e-6


def _tol(name: str, span: float) -> float:
    # Models tagged 'optimiser' are found numerically; the others are closed-form.
    return (2e-4 if "optimiser" in MODELS[name].tags else 1e-9) * max(span, 1.0)


def _comparable(name: str, f, scenario) -> np.ndarray:
    """What must be invariant. For a model tagged 'unique-utilities' (nash), compare the actors'
    utilities: with linear losses the Nash product can be flat along a segment of outcomes (when
    two actors' salience ratios are equal there is nothing to trade), and only the utilities are
    unique."""
    if "unique-utilities" in MODELS[name].tags:
        return f.total_utility(scenario.arrays.salience)
    return f.outcome


@pytest.mark.parametrize("name", ALL)
@given(data=scenario_data())
def test_outcome_within_range_of_positions(name, data):
    """Within the actors' positions; a model tagged 'status-quo' may also forecast the status quo."""
    s = build(data)
    f = run_model(s, name)
    arr = s.arrays
    lo = np.nanmin(arr.position, axis=0)
    hi = np.nanmax(arr.position, axis=0)
    if "status-quo" in MODELS[name].tags:
        lo, hi = np.fmin(lo, arr.status_quo), np.fmax(hi, arr.status_quo)
    tol = _tol(name, float(arr.span.max()))
    assert np.all(f.outcome >= lo - tol) and np.all(f.outcome <= hi + tol)


@pytest.mark.parametrize("name", ALL)
@given(data=scenario_data(), seed=st.randoms(use_true_random=False))
def test_reordering_actors_changes_nothing(name, data, seed):
    s = build(data)
    shuffled = dict(data)
    shuffled["actors"] = list(data["actors"])
    seed.shuffle(shuffled["actors"])
    shuffled["stances"] = list(data["stances"])
    seed.shuffle(shuffled["stances"])
    s2 = build(shuffled)
    f1, f2 = run_model(s, name), run_model(s2, name)
    v1 = _comparable(name, f1, s)
    v2 = _comparable(name, f2, s2)
    if "unique-utilities" in MODELS[name].tags:  # per-actor values: align by actor id
        v2 = v2[[s2.actor_ids.index(a) for a in s.actor_ids]]
    np.testing.assert_allclose(v1, v2, atol=_tol(name, float(s.arrays.span.max())))


@pytest.mark.parametrize("name", ALL)
@given(data=scenario_data(), factor=st.floats(0.01, 100.0))
def test_scaling_all_capabilities_changes_nothing(name, data, factor):
    s = build(data)
    scaled = {**data, "actors": [{**a, "capability": a["capability"] * factor} for a in data["actors"]]}
    s2 = build(scaled)
    v1 = _comparable(name, run_model(s, name), s)
    v2 = _comparable(name, run_model(s2, name), s2)
    np.testing.assert_allclose(v1, v2, atol=_tol(name, float(s.arrays.span.max())))


@pytest.mark.parametrize("name", ALL)
@given(data=scenario_data(), shift=st.integers(-500, 500))
def test_translating_positions_shifts_the_outcome(name, data, shift):
    s = build(data)
    moved = {
        **data,
        "issues": [{**i, "scale": {"min": i["scale"]["min"] + shift, "max": i["scale"]["max"] + shift},
                    **({"status_quo": i["status_quo"] + shift} if "status_quo" in i else {})}
                   for i in data["issues"]],
        "stances": [{**st_, "position": st_["position"] + shift} for st_ in data["stances"]],
    }
    s2 = build(moved)
    f1, f2 = run_model(s, name), run_model(s2, name)
    tol = _tol(name, float(s.arrays.span.max()))
    if "unique-utilities" in MODELS[name].tags:
        np.testing.assert_allclose(f1.total_utility(s.arrays.salience), f2.total_utility(s2.arrays.salience),
                                   atol=tol)
    else:
        np.testing.assert_allclose(f1.outcome + shift, f2.outcome, atol=tol + 1e-9 * abs(shift))


@pytest.mark.parametrize("name", ALL)
@given(data=scenario_data())
def test_utilities_lie_in_unit_interval(name, data):
    s = build(data)
    u = run_model(s, name).utility
    present = s.arrays.present
    assert np.all(np.isnan(u[~present]))
    assert np.all((u[present] >= -TOL) & (u[present] <= 1 + TOL))


@pytest.mark.parametrize("name", sorted(m for m in MODELS if "deterministic" in MODELS[m].tags))
@given(data=scenario_data(), seed=st.integers(0, 2**32 - 1))
def test_deterministic_models_ignore_the_seed(name, data, seed):
    """A model tagged 'deterministic' gives the same forecast whatever its random generator."""
    s = build(data)
    np.testing.assert_array_equal(run_model(s, name, seed=0).outcome, run_model(s, name, seed=seed).outcome)


def test_every_model_declares_whether_it_is_deterministic():
    for name, spec in MODELS.items():
        assert ("deterministic" in spec.tags) != ("random" in spec.tags), name
