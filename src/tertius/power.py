"""A priori voting power in weighted voting games: Shapley-Shubik and (normalised) Banzhaf.

Exact, by counting coalitions with dynamic programming over the total weight (the generating
function method; Brams & Affuso 1976, Leech 2002): for each voter i, the coalitions of the others
are counted by size and weight, and i is decisive (a "swing") in a coalition S when
w(S) < quota <= w(S) + w_i.

* Banzhaf (1965), normalised: swings of i divided by the swings of all voters.
* Shapley & Shubik (1954): Σ over the coalitions S in which i swings of |S|! (n - |S| - 1)! / n!.

Weights must be whole numbers (the EU Council's are). Unanimity is the quota equal to the total
weight, where every voter has power 1/n under both indices.
"""

from __future__ import annotations

from math import factorial

import numpy as np


def _counts(weights: list[int], skip: int) -> np.ndarray:
    """c[k, w]: the number of coalitions of the voters other than ``skip`` with k members and weight w."""
    total = sum(weights)
    n = len(weights)
    c = np.zeros((n, total + 1), dtype=object)  # exact integers
    c[0, 0] = 1
    for j, w in enumerate(weights):
        if j == skip:
            continue
        c[1:, w:] = c[1:, w:] + c[:-1, : total + 1 - w]
    return c


def _check(weights: list[int] | np.ndarray, quota: int) -> list[int]:
    ws = [int(w) for w in weights]
    if any(w < 0 or w != float(x) for w, x in zip(ws, weights, strict=True)):
        raise ValueError("weights must be whole numbers, 0 or more")
    if not 0 < quota <= sum(ws):
        raise ValueError("the quota must lie between 1 and the total weight")
    return ws


def swings(weights: list[int] | np.ndarray, quota: int) -> tuple[np.ndarray, np.ndarray]:
    """Per voter: the number of swings (Banzhaf) and the Shapley-Shubik index."""
    ws = _check(weights, quota)
    n = len(ws)
    raw = np.zeros(n)
    ssi = np.zeros(n)
    coef = [factorial(k) * factorial(n - k - 1) for k in range(n)]
    for i, w in enumerate(ws):
        if w == 0:
            continue
        c = _counts(ws, i)
        lo, hi = max(quota - w, 0), quota - 1
        block = c[:, lo:hi + 1]
        raw[i] = float(sum(int(x) for x in block.sum(axis=1)))
        ssi[i] = float(sum(int(block[k].sum()) * coef[k] for k in range(n)) / factorial(n))
    return raw, ssi


def banzhaf(weights: list[int] | np.ndarray, quota: int) -> np.ndarray:
    """Normalised Banzhaf index (shares summing to 1)."""
    raw, _ = swings(weights, quota)
    return raw / raw.sum()


def shapley_shubik(weights: list[int] | np.ndarray, quota: int) -> np.ndarray:
    """Shapley-Shubik index (shares summing to 1)."""
    return swings(weights, quota)[1]


__all__ = ["banzhaf", "shapley_shubik", "swings"]
