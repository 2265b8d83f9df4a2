"""The cluster bootstrap of out-of-fold scores: how sure a cross-validated comparison of two models is.

Two models scored out of fold on the same rows differ in log loss, Brier score, AUC and join-call
F1. With 6 joiners in a table of wars and 98 in one of disputes, part of any difference is the luck
of which wars or disputes the table holds. :func:`paired_bootstrap` resamples the groups (wars or
disputes) with replacement, as the cluster bootstrap does (Davison & Hinkley 1997, §3.8; Field &
Welsh 2007, "Bootstrapping clustered data", *JRSS B* 69(3)), and recomputes each metric of both
models on the same resample (a paired comparison: Efron & Tibshirani 1993, ch. 16). It reports
the difference on the rows as they are, the percentile interval of the resampled differences and
the share of resamples in which the first model is the better.

What the interval covers: the sampling of the wars or disputes that were scored, with each row's
out-of-fold probability and call held fixed. It does not refit the models on each resample, so the
variability of the fits across training sets is not in it (Bates, Hastie & Tibshirani 2024,
"Cross-validation: what does it estimate and how well does it do it?", *JASA* 119(546)): it is a
lower bound on the uncertainty of the comparison, not an upper one.

Each resample is a vector of group weights (how often each group is drawn), so a metric is a
weighted sum over rows and no resampled table is built: the AUC within each fold (as
:func:`tertius.conflict.score.fold_auc` takes it) is the weighted share of joiner/non-joiner pairs
ranked right, from one sort per fold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from tertius.seeds import child_rng

#: Resamples of the groups.
RESAMPLES = 2000
#: Resamples weighed at once (bounds the memory: rows × this many floats).
CHUNK = 250
#: The interval's coverage.
LEVEL = 0.9
#: Metrics, and whether a lower value is better.
LOWER_IS_BETTER = {"log_loss": True, "brier": True, "auc": False, "f1": False}
EPS = 1e-15


def _row_weights(index: np.ndarray, groups: int, rng: np.random.Generator, resamples: int) -> Iterator[np.ndarray]:
    """The resamples, :data:`CHUNK` at a time, as row weights (resamples × rows): each group drawn
    ``groups`` times with replacement, a row weighing as often as its group (``index``) was drawn.
    None with fewer than 2 groups: one group resampled is itself, whose spread says nothing."""
    left = resamples if groups >= 2 else 0
    while left > 0:
        size = min(CHUNK, left)
        yield rng.multinomial(groups, np.full(groups, 1.0 / groups), size=size).astype(float)[:, index]
        left -= size


def _interval(draws: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """The percentile interval at ``level`` of the finite draws (None, None where there are none)."""
    draws = draws[np.isfinite(draws)]
    if not draws.size:
        return None, None
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _fold_ranks(score: np.ndarray, positive: np.ndarray, fold: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Per fold: the rows sorted by score, the start of each run of tied scores, and which sorted
    rows are joiners."""
    out: list[tuple[np.ndarray, ...]] = []
    for f in np.unique(fold):
        rows = np.flatnonzero(fold == f)
        order = rows[np.argsort(score[rows], kind="stable")]
        s = score[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        out.append((order, starts, positive[order]))
    return out


def _weighted_auc(w: np.ndarray, ranks: list[tuple[np.ndarray, ...]]) -> np.ndarray:
    """The AUC of each resample (rows of ``w``, weights per row): within each fold, the weighted
    share of (joiner, non-joiner) pairs in which the joiner has the higher score, ties counting one
    half; averaged over the folds that hold both (:func:`tertius.conflict.score.fold_auc`)."""
    total = np.zeros(len(w))
    count = np.zeros(len(w))
    for order, starts, pos in ranks:
        ww = w[:, order]
        wp = np.add.reduceat(np.where(pos, ww, 0.0), starts, axis=1)
        wn = np.add.reduceat(np.where(pos, 0.0, ww), starts, axis=1)
        below = np.cumsum(wn, axis=1) - wn
        n_pos, n_neg = wp.sum(1), wn.sum(1)
        ok = (n_pos > 0) & (n_neg > 0)
        pairs = (wp * (below + wn / 2)).sum(1)
        total += np.where(ok, pairs / np.where(ok, n_pos * n_neg, 1.0), 0.0)
        count += ok
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _metrics(w: np.ndarray, y: np.ndarray, p: np.ndarray, call: np.ndarray,
             ranks: list[tuple[np.ndarray, ...]]) -> dict[str, np.ndarray]:
    """Each metric of one model under each resample's row weights ``w`` (resamples × rows), as
    :func:`tertius.conflict.score.class_metrics` defines it on unweighted rows."""
    n = len(y)
    onehot = np.eye(3)[y]
    loss = -np.log(np.maximum(p[np.arange(n), y], EPS))
    brier = ((p - onehot) ** 2).sum(1)
    weight = w.sum(1)
    right = ((call == y) & (y < 2)).astype(float)
    called, actual = (call < 2).astype(float), (y < 2).astype(float)
    tp, denominator = w @ right, w @ called + w @ actual
    return {"log_loss": (w @ loss) / weight, "brier": (w @ brier) / weight,
            "auc": _weighted_auc(w, ranks),
            "f1": np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1.0), 0.0)}


def paired_bootstrap(y: np.ndarray, groups: Sequence[str], fold: np.ndarray,
                     models: dict[str, tuple[np.ndarray, np.ndarray]], pairs: Sequence[tuple[str, str]],
                     seed: int = 0, resamples: int = RESAMPLES, level: float = LEVEL,
                     label: str = "compare", unit: str = "groups") -> dict[str, Any]:
    """The paired cluster bootstrap of the differences between models scored out of fold on the
    same rows.

    ``y`` is each row's recorded class (index into :data:`tertius.conflict.choice.CLASSES`: A, B,
    none), ``groups`` its war or dispute (the unit resampled), ``fold`` its outer fold (the AUC is
    taken within folds), and ``models`` maps a name to its class probabilities (rows × 3) and calls
    (index into CLASSES). For each pair (a, b) of names and each metric of
    :data:`LOWER_IS_BETTER`: ``difference`` (a minus b on the rows as they are), ``low`` and
    ``high`` (the percentile interval at ``level`` of the resampled differences) and ``better``
    (the share of resamples in which a is the better). The resamples come from
    ``child_rng(seed, "bootstrap", label)``; ``unit`` names the groups in the output (wars,
    disputes)."""
    y = np.asarray(y, dtype=int)
    fold = np.asarray(fold)
    names, index = np.unique(np.asarray(groups), return_inverse=True)
    g = len(names)
    scored = {name: (np.asarray(p, dtype=float), np.asarray(c, dtype=int)) for name, (p, c) in models.items()}
    ranks = {name: _fold_ranks(1 - p[:, 2], y < 2, fold) for name, (p, _) in scored.items()}
    point = {name: {k: float(v[0]) for k, v in _metrics(np.ones((1, len(y))), y, p, c, ranks[name]).items()}
             for name, (p, c) in scored.items()}
    draws: dict[str, dict[str, list[np.ndarray]]] = {name: {k: [] for k in LOWER_IS_BETTER} for name in scored}
    for w in _row_weights(index, g, child_rng(seed, "bootstrap", label), resamples):
        for name, (p, c) in scored.items():
            for k, v in _metrics(w, y, p, c, ranks[name]).items():
                draws[name][k].append(v)
    out: dict[str, Any] = {"resamples": resamples, "level": level, "groups": g, "unit": unit, "pairs": {}}
    for a, b in pairs:
        per = {}
        for k, lower in LOWER_IS_BETTER.items():
            d = np.concatenate(draws[a][k]) - np.concatenate(draws[b][k]) if draws[a][k] else np.zeros(0)
            d = d[np.isfinite(d)]
            diff = point[a][k] - point[b][k]
            if not d.size or not np.isfinite(diff):
                per[k] = {"difference": None if not np.isfinite(diff) else diff, "low": None, "high": None,
                          "better": None}
                continue
            lo, hi = _interval(d, level)
            better = float(np.mean(d < 0)) if lower else float(np.mean(d > 0))
            per[k] = {"difference": diff, "low": lo, "high": hi, "better": better}
        out["pairs"][f"{a} - {b}"] = {"a": a, "b": b, **per}
    return out


def cluster_ratios(groups: Sequence[str], ratios: dict[str, tuple[np.ndarray, np.ndarray]], seed: int = 0,
                   resamples: int = RESAMPLES, level: float = LEVEL, label: str = "ratios") -> dict[str, Any]:
    """The cluster bootstrap of ratios of sums over rows: for each name, Σ numerator / Σ
    denominator on the rows as they are (``value``) and the percentile interval at ``level``
    (``low``, ``high``) over resamples of the groups with replacement, each from
    ``child_rng(seed, "bootstrap", label)`` (a mean is a ratio whose denominator is 1 on every
    row). A resample whose denominator sums to 0 is left out of that ratio's interval. The same
    resamples serve every ratio, so a difference of two means is one ratio of its own."""
    names, index = np.unique(np.asarray(groups), return_inverse=True)
    g = len(names)
    got: dict[str, list[np.ndarray]] = {k: [] for k in ratios}
    cols = {k: (np.asarray(a, dtype=float), np.asarray(b, dtype=float)) for k, (a, b) in ratios.items()}
    for w in _row_weights(index, g, child_rng(seed, "bootstrap", label), resamples):
        for k, (num, den) in cols.items():
            d = w @ den
            got[k].append(np.where(d != 0, (w @ num) / np.where(d != 0, d, 1.0), np.nan))
    out: dict[str, Any] = {"resamples": resamples, "level": level, "groups": g}
    for k, (num, den) in cols.items():
        lo, hi = _interval(np.concatenate(got[k]) if got[k] else np.zeros(0), level)
        out[k] = {"value": float(num.sum() / den.sum()) if den.sum() else None, "low": lo, "high": hi}
    return out


__all__ = ["LEVEL", "LOWER_IS_BETTER", "RESAMPLES", "cluster_ratios", "paired_bootstrap"]
