"""Training-fold diagnostics of the choice model's calibration (docs/choicemodel.md, "Calibration").

    .venv/bin/python scripts/diagnose_choice.py TABLE.csv [--k 5] [--seed 0]

Reads no held-out row: for each outer fold of ``tertius validate TABLE --cv K`` (the same seeded
deal of the groups), only the *training* folds are used. On them the plain logit's α is chosen
as :func:`tertius.conflict.choicemodel.choose_alpha` does, and the inner out-of-fold
probabilities at that α (the inner deals of the repeated inner CV) are scored against the inner
training folds' base rates: the Brier score of each, the rows that carry the excess squared
error, a calibration table, and the calibration intercept and slope of the conditional logit
(Cox 1958) fitted to the inner out-of-fold linear predictors. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace

import numpy as np

from tertius.conflict import choicemodel as cm
from tertius.conflict.score import calibration, choice_design, folds
from tertius.io.thirdparty_table import read_decision_table


def _brier_rows(pc: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ((pc - np.eye(3)[y]) ** 2).sum(axis=1)


def diagnose(d: cm.Design, seed: int) -> dict:
    alpha, _, scores, _ = cm.choose_alpha(d, cm.INNER_K, seed)
    deals = [cm.group_folds(d.groups, cm.INNER_K, seed, "alpha" if r == 0 else f"alpha-{r}")
             for r in range(cm.INNER_REPEATS)]
    out_rows, briers, bases, etas, ys, avs = [], [], [], [], [], []
    for r, fold in enumerate(deals):
        for f in range(cm.INNER_K):
            test, train = fold == f, fold != f
            m = cm.fit(d.take(train), alpha, errors=False)
            dt = d.take(test)
            pc = cm.class_probabilities(cm.option_probabilities(dt, m))
            yt = dt.y
            counts = np.bincount(d.y[train], minlength=3) / train.sum()
            b_model, b_base = _brier_rows(pc, yt), _brier_rows(np.broadcast_to(counts, pc.shape), yt)
            briers.append(b_model)
            bases.append(b_base)
            etas.append(dt.x @ (np.asarray(m["beta"]) / np.asarray(m["scale"])))
            ys.append(yt)
            avs.append(dt.available)
            for i, row in enumerate(dt.rows):
                out_rows.append({"deal": r, "name": row["name"], "third_party": row["third_party"],
                                 "joined": row["joined"], "p_join": float(pc[i, 0] + pc[i, 1]),
                                 "excess": float(b_model[i] - b_base[i])})
    bm, bb = np.concatenate(briers), np.concatenate(bases)
    p_join = np.array([r["p_join"] for r in out_rows])
    joined = np.array([r["joined"] in ("A", "B") for r in out_rows])
    excess = np.array([r["excess"] for r in out_rows])
    order = np.argsort(-excess)
    top = [out_rows[i] for i in order[:10]]
    positive = np.clip(excess, 0.0, None)
    share_top = float(positive[order[:20]].sum() / max(positive.sum(), 1e-300))
    slope = _calibration_slope(np.concatenate(etas), np.concatenate(avs), np.concatenate(ys), d)
    return {"alpha": alpha, "alpha_cv_log_loss": {str(a): s for a, s in scores.items()},
            "rows": len(out_rows) // cm.INNER_REPEATS, "joiners": int(joined.sum()) // cm.INNER_REPEATS,
            "brier_inner_oof": float(bm.mean()), "brier_inner_base": float(bb.mean()),
            "excess_total": float(excess.sum() / cm.INNER_REPEATS),
            "excess_on_joiners": float(excess[joined].sum() / cm.INNER_REPEATS),
            "excess_on_stayers": float(excess[~joined].sum() / cm.INNER_REPEATS),
            "stayers_with_p_join_over_0.1": int(((p_join > 0.1) & ~joined).sum()) / cm.INNER_REPEATS,
            "share_of_positive_excess_in_top_20_rows": share_top, "top_rows": top,
            "calibration": calibration(p_join, joined), "calibration_intercept_slope": slope,
            "alpha_grid": _alpha_grid(d, deals)}


#: The penalties of the diagnostic's grid: :data:`tertius.conflict.choicemodel.ALPHAS` and beyond.
GRID = (1.0, 10.0, 100.0, 1000.0, 10000.0)


def _alpha_grid(d: cm.Design, deals: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Inner out-of-fold log loss and Brier score of the plain logit at each α of :data:`GRID`
    (mean over the inner deals), beside the inner training folds' base rates'."""
    out = {}
    for a in GRID + (float("inf"),):
        ll, br, n = 0.0, 0.0, 0
        for fold in deals:
            for f in range(cm.INNER_K):
                test, train = fold == f, fold != f
                dt = d.take(test)
                if math.isinf(a):
                    rates = np.bincount(d.y[train], minlength=3) / train.sum()
                    pc = np.broadcast_to(rates, (len(dt.y), 3))
                else:
                    pc = cm.class_probabilities(cm.option_probabilities(dt, cm.fit(d.take(train), a, errors=False)))
                ll -= float(np.log(np.maximum(pc[np.arange(len(dt.y)), dt.y], cm.EPS)).sum())
                br += float(_brier_rows(pc, dt.y).sum())
                n += len(dt.y)
        out["base rates" if math.isinf(a) else str(a)] = {"log_loss": ll / n, "brier": br / n}
    return out


def _calibration_slope(eta: np.ndarray, available: np.ndarray, y: np.ndarray, d: cm.Design) -> list[float]:
    """ML intercept a and slope b of P(o) ∝ exp(a + b·η_o) over the joins (staying out 0)."""
    x = np.zeros(eta.shape + (2,))
    joins = cm.JOINING & cm.MODELLED
    x[:, joins, 0] = 1.0
    x[:, joins, 1] = eta[:, joins]
    one = cm.Design(x, available & (cm.JOINING | (np.arange(len(cm.JOINING)) == cm.REFERENCE)), y,
                    ["g"] * len(y), ("join", "eta"), [{}] * len(y))
    m = cm.fit(one, 0.0, errors=False, game_alpha=float("inf"))
    b = np.asarray(m["beta"]) / np.asarray(m["scale"])
    return [float(b[0]), float(b[1])]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    layout, table = read_decision_table(args.table)
    keys = [f"{layout}/{c.group}" for c in table]
    fold_of = folds(keys, args.k, args.seed)
    groups = [f"{layout}/{c.group}" for c in table for _ in c.joined]
    d = replace(choice_design(None, table), groups=groups)
    row_fold = np.array([fold_of[g] for g in groups])
    out = {"in_sample_alpha_10": _in_sample(d)}
    for f in range(args.k):
        out[f"outer_fold_{f}_training_rows"] = diagnose(d.take(row_fold != f), args.seed + 1 + f)
    print(json.dumps(out, indent=1))
    return 0


def _in_sample(d: cm.Design) -> dict:
    m = cm.fit(d, 10.0, errors=False)
    pc = cm.class_probabilities(cm.option_probabilities(d, m))
    counts = np.bincount(d.y, minlength=3) / len(d.y)
    return {"brier": float(_brier_rows(pc, d.y).mean()),
            "brier_base": float(_brier_rows(np.broadcast_to(counts, pc.shape), d.y).mean())}


if __name__ == "__main__":
    sys.exit(main())
