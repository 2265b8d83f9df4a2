"""The paired cluster bootstrap of out-of-fold model comparisons (tertius.resample)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.conflict.score import class_metrics, fold_auc
from tertius.resample import _fold_ranks, _metrics, _weighted_auc, paired_bootstrap


def _table(seed: int, groups: int = 12, per: int = 9, folds: int = 3):
    """Rows in groups, each group in one fold, with joiners and two models' probabilities."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(groups), per)
    fold = group % folds
    n = len(group)
    y = np.where(rng.random(n) < 0.2, rng.integers(0, 2, n), 2)
    p = rng.dirichlet(np.ones(3), n)
    q = rng.dirichlet(np.ones(3), n)
    call_p = np.where(p[:, 0] + p[:, 1] > 0.6, np.where(p[:, 0] >= p[:, 1], 0, 1), 2)
    call_q = np.where(q[:, 0] + q[:, 1] > 0.6, np.where(q[:, 0] >= q[:, 1], 0, 1), 2)
    return y, [f"g{g}" for g in group], fold, p, call_p, q, call_q


def test_unit_weights_give_the_scores_of_class_metrics():
    y, _, fold, p, call, _, _ = _table(1)
    got = _metrics(np.ones((1, len(y))), y, p, call, _fold_ranks(1 - p[:, 2], y < 2, fold))
    want = class_metrics(y, p, call, fold=fold)
    for k in ("log_loss", "brier", "auc", "f1"):
        assert got[k][0] == pytest.approx(want[k], abs=1e-12), k


def test_weights_are_the_table_with_rows_repeated():
    """A resample's weights score as the table in which each row appears that many times."""
    y, _, fold, p, call, _, _ = _table(2)
    rng = np.random.default_rng(5)
    w = rng.integers(0, 4, len(y)).astype(float)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    got = _metrics(w[None, :], y, p, call, _fold_ranks(1 - p[:, 2], y < 2, fold))
    want = class_metrics(y[rep], p[rep], call[rep], fold=fold[rep])
    for k in ("log_loss", "brier", "f1"):
        assert got[k][0] == pytest.approx(want[k], abs=1e-12), k
    assert got["auc"][0] == pytest.approx(fold_auc(fold[rep], 1 - p[rep, 2], y[rep] < 2)["auc"], abs=1e-12)


def test_ties_count_one_half():
    score = np.array([0.5, 0.5, 0.2, 0.9])
    positive = np.array([True, False, False, False])
    ranks = _fold_ranks(score, positive, np.zeros(4, dtype=int))
    # the joiner beats 0.2, ties 0.5, loses to 0.9: (1 + 0.5) / 3
    assert _weighted_auc(np.ones((1, 4)), ranks)[0] == pytest.approx(0.5)


def test_a_model_against_itself_is_no_difference():
    y, groups, fold, p, call, _, _ = _table(3)
    out = paired_bootstrap(y, groups, fold, {"a": (p, call), "b": (p, call)}, [("a", "b")], resamples=300)
    for k in ("log_loss", "brier", "auc", "f1"):
        c = out["pairs"]["a - b"][k]
        assert (c["difference"], c["low"], c["high"], c["better"]) == (0.0, 0.0, 0.0, 0.0)


def test_the_recorded_classes_beat_noise_in_every_resample():
    y, groups, fold, _, _, q, call_q = _table(4)
    sharp = np.full((len(y), 3), 0.01)
    sharp[np.arange(len(y)), y] = 0.98
    out = paired_bootstrap(y, groups, fold, {"sharp": (sharp, y), "noise": (q, call_q)}, [("sharp", "noise")],
                           resamples=300)
    pair = out["pairs"]["sharp - noise"]
    assert pair["log_loss"]["high"] < 0 and pair["brier"]["high"] < 0
    assert pair["auc"]["low"] > 0 and pair["f1"]["low"] > 0
    assert all(pair[k]["better"] == 1.0 for k in ("log_loss", "brier", "auc", "f1"))


def test_seeded_and_labelled():
    y, groups, fold, p, call, q, call_q = _table(6)
    models = {"a": (p, call), "b": (q, call_q)}
    one = paired_bootstrap(y, groups, fold, models, [("a", "b")], seed=3, resamples=200, label="x")
    assert one == paired_bootstrap(y, groups, fold, models, [("a", "b")], seed=3, resamples=200, label="x")
    other = paired_bootstrap(y, groups, fold, models, [("a", "b")], seed=3, resamples=200, label="y")
    assert one["pairs"]["a - b"]["log_loss"]["difference"] == other["pairs"]["a - b"]["log_loss"]["difference"]
    assert one["pairs"]["a - b"]["log_loss"]["low"] != other["pairs"]["a - b"]["log_loss"]["low"]


def test_resamples_whole_groups():
    """Two rows of one group move together: a model wrong on one group's rows only is judged on
    the share of resamples that draw that group, not on its rows one by one."""
    y = np.array([2, 2, 2, 2, 0, 0])
    groups = ["g0", "g0", "g1", "g1", "g2", "g2"]
    fold = np.array([0, 0, 1, 1, 2, 2])
    good = np.tile([0.05, 0.05, 0.9], (6, 1))
    good[4:] = [0.9, 0.05, 0.05]
    bad = good.copy()
    bad[:2] = [0.9, 0.05, 0.05]  # wrong on group g0 only
    calls = np.array([2, 2, 2, 2, 0, 0])
    out = paired_bootstrap(y, groups, fold, {"good": (good, calls), "bad": (bad, calls)}, [("good", "bad")],
                           resamples=4000)
    # good is better exactly when g0 is drawn: 1 - (2/3)^3 of the resamples
    assert out["pairs"]["good - bad"]["log_loss"]["better"] == pytest.approx(1 - (2 / 3) ** 3, abs=0.03)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), groups=st.integers(3, 15), per=st.integers(1, 8))
def test_swapping_the_models_mirrors_the_interval(seed, groups, per):
    """The same resamples score both orders: a − b is −(b − a), interval and shares mirrored."""
    y, g, fold, p, call, q, call_q = _table(seed, groups, per)
    models = {"a": (p, call), "b": (q, call_q)}
    out = paired_bootstrap(y, g, fold, models, [("a", "b"), ("b", "a")], seed=seed, resamples=100)
    ab, ba = out["pairs"]["a - b"], out["pairs"]["b - a"]
    for k in ("log_loss", "brier", "auc", "f1"):
        if ab[k]["low"] is None:
            assert ba[k]["low"] is None
            continue
        assert ab[k]["difference"] == pytest.approx(-ba[k]["difference"], abs=1e-12)
        assert ab[k]["low"] == pytest.approx(-ba[k]["high"], abs=1e-12)
        assert ab[k]["low"] <= ab[k]["high"]
        assert ab[k]["better"] + ba[k]["better"] <= 1.0 + 1e-12


def test_cluster_ratios_are_ratios_of_sums_over_resampled_groups():
    from tertius.resample import cluster_ratios

    groups = ["a", "a", "b", "c", "c", "c"]
    num = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    den = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    out = cluster_ratios(groups, {"r": (num, den), "mean": (num, np.ones(6))}, seed=2, resamples=1000)
    assert out["groups"] == 3
    assert out["r"]["value"] == pytest.approx(4 / 5) and out["mean"]["value"] == pytest.approx(4 / 6)
    assert out["r"]["low"] <= out["r"]["value"] <= out["r"]["high"]
    # whole groups give from 1/2 (a three times) to 3/2 (b twice, whose 1 has no denominator of
    # its own, and a once)
    assert 0.5 <= out["r"]["low"] < out["r"]["high"] <= 1.5
    # one group: its value, and no interval
    one = cluster_ratios(["g"] * 6, {"mean": (num, np.ones(6))}, resamples=50)
    assert one["mean"] == {"value": pytest.approx(4 / 6), "low": None, "high": None}
    assert out == cluster_ratios(groups, {"r": (num, den), "mean": (num, np.ones(6))}, seed=2, resamples=1000)


def test_how_sure_of_a_casebook_reads_its_decisions():
    from tertius.conflict.casebook import base_rate_log_loss, base_rate_losses, how_sure

    rows = [{"case": c, "recorded": rec, "matched": m, "probability": p} for c, rec, m, p in (
        ("x", "neutral", True, 0.6), ("x", "broker", False, 0.2), ("y", "broker", True, 0.5),
        ("y", "neutral", True, 0.7), ("z", "join-a", False, 0.1), ("z", "neutral", True, 0.8))]
    h = how_sure(rows, seed=0)
    assert h["groups"] == 3
    assert h["matched_share"]["value"] == pytest.approx(4 / 6)
    assert h["matched_minus_everyone_out"]["value"] == pytest.approx((4 - 3) / 6)
    assert h["brokers_matched_share"]["value"] == pytest.approx(1 / 2)
    # the base rates leave the case out: x's broker is 1 of the 4 decisions of y and z
    assert base_rate_losses(rows)[1] == pytest.approx(-np.log(1 / 4))
    loss = np.mean([-np.log(r["probability"]) for r in rows])
    assert h["log_loss_minus_base_rates"]["value"] == pytest.approx(loss - base_rate_log_loss(rows))
    assert how_sure([]) == {}


def test_one_group_gives_no_interval():
    y, _, fold, p, call, q, call_q = _table(8, groups=1, per=12, folds=1)
    out = paired_bootstrap(y, ["g"] * len(y), fold, {"a": (p, call), "b": (q, call_q)}, [("a", "b")], resamples=50)
    c = out["pairs"]["a - b"]["log_loss"]
    assert c["difference"] is not None and c["low"] is None and c["high"] is None and c["better"] is None
