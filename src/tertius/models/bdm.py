"""Bueno de Mesquita's expected-utility model ("the Predictioneer's Game"), vectorised.

Sources: Bueno de Mesquita, B. (1994) "Political forecasting: an expected utility method", in
Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, Yale UP; the
replication of Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011) "Unravelling Bueno De
Mesquita's group decision model", *Journal of Theoretical Politics* 23(4):510-531. The
equations and the places where the paper and the replicating code disagree are restated in
``shared/reference/bdm-and-deu.md`` sections 3-4; this module follows them. The defaults
reproduce the published numbers of the EC car-emission example (``tests/test_bdm_reference.py``).

Each issue is bargained separately. Per round, for actors i, j with positions x, capability
c, salience s (0-1) and risk exponents r, on a scale of range R (from the initial positions,
held fixed):

* Votes: v_k(a, b) = c_k s_k [(|x_k − b|/R)^{r_k} − (|x_k − a|/R)^{r_k}].
* Probability that i beats j: P_ij = Σ_k max(0, v_k(x_i, x_j)) / D. With
  ``probability="global"`` (default; the form that reproduces BDM's 1994 figure and Scholz's
  rounds) D = Σ_k Σ_a Σ_b |v_k(x_a, x_b)| over all pairs of actors' positions; with
  ``"local"`` (the equation as printed) D = Σ_k |v_k(x_i, x_j)|. P_ij = 0 when x_i = x_j.
* Utilities seen by viewer v (exponent r_v), d = |x_i − x_j|/R:
  U_s = 2 − 4(0.5 − 0.5d)^r, U_f = 2 − 4(0.5 + 0.5d)^r, U_sq = 2 − 4(0.5)^r,
  U_b = 2 − 4(0.5 − 0.25(|x_i − μ| + |x_i − x_j|)/R)^r, U_w = 2 − 4(0.5 + ...)^r.
* Expected utility of i challenging j: E(U_ij) = s_j[P_ij U_s + (1 − P_ij)U_f] + (1 − s_j)U_s
  − Q U_sq − (1 − Q)[T U_b + (1 − T) U_w]; the resistance is always the target's salience
  (the paper's s_j in i's estimate of j's utility is a typo noted by D. Masad).
* Risk (``risk="scholz"``): with every r = 1, D_i = Σ_{k≠i} E(U_ki);
  R_i = (2D_i − max D − min D)/(max D − min D); r_i = (1 − R_i/3)/(1 + R_i/3) in [0.5, 2].
  ``risk="neutral"`` keeps r = 1. Votes in the probabilities use the current exponents.
* Offers: i classifies every j ≠ i with x_j ≠ x_i by a = E^i(U_ij), b = E^i(U_ji), both with
  r_i: confrontation it loses (b > a > 0) → move to x_j; compromise (a < 0 < b, |a| <= b) →
  move to x_i + (x_j − x_i)|a/b|; capitulation (a < 0 < b, |a| > b) → move to x_j.
  ``offers="scholz"``: the nearest confrontation, else the compromise with the lowest
  (|a|x_i + |b|x_j)/(|a| + |b|) (Scholz's code, kept because it produces the published
  numbers), else the nearest capitulation. ``offers="nearest"``: the offer that moves i least
  (BDM's "least movement"). Ties (within 1e-9 of the range) go to the lowest resulting
  position, so the result does not depend on the order of the actors. All moves apply at once.
* Stopping: ``stop="rounds"`` runs ``rounds`` rounds; ``stop="median"`` stops earlier once the
  weighted median has moved by less than ``tolerance`` (in scale units) for ``patience``
  rounds in a row.
* Forecast: the c·s-weighted median position after the last round (``outcome="median"``, BDM's
  forecast under majority rule) or the c·s-weighted mean (``outcome="mean"``, Scholz's plots).
* Settling: a round's positions determine the next round's, so once the positions repeat the
  model cycles for ever. After the last round each issue is classed (:func:`settling`):
  ``settled`` (the last two rounds agree), ``cycle`` (the last p rounds repeat the p before them,
  for a period p >= 2: the forecast flips among p alternatives, and which one is reported
  depends only on the number of rounds), or ``unsettled`` (no repeat within the rounds run).
  ``settle="last"`` (default, as published) forecasts the last round; ``settle="cycle"``
  forecasts, for an issue in a cycle, the weighted median (or mean) of the positions pooled over
  the cycle's rounds, each round weighing 1/p, which does not depend on where the run stopped.

No Python loop runs over actor pairs. The vote numerators come from prefix sums over voters
sorted by position, since voter k prefers x_i to x_j exactly when it lies on x_i's side of their
midpoint; the midpoint counts come from a grid over the range (:func:`midpoint_table`). The
global denominator, a triple sum, is computed per voter from its sorted utilities (a row of
distances is two sorted runs, merged in linear time). With every r = 1 (the risk pass) a vote is
linear in the positions, so its numerators need only one-dimensional prefix sums. Above
``WHOLE_MAX_ACTORS`` actors a round runs in blocks of actors (:func:`_sorted_round`): it keeps
the midpoint counts as an (n, n) int16 array and otherwise O(n × block) floats, so 3,000 actors
fit in tens of MB; up to it, whole (n, n) arrays (:func:`_whole_round`). Both give the same
positions up to rounding (tests/test_bdm.py compares them). Where the C kernel was built at
install, a round of a large issue runs instead in that compiled kernel, which fuses the per-pair
terms in loops over pairs (:func:`_kernel_round`, :mod:`tertius.models._bdm_cblocks`);
``TERTIUS_KERNEL`` or ``kernel=`` chooses (:mod:`tertius.models.bdm_kernel`), and the two agree
to rounding (tests/test_bdm_kernel.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tertius.errors import PARAMS, InputError
from tertius.forecast import Forecast, Line, utilities
from tertius.models import bdm_kernel
from tertius.models.central import weighted_mean, weighted_median
from tertius.models.registry import register, rounds_pairs_cost
from tertius.scenario import Scenario

#: Positions closer than this (relative to the scale range) count as the same position, so that
#: rounding (for example after translating the scale) cannot turn a tie into a challenge.
SAME = 1e-9

DEFAULTS: dict[str, Any] = {
    "probability": "global",
    "q": 1.0,
    "t": 1.0,
    "risk": "scholz",
    "offers": "scholz",
    "rounds": 10,
    "stop": "rounds",
    "tolerance": 1e-3,
    "patience": 1,
    "outcome": "median",
    "settle": "last",
}
_CHOICES = {
    "probability": ("global", "local"),
    "risk": ("scholz", "neutral"),
    "offers": ("scholz", "nearest"),
    "stop": ("rounds", "median"),
    "outcome": ("median", "mean"),
    "settle": ("last", "cycle"),
}


def check_params(p: dict[str, Any]) -> None:
    for key, allowed in _CHOICES.items():
        if p[key] not in allowed:
            raise InputError(f"bdm parameter {key}={p[key]!r} is not one of {', '.join(allowed)}",
                             fix=f"use {key}={allowed[0]} (the default) or another listed value", file=PARAMS)
    for key in ("q", "t"):
        if not 0.0 <= p[key] <= 1.0:
            raise InputError(f"bdm parameter {key}={p[key]} is outside [0, 1]", fix=f"use {key}=1 (the default)",
                             file=PARAMS)
    if p["rounds"] < 0:
        raise InputError("bdm parameter rounds is negative", fix="use rounds=10 (the default)", file=PARAMS)
    if p["patience"] < 1:
        raise InputError("bdm parameter patience must be at least 1", fix="use patience=1", file=PARAMS)


def midpoint_counts(xs: np.ndarray) -> np.ndarray:
    """For positions sorted ascending, L[i, j] = #{k : xs_k < (xs_i + xs_j) / 2} (symmetric).

    Rows of the midpoint matrix are sorted, which numpy's binary search exploits."""
    return np.searchsorted(xs, (xs[:, None] + xs[None, :]) / 2.0, side="left")


def win_probabilities(x: np.ndarray, w: np.ndarray, r: np.ndarray, R: float, form: str = "global") -> np.ndarray:
    """P[i, j], the probability that i's position beats j's (see the module docstring)."""
    n = x.size
    order = np.argsort(x, kind="stable")
    P = sorted_win_probabilities(x[order], w[order], r[order], R, form, midpoint_counts(x[order]))
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n)
    return P[np.ix_(inv, inv)]


#: Rows per block in a round (probabilities, expected utilities, offers): their temporaries are
#: block × n, so a round's memory beyond the (n, n) probabilities grows linearly in n.
ROW_BLOCK = 64

#: Up to this many actors a round uses whole (n, n) arrays (:func:`_whole_round`); above it,
#: blocks (:func:`_sorted_round`), whose memory grows as n × ``ROW_BLOCK``.
WHOLE_MAX_ACTORS = 256


def _gather_index(counts: np.ndarray) -> np.ndarray:
    """The flat index of C[L_ij, j] in the (n + 1, n) prefix sums, in place of ``counts``."""
    n = counts.shape[1]
    flat = counts.astype(np.int32) if (n + 1) * n < 2**31 else counts
    flat *= n
    flat += np.arange(n, dtype=flat.dtype)[None, :]
    return flat


def _block_rows(n: int, size: int | None = None) -> list[slice]:
    size = size or ROW_BLOCK
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


def sorted_win_probabilities(xs: np.ndarray, ws: np.ndarray, rs: np.ndarray, R: float, form: str,
                             counts: np.ndarray | None, *, d: np.ndarray | None = None,
                             dsorted: np.ndarray | None = None, gather: np.ndarray | None = None) -> np.ndarray:
    """:func:`win_probabilities` for actors sorted by position, given :func:`midpoint_counts`.

    Voter k prefers x_i to x_j exactly when it lies on x_i's side of their midpoint (a voter
    on the midpoint is indifferent and adds nothing), so with voters sorted by position the
    numerator is a difference of prefix sums of w_k (|x_k − x_a|/R)^{r_k}. ``d`` (the scaled
    distances |x_k − x_a|/R) and ``dsorted`` (its rows sorted) may be passed in when the caller
    has them: the power is monotone, so the sorted utilities are the sorted distances raised
    to r_k, and a round sorts once instead of once per call. ``gather`` (:func:`_gather_index`
    of the counts) may replace ``counts``. Beyond the result, the temporaries are one (n + 1, n)
    array and blocks of rows.
    """
    n = xs.size
    neutral = bool(np.all(rs == 1.0))
    C = np.empty((n + 1, n))
    C[0] = 0.0
    U = C[1:]  # U[k, a]: voter k's loss at actor a's position, then weighted and summed in place
    if d is None:
        np.subtract(xs[:, None], xs[None, :], out=U)
        np.abs(U, out=U)
        U /= R
    else:
        U[...] = d
    if not neutral:
        U **= rs[:, None]
    if form == "global":
        coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
        per_voter = np.empty(n)
        for rows in _block_rows(n):
            if dsorted is None:
                per_voter[rows] = np.sort(U[rows], axis=1) @ coef
            else:
                per_voter[rows] = (dsorted[rows] if neutral else dsorted[rows] ** rs[rows, None]) @ coef
        denominator = float(ws @ per_voter)
    U *= ws[:, None]
    np.cumsum(U, axis=0, out=U)
    # one gather from the flattened prefix sums (cheaper than 2-D fancy indexing)
    if gather is None:
        assert counts is not None
        gather = _gather_index(counts.copy())
    num = np.take(C.reshape(-1), gather)  # A[i, j] = Σ_{k left of mid_ij} w_k U[k, j]; C[L_ij, i] = A[j, i]
    total = C[n].copy()
    del C, U
    # D = A − Aᵀ, in place a block pair at a time; x_i < x_j: the voters left of the midpoint
    # prefer x_i; x_i > x_j: the voters right of it, (total_j − A_ij) − (total_i − A_ji)
    blocks = _block_rows(n)
    scale = SAME * max(1.0, R)
    for a, I in enumerate(blocks):
        for J in blocks[a:]:
            upper = num[I, J].copy()
            if I == J:
                num[I, J] = upper - upper.T
            else:
                num[I, J] -= num[J, I].T
                num[J, I] -= upper.T
            for K, L in ((I, J), (J, I)) if I != J else ((I, J),):
                block = num[K, L]
                gap = xs[K, None] - xs[None, L]
                right = (total[None, L] - total[K, None]) - block
                np.copyto(block, right, where=gap > 0)
                block[np.abs(gap) <= scale] = 0.0
                np.maximum(block, 0.0, out=block)
    if form == "global":
        if denominator <= 0:
            return np.zeros_like(num)
        num /= denominator
        return num
    denom = num + num.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, num / denom, 0.0)


def _power_base(base: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.maximum(base, 0.0) ** r


def _status_quo_change(challenger_dev: np.ndarray, d: np.ndarray, rv: np.ndarray, q: float,
                       t: float) -> np.ndarray:
    """(1 − Q)[T U_b + (1 − T) U_w]: the status quo changes if nobody challenges, better (T) or
    worse (1 − T) for the challenger, whose distance from the median is ``challenger_dev``."""
    spread = 0.25 * (challenger_dev + d)
    U_b = 2.0 - 4.0 * _power_base(0.5 - spread, rv)
    U_w = 2.0 - 4.0 * _power_base(0.5 + spread, rv)
    return (1.0 - q) * (t * U_b + (1.0 - t) * U_w)


def expected_utilities(x: np.ndarray, s: np.ndarray, P: np.ndarray | None, r: np.ndarray, R: float,
                       median: float, q: float, t: float, *, other_too: bool = True, rows: slice = slice(None),
                       d: np.ndarray | None = None,
                       blocks: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(own, other): own[i, j] = E^i(U_ij), i's utility of challenging j; other[i, j] =
    E^i(U_ji), i's estimate of j's utility of challenging i. Both use viewer i's exponent.
    ``rows`` restricts the viewers i to a block (the arrays are then block × n); ``d``, the
    block's scaled distances |x_i − x_j|/R, may be passed in; ``blocks`` (P[rows, :] and
    P[:, rows]ᵀ) may replace ``P``."""
    rv = r[rows, None]
    if d is None:
        d = np.abs(x[rows, None] - x[None, :]) / R
    if blocks is None:
        assert P is not None
        blocks = P[rows], np.ascontiguousarray(P[:, rows].T)
    P_own, P_other = blocks
    neutral = bool(np.all(r[rows] == 1.0))
    # E = s_target [P U_s + (1 − P) U_f] + (1 − s_target) U_s − q U_sq
    #   = s_target (P − 1)(U_s − U_f) + U_s − q U_sq, with U_s − U_f = 4 [(0.5 + d/2)^r − (0.5 − d/2)^r]
    half = 0.5 * d
    low = 0.5 - half
    high = half
    high += 0.5
    if not neutral:
        low = _power_base(low, rv)
        high **= rv
    base = 2.0 - 4.0 * low
    dU = base - (2.0 - 4.0 * high)
    del low, high
    base -= q * (2.0 - 4.0 * 0.5**rv)
    own = P_own - 1.0
    own *= s[None, :]
    own *= dU
    own += base
    other = None
    if other_too:
        other = P_other - 1.0
        other *= s[rows, None]
        other *= dU
        other += base
    if q < 1.0:
        dev = np.abs(x - median) / R
        own -= _status_quo_change(dev[rows, None], d, rv, q, t)
        if other is not None:
            other -= _status_quo_change(dev[None, :], d, rv, q, t)
    return own, other


def risk_exponents(x: np.ndarray, w: np.ndarray, s: np.ndarray, R: float, form: str) -> np.ndarray:
    """Scholz et al.'s cross-actor security measure, computed with every r = 1."""
    order = np.argsort(x, kind="stable")
    r = sorted_risk_exponents(x[order], w[order], s[order], R, form, midpoint_counts(x[order]))
    out = np.empty_like(r)
    out[order] = r
    return out


def sorted_risk_exponents(xs: np.ndarray, ws: np.ndarray, ss: np.ndarray, R: float, form: str,
                          counts: np.ndarray | None, *, d: np.ndarray | None = None,
                          dsorted: np.ndarray | None = None, gather: np.ndarray | None = None) -> np.ndarray:
    """:func:`risk_exponents` for actors sorted by position (``d``, ``dsorted``: as in
    :func:`sorted_win_probabilities`).

    With r = 1, U_s = 2d, U_f = −2d and U_sq = 0, so E(U_ki) = s_i (P_ki − 1) 4 d_ki + 2 d_ki
    and D_i = Σ_k E(U_ki) needs only two column sums (the diagonal terms are 0)."""
    ones = np.ones_like(xs)
    P = sorted_win_probabilities(xs, ws, ones, R, form, counts, d=d, dsorted=dsorted, gather=gather)
    dsum = np.zeros_like(xs)
    pd = np.zeros_like(xs)
    for rows in _block_rows(xs.size):  # column sums over voters k, a block of voters at a time
        dk = np.abs(xs[rows, None] - xs[None, :]) / R if d is None else d[rows]
        dsum += dk.sum(axis=0)
        pd += np.einsum("ki,ki->i", P[rows], dk)
    del P
    return _exponents(4.0 * ss * (pd - dsum) + 2.0 * dsum)


def choose_offers(x: np.ndarray, own: np.ndarray, other: np.ndarray, rule: str,
                  rows: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Each actor's new position and the partner whose offer it accepted (-1: none); with
    ``rows``, for that block of actors only (``own`` and ``other`` are then block × n).
    Each stage looks only at the actors that no earlier stage has settled."""
    a, b = own, other
    scale = max(1.0, float(np.ptp(x)))
    x_i = x[rows]
    differ = np.abs(x_i[:, None] - x[None, :]) > SAME * scale
    conf = differ & (b > a) & (a > 0)
    yield_ = differ & (a < 0) & (b > 0)
    del differ
    m = x_i.size
    new = x_i.copy()
    partner = np.full(m, -1)
    open_ = np.arange(m)  # the block's rows not yet settled

    def compromise(r: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        aa, br, xi = np.abs(a[r]), b[r], x_i[r, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            pos = xi + (x[None, :] - xi) * aa / br
            key = (aa * xi + np.abs(br) * x[None, :]) / (aa + np.abs(br)) if rule == "scholz" else None
        return pos, key

    def settle(mask: np.ndarray, offers: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> None:
        """The rows ``open_`` that have an offer in ``mask`` (over those rows) take the best;
        ``offers(rows)`` gives those rows' (keys, targets)."""
        nonlocal open_
        has = mask.any(axis=1)
        if not has.any():
            return
        r = open_[has]
        mk = mask[has]
        key, target = offers(r)
        target = np.broadcast_to(target, mk.shape)
        j = _pick(mk, key, target, tie=1e-9 * scale)
        new[r] = np.take_along_axis(target, j[:, None], axis=1)[:, 0]
        partner[r] = j
        open_ = open_[~has]

    def move_to_x(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.abs(x[None, :] - x_i[r, None]), x[None, :]

    def compromise_offers(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, key = compromise(r)
        assert key is not None
        return key, pos

    def nearest_offers(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        target = np.where(conf[r] | (yield_[r] & (np.abs(a[r]) > b[r])), x[None, :], compromise(r)[0])
        return np.abs(target - x_i[r, None]), target

    if rule != "scholz":
        settle(conf | yield_, nearest_offers)
        return new, partner
    settle(conf, move_to_x)
    for capitulate in (False, True):  # compromises, then capitulations
        if open_.size:
            mask = yield_[open_]
            aa = np.abs(a[open_])
            mask &= (aa > b[open_]) if capitulate else (aa <= b[open_])
            settle(mask, move_to_x if capitulate else compromise_offers)
    return new, partner


def _pick(mask: np.ndarray, key: np.ndarray, target: np.ndarray, tie: float) -> np.ndarray:
    """Per row, the column with the smallest key among ``mask``; keys within ``tie`` of the
    smallest count as equal and the lowest target position wins, so the choice does not
    depend on the order in which actors are listed."""
    keyed = np.where(mask, key, np.inf)
    best = keyed.min(axis=1, keepdims=True)
    near = mask & (keyed <= best + tie)
    return np.argmin(np.where(near, target, np.inf), axis=1)


# ---------------------------------------------------------------------------------------------
# The round in blocks: no (n, n) floating-point array, so memory grows as n × block.

#: Cells per actor of the grid that counts voters below a midpoint (:func:`midpoint_table`).
GRID_CELLS = 4
#: From this many actors the whole round (:func:`_whole_round`) counts its midpoints on the grid
#: (:func:`midpoint_table`) instead of by a binary search per pair (:func:`midpoint_counts`): the
#: same integers, so the same bits (tests/test_bdm.py); the counting is 1.1x-2.9x faster at 100-256
#: actors (about 6-9 % of a whole bdm run), and slower below about 100.
GRID_MIN_ACTORS = 100


def midpoint_grid(xs: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray] | None:
    """The grid of :func:`midpoint_table` for sorted positions: (lo, scale, first, value,
    mixed), or None when every position is the same (every count is then 0). A value v falls
    in cell int((v − lo) × scale); first[c] is the first voter of cell c; value[c] the cell's one
    position (+inf: empty, NaN: several); mixed[c] marks the cells with several positions."""
    n = xs.size
    lo, span = float(xs[0]), float(xs[-1] - xs[0])
    if span <= 0:
        return None
    cells = GRID_CELLS * n
    scale = cells / span  # a value in [lo, hi] falls in a cell 0..cells (cells: hi itself, or rounding)
    v = xs - lo
    v *= scale
    first = np.searchsorted(v.astype(np.intp), np.arange(cells + 2), side="left")  # first voter of each cell
    occupied = first[1:] > first[:-1]
    single = occupied & (xs[np.minimum(first[:-1], n - 1)] == xs[np.maximum(first[1:] - 1, 0)])
    # the cell's one position; +inf for an empty cell (nobody below); NaN (never below) for several
    value = np.where(single, xs[np.minimum(first[:-1], n - 1)], np.where(occupied, np.nan, np.inf))
    return lo, scale, first, value, ~single & occupied


def midpoint_table(xs: np.ndarray) -> np.ndarray:
    """:func:`midpoint_counts` (L[i, j] = #{k : xs_k < (xs_i + xs_j) / 2}, xs sorted) without a
    binary search per pair, as int16 when it fits (the only (n, n) array a round keeps).

    The range is cut into ``GRID_CELLS * n`` equal cells (:func:`midpoint_grid`). Since the cell
    of a value is a monotone function of it (computed the same way for voters and midpoints),
    every voter in an earlier cell lies below the midpoint and every voter in a later one above
    it, so the count is first[c] plus the voters of the midpoint's own cell that lie below it:
    all of them (first[c + 1]) or none when the cell holds one distinct position or none; the
    rare cells with several positions fall back to a binary search."""
    n = xs.size
    dtype = np.int16 if n < 2**15 else np.int32
    out = np.empty((n, n), dtype=dtype)
    grid = midpoint_grid(xs)
    if grid is None:
        out[...] = 0
        return out
    lo, scale, first, value, mixed = grid

    def cell(v: np.ndarray) -> np.ndarray:
        v = v - lo
        v *= scale
        return v.astype(np.intp)

    for rows in _block_rows(n):
        mid = xs[rows, None] + xs[None, :]
        mid /= 2.0
        c = cell(mid)
        c += value[c] < mid
        block = first[c]
        if mixed.any():
            again = mixed[c]  # c is unchanged there (NaN is never below)
            block[again] = np.searchsorted(xs, mid[again], side="left")
        out[rows] = block
    return out


def _prefix(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.size + 1)
    np.cumsum(v, out=out[1:])
    return out


def _global_denominator(u_rows: np.ndarray, ws: np.ndarray, coef: np.ndarray) -> float:
    """Σ_k w_k Σ_a Σ_b |u_k(a) − u_k(b)| over a block of voters, from their rows of utilities.
    The power is monotone, so a row sorts as its distances do: two sorted runs (the actors
    below the voter, read backwards, and those above it). numpy's default sort (vectorised
    on x86 with AVX-512) sorts such a block of rows about twice as fast as the stable
    (run-merging) sort on the voters in the middle, where the runs interleave; any sort gives
    the same sorted values, so the sum is unchanged to the bit."""
    return float(ws @ (np.sort(u_rows, axis=1) @ coef))


def _blocked_risk(xs: np.ndarray, ws: np.ndarray, ss: np.ndarray, R: float, form: str,
                  L: np.ndarray) -> np.ndarray:
    """:func:`sorted_risk_exponents` from the midpoint table, a block of challengers at a time.

    With every r = 1 a vote is linear in the positions, so the numerator for k against i
    needs only prefix sums of w and w·x over voters sorted by position: for x_k < x_i the
    voters below the midpoint (v < L) prefer k, and
    R N_ki = (x_i + x_k) W_L − 2 X_L − 2 x_k W_k + 2 X_k, with W_m = Σ_{v<m} w_v and
    X_m = Σ_{v<m} w_v x_v; for x_k > x_i the voters above it do, which adds (x_k − x_i) W_n."""
    n = xs.size
    # prefix sums divided by R (so is every numerator), X doubled: it enters as 2 X
    W, X2 = _prefix(ws / R), _prefix(ws * xs * (2.0 / R))
    coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
    same = SAME * max(1.0, R)
    near = np.diff(xs) <= same  # near[k]: actors k and k + 1 count as one position
    pd, dsum = np.zeros(n), np.zeros(n)
    denominator = 0.0
    for rows in _block_rows(n):
        xk = xs[rows, None]
        gap = xk - xs[None, :]  # x_k − x_i
        Lb = L[rows].astype(np.intp)
        # ties: the diagonal, and pairs of distinct actors at one position (rare in a spread issue)
        tie: Any = np.abs(gap) <= same if near[max(0, rows.start - 1):rows.stop].any() else (
            np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop))
        const = X2[rows] - 2.0 * xs[rows] * W[rows]  # the terms of k alone, per row
        N = _linear_numerator(xk, xs[None, :], gap, W[Lb], X2[Lb], const[:, None], W[-1], tie)
        d = np.abs(gap, out=gap)
        d /= R
        dsum += d.sum(axis=0)
        if form == "global":
            denominator += _global_denominator(d, ws[rows], coef)
            pd += np.einsum("ki,ki->i", N, d)
        else:
            back_const = X2[:-1] - 2.0 * xs * W[:-1]  # N_ik: the roles swapped, the same midpoints
            back = _linear_numerator(xs[None, :], xk, xs[None, :] - xk, W[Lb], X2[Lb], back_const[None, :], W[-1], tie)
            total = N + back
            with np.errstate(invalid="ignore", divide="ignore"):
                P = np.where(total > 0, N / total, 0.0)
            pd += np.einsum("ki,ki->i", P, d)
    if form == "global":
        pd = pd / denominator if denominator > 0 else np.zeros(n)
    return _exponents(4.0 * ss * (pd - dsum) + 2.0 * dsum)


def _linear_numerator(xa: np.ndarray, xb: np.ndarray, gap: np.ndarray, WL: np.ndarray, X2L: np.ndarray,
                      const: np.ndarray, Wn: float, tie: Any) -> np.ndarray:
    """R N for a against b with every r = 1 (:func:`_blocked_risk`), from the prefix sums
    divided by R: (x_a + x_b) W_L − 2 X_L − 2 x_a W_a + 2 X_a (+ (x_a − x_b) W_n when x_a > x_b),
    with ``const`` = 2 X_a − 2 x_a W_a and ``gap`` = x_a − x_b; 0 at a tie."""
    num = xa + xb
    num *= WL
    num -= X2L
    num += const
    num += np.maximum(gap, 0.0) * Wn
    num[tie] = 0.0
    return np.maximum(num, 0.0, out=num)


def _exponents(D: np.ndarray) -> np.ndarray:
    """r_i from the security totals D_i (Scholz et al.): R_i in [−1, 1], r_i in [0.5, 2]."""
    spread = D.max() - D.min()
    if spread <= 1e-15 * max(1.0, abs(D).max()):
        return np.ones_like(D)
    Ri = (2.0 * D - D.max() - D.min()) / spread
    return (1.0 - Ri / 3.0) / (1.0 + Ri / 3.0)


#: Voters between two checkpoints of the prefix sums in :func:`_blocked_probabilities`, and
#: the width of its blocks of columns (a block pair's temporaries are about COL_BLOCK²/2).
CHECKPOINT = 32
COL_BLOCK = 128
#: Rows (actors i) per block of :func:`_blocked_probabilities`: it holds P[I, :], P[:, I] and
#: the prefix sums of the columns I, three arrays of PAIR_BLOCK × n.
PAIR_BLOCK = 64
#: Up to this many actors :func:`_blocked_probabilities` keeps the weighted utilities
#: w_k u_k(a) of its first pass as one (n, n) array (8 n² bytes: 2.9 MB at 600 actors, 33 MB at
#: 2,048) and reads its blocks from it, so each power is taken once per round instead of about
#: 3.5 times; above it, every block recomputes its own (memory O(n × block)). Both give the
#: same bits (tests/test_bdm.py).
STORE_MAX_ACTORS = 2048


def _blocked_probabilities(xs: np.ndarray, ws: np.ndarray, rs: np.ndarray, R: float, form: str,
                           L: np.ndarray) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """For each block I of actors: (I, P[I, :], P[:, I]ᵀ), the win probabilities with the
    round's exponents, with memory O(n × block).

    A[i, j] = C[L_ij, j], where C[m, a] = Σ_{k<m} w_k u_k(a) are the prefix sums over voters
    sorted by position, gives each numerator as in :func:`sorted_win_probabilities`. The
    columns of block I are summed over every voter (C[:, I], n × block); the other columns are
    kept only at every ``CHECKPOINT``-th voter, and a block pair (I, J) adds the cumulative
    sums of the few voters from the checkpoint below its smallest midpoint count to its
    largest."""
    n = xs.size
    step = math.gcd(CHECKPOINT, PAIR_BLOCK)  # a checkpoint falls on every block's first voter
    blocks = _block_rows(n, PAIR_BLOCK)
    col_blocks = _block_rows(n, COL_BLOCK)
    coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
    checkpoints = np.empty((-(-n // step) + 1, n))
    checkpoints[0] = 0.0
    denominator = 0.0
    stored = np.empty((n, n)) if n <= STORE_MAX_ACTORS else None  # stored[k, a] = w_k u_k(a)
    for rows in blocks:  # a block of voters: the denominator and the checkpoints within it
        d = np.abs(xs[rows, None] - xs[None, :]) / R
        d **= rs[rows, None]  # u_k(a); sorting them sorts the distances (the power is monotone)
        if form == "global":
            denominator += _global_denominator(d, ws[rows], coef)
        d *= ws[rows, None]
        if stored is not None:
            stored[rows] = d
        m = d.shape[0]
        full = m - m % step
        first = rows.start // step
        sums = d[:full].reshape(-1, step, n).sum(axis=1)
        if m % step:
            sums = np.vstack([sums, d[full:].sum(axis=0)])
        np.cumsum(sums, axis=0, out=sums)
        checkpoints[first + 1:first + 1 + sums.shape[0]] = sums + checkpoints[first]
    total = checkpoints[-1]
    if form == "global" and denominator <= 0:
        for I in blocks:
            zeros = np.zeros((I.stop - I.start, n))
            yield I, zeros, zeros.copy()
        return
    same = SAME * max(1.0, R)
    for I in blocks:
        m = I.stop - I.start
        # C[:, I] transposed: cum[i, c] = Σ_{k<c} w_k u_k(i) for every cut c
        cum = np.empty((m, n + 1))
        cum[:, 0] = 0.0
        U = cum[:, 1:]
        if stored is not None:
            U[...] = stored[:, I].T
        else:
            np.subtract(xs[None, :], xs[I, None], out=U)
            np.abs(U, out=U)
            U /= R
            U **= rs[None, :]
            U *= ws[None, :]
        np.cumsum(U, axis=1, out=U)
        own = np.empty((m, n))  # N_ij, i in I
        other = np.empty((m, n))  # N_ji
        L_I = L[I].astype(np.intp)
        cum_rows = (np.arange(m) * (n + 1))[:, None]  # flat index of C[0, i] in ``cum``
        for J in col_blocks:
            Lb = L_I[:, J].copy()
            start = (int(Lb.min()) // step) * step
            high = int(Lb.max())
            k = slice(start, high)
            G = np.empty((J.stop - J.start, high - start + 1))
            V = G[:, 1:]
            if stored is not None:
                V[...] = stored[k, J].T
            else:
                np.subtract(xs[None, k], xs[J, None], out=V)
                np.abs(V, out=V)
                V /= R
                V **= rs[None, k]
                V *= ws[None, k]
            G[:, 0] = checkpoints[start // step, J]
            np.cumsum(G, axis=1, out=G)
            delta = np.take(cum, Lb + cum_rows)  # C[L_ij, i] = A_ji
            Lb += (np.arange(J.stop - J.start) * G.shape[1] - start)[None, :]
            A_ij = np.take(G, Lb)  # C[L_ij, j]
            np.subtract(A_ij, delta, out=delta)  # A_ij − A_ji
            diff = total[None, J] - total[I, None]  # T_j − T_i
            # sorted: a block of J before I lies to the left (x_j <= x_i), after it to the right
            if J.start >= I.stop:  # x_i <= x_j: N_ij = Δ, N_ji = Δ − (T_j − T_i)
                np.maximum(delta, 0.0, out=own[:, J])
                np.subtract(delta, diff, out=diff)
                np.maximum(diff, 0.0, out=other[:, J])
            elif J.stop <= I.start:  # x_i >= x_j: N_ij = (T_j − T_i) − Δ, N_ji = −Δ
                np.subtract(diff, delta, out=diff)
                np.maximum(diff, 0.0, out=own[:, J])
                np.negative(delta, out=delta)
                np.maximum(delta, 0.0, out=other[:, J])
            else:
                left = xs[I, None] < xs[None, J]
                np.maximum(np.where(left, delta, diff - delta), 0.0, out=own[:, J])
                np.maximum(np.where(left, delta - diff, -delta), 0.0, out=other[:, J])
            if xs[J.stop - 1] - xs[I.start] >= -same and xs[I.stop - 1] - xs[J.start] >= -same:
                tie = np.abs(xs[I, None] - xs[None, J]) <= same  # equal positions: P = 0
                own[:, J][tie] = 0.0
                other[:, J][tie] = 0.0
        if form == "global":
            own /= denominator
            other /= denominator
            yield I, own, other
        else:
            both = own + other
            with np.errstate(invalid="ignore", divide="ignore"):
                yield I, np.where(both > 0, own / both, 0.0), np.where(both > 0, other / both, 0.0)


def _sorted_round(xs: np.ndarray, ws: np.ndarray, ss: np.ndarray, R: float, median: float,
                  params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One round for actors sorted by position: (new positions, accepted partners, exponents).

    The midpoint table is built once and shared by the risk pass and the probability pass;
    every other pairwise quantity is made, used and dropped a block of actors at a time, so
    the round keeps one (n, n) int16 array and temporaries of n × block."""
    if xs.size <= WHOLE_MAX_ACTORS:
        return _whole_round(xs, ws, ss, R, median, params)
    form = params["probability"]
    L = midpoint_table(xs)
    rs = _blocked_risk(xs, ws, ss, R, form, L) if params["risk"] == "scholz" else np.ones_like(xs)
    n = xs.size
    new_s = np.empty(n)
    partner_s = np.empty(n, dtype=int)
    for block, P_own, P_other in _blocked_probabilities(xs, ws, rs, R, form, L):
        for sub in _block_rows(block.stop - block.start):
            rows = slice(block.start + sub.start, block.start + sub.stop)
            own, other = expected_utilities(xs, ss, None, rs, R, median, params["q"], params["t"], rows=rows,
                                            blocks=(P_own[sub], P_other[sub]))
            assert other is not None  # asked for with other_too=True
            new_s[rows], partner_s[rows] = choose_offers(xs, own, other, params["offers"], rows=rows)
    return new_s, partner_s, rs


def _whole_round(xs: np.ndarray, ws: np.ndarray, ss: np.ndarray, R: float, median: float,
                 params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_sorted_round` with whole (n, n) arrays (the form before the round was blocked;
    kept for small n and for the tests, which compare the two).

    The midpoint counts are computed once (as gather indices) and shared by the two probability
    computations (risk with r = 1, then with the round's exponents); everything else runs over
    blocks of rows, so a round holds at most the (n + 1, n) prefix sums, the gather indices and
    two (n, n) arrays at a time."""
    form = params["probability"]
    gather = _gather_index(midpoint_table(xs) if xs.size >= GRID_MIN_ACTORS else midpoint_counts(xs))
    rs = (sorted_risk_exponents(xs, ws, ss, R, form, None, gather=gather) if params["risk"] == "scholz"
          else np.ones_like(xs))
    P = sorted_win_probabilities(xs, ws, rs, R, form, None, gather=gather)
    del gather
    n = xs.size
    new_s = np.empty(n)
    partner_s = np.empty(n, dtype=int)
    for start in range(0, n, ROW_BLOCK):
        rows = slice(start, min(n, start + ROW_BLOCK))
        own, other = expected_utilities(xs, ss, P, rs, R, median, params["q"], params["t"], rows=rows)
        assert other is not None  # asked for with other_too=True
        new_s[rows], partner_s[rows] = choose_offers(xs, own, other, params["offers"], rows=rows)
    return new_s, partner_s, rs


#: Up to this many actors the compiled kernel stores the round's weighted utilities w_k u_k(a) as
#: one (n, n) array (8 n² bytes: 8 MB at 1,000 actors, 32 MB at 2,048); above it, they are
#: recomputed where needed (numpy for the voters' pass and for each chunk's own columns, the
#: kernel's scalar power for the running column sums) and the memory beyond the int16 midpoint
#: table is O(n × chunk), and the whole midpoint table (2 n² bytes) lives only through the risk
#: pass: the rows' pass counts each chunk's rows again into a (chunk, n) table (the same integers).
KERNEL_STORE_MAX_ACTORS = 2048

#: The compiled kernel's blocks of rows: the unit of work of a thread (a block's rows are computed
#: by one thread, from inputs that do not depend on how blocks are shared out) and the spacing of
#: the column sums' checkpoints above ``KERNEL_STORE_MAX_ACTORS``.
KERNEL_BLOCK = 64

#: Rows whose powers numpy takes at once (a multiple of ``KERNEL_BLOCK``) before the kernel runs
#: them, their blocks shared among the threads: the powers' memory is O(chunk × n).
KERNEL_CHUNK = 256


def _powers(base: np.ndarray, r: np.ndarray | None) -> np.ndarray:
    """base ** r in place, as exp(r · log base) (numpy's SIMD exp and log, about a third faster
    here than its ``**``; 0 stays 0 since every r > 0; within a few ulps of ``**``); None: r = 1."""
    if r is not None:
        with np.errstate(divide="ignore"):
            np.log(base, out=base)
        base *= r
        np.exp(base, out=base)
    return base


def _row_powers(base: np.ndarray, r: np.ndarray | None, parts: int) -> None:
    """:func:`_powers` of base[..., i, :] to r[i] in place, the rows split in ``parts`` run by
    :func:`bdm_kernel.pool`'s threads (numpy lets go of the GIL; each element is computed
    alike whatever the split)."""
    if r is not None:
        _split_powers(parts, [(base[..., a:b, :], r[a:b, None]) for a, b in _cuts(base.shape[-2], parts)])


def _cuts(size: int, parts: int) -> list[tuple[int, int]]:
    """``size`` items in ``parts`` ranges (a, b), none empty."""
    ends = [size * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in itertools.pairwise(ends) if b > a]


def _split_powers(parts: int, pieces: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """:func:`_powers` of each (base, exponents) piece, on :func:`bdm_kernel.pool`'s threads
    (numpy lets go of the GIL; each element is computed alike whatever the split)."""
    if parts <= 1 or len(pieces) <= 1:
        for base, r in pieces:
            _powers(base, r)
        return
    for job in [bdm_kernel.pool(parts).submit(_powers, base, r) for base, r in pieces]:
        job.result()


def _window_span(L: np.ndarray, rows: slice, block: int) -> tuple[np.ndarray, np.ndarray]:
    """For each block b of a chunk's rows and column j: the first voter p whose utility u_p(j)
    the block's running column sum adds (its checkpoint, ``block`` · ⌊L_i0j / block⌋, for the
    block's first row i0) and how many (up to L_i1j for its last row i1)."""
    firsts = np.arange(rows.start, rows.stop, block)
    first = L[firsts].astype(np.int64)
    first //= block
    first *= block
    width = L[np.minimum(firsts + block, rows.stop) - 1].astype(np.int64) - first
    return first, width


def _window_terms(run: Callable[[str], Any], parts: int, xs: np.ndarray, rs: np.ndarray, r: np.ndarray | None,
                  R: float, L: np.ndarray, rows: slice, block: int, space: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The utilities u_p(j) that the running column sums of a chunk's blocks of rows add
    (:func:`_window_span`), in one flat array for numpy's vectorised powers, and per block and
    column where voter 0 would lie in it (u_p(j) = terms[at[b, j] + p]). ``space``: (2, at least
    the chunk's count), reused by every chunk of the round (one allocation, so the chunks' arrays
    of varying sizes do not fragment the heap)."""
    first, width = _window_span(L, rows, block)
    offset = np.zeros(width.size + 1, dtype=np.int64)
    np.cumsum(width.reshape(-1), out=offset[1:])
    base, expo = space[0, :int(offset[-1])], space[1, :int(offset[-1])]
    starts = offset[:-1].reshape(width.shape)
    run("window_bases")(xs, rs, R, first, width, starts, base, expo)
    if r is not None:
        _split_powers(parts, [(base[a:b], expo[a:b]) for a, b in _cuts(base.size, parts)])
    return base, starts - first


def _kernel_round(jit: Any, xs: np.ndarray, ws: np.ndarray, ss: np.ndarray, R: float, median: float,
                  params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_sorted_round` by the compiled kernel (:mod:`tertius.models._bdm_cblocks`): numpy
    takes the powers a chunk of actors at a time (its vectorised exp and log); the kernel fuses
    every other per-pair term, so no (n, n) temporary is written beyond the midpoint table
    and the stored utilities (``KERNEL_STORE_MAX_ACTORS``). Its O(n²) passes run over blocks of
    ``KERNEL_BLOCK`` rows on :func:`bdm_kernel.threads` threads (the powers' rows split among
    as many Python threads), with the same bytes for any number of threads. The same equations
    as the numpy path; the sums run in another order, so the numbers agree to rounding
    (tests/test_bdm_kernel.py)."""
    with bdm_kernel.functions(jit) as (run, parts):
        return _kernel_passes(run, parts, xs, ws, ss, R, median, params)


def _kernel_passes(run: Callable[[str], Any], parts: int, xs: np.ndarray, ws: np.ndarray, ss: np.ndarray,
                   R: float, median: float, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = xs.size
    stored = n <= KERNEL_STORE_MAX_ACTORS
    block = KERNEL_BLOCK
    chunk = KERNEL_CHUNK if stored else max(block, KERNEL_CHUNK // 2 // block * block)  # less memory unstored
    form_global = params["probability"] == "global"
    coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
    same = SAME * max(1.0, R)
    grid = midpoint_grid(xs) or (float(xs[0]), 0.0, np.zeros(1, np.int64), np.zeros(1), np.zeros(1, bool))
    dtype = np.int16 if n < 2**15 else np.int32
    whole = None  # the whole midpoint table, kept for the rows' pass when the utilities are stored
    if params["risk"] == "scholz":
        L = np.empty((n, n), dtype=dtype)  # the risk pass's midpoint table, the round's one (n, n) array
        run("midpoint_blocks")(xs, grid, L, 0)
        W, X2 = _prefix(ws / R), _prefix(ws * xs * (2.0 / R))
        pd, dsum, den = run("risk_blocks")(xs, ws, W, X2, R, same, form_global, coef, L, block)
        whole = L if stored else None  # else let go: above KERNEL_STORE_MAX_ACTORS memory counts
        del L
        if form_global:
            pd = pd / den if den > 0 else np.zeros(n)
        rs = _exponents(4.0 * ss * (pd - dsum) + 2.0 * dsum)
    else:
        rs = np.ones_like(xs)
    r = None if bool(np.all(rs == 1.0)) else rs
    C = np.empty((n + 1, n) if stored else (1, 1))  # w_k u_k(a) in row k + 1, then their prefix sums
    C[0] = 0.0
    blocks = -(-n // block)
    marks = np.zeros((blocks + 1, n))  # marks[c + 1]: Σ over the voters of block c, then the prefix sums
    part = np.zeros(n)
    buffer = np.empty((2, min(chunk, n), n))  # the chunk's bases and powers, reused
    for rows in _block_rows(n, chunk):  # voters: the denominator, the column sums, the stored utilities
        U = buffer[:1, :rows.stop - rows.start]
        run("distance_rows")(xs, rows.start, R, U, False)
        _row_powers(U, None if r is None else r[rows], parts)
        run("voter_blocks")(U[0], rows.start, ws, coef, C, stored, form_global, part, marks[1:], block)
    denominator = float(part.sum())
    if stored:
        run("prefix_columns")(C, block)
        T = C[n].copy()
    else:
        np.cumsum(marks, axis=0, out=marks)
        T = marks[blocks].copy()
    q, t = float(params["q"]), float(params["t"])
    dev = np.abs(xs - median) / R
    sq = q * (2.0 - 4.0 * 0.5**rs)
    new_s = np.empty(n)
    partner_s = np.empty(n, dtype=np.int64)
    colU = np.zeros((1, 1, 1) if stored else (1, min(chunk, n), n))
    terms, at = np.zeros(1), np.zeros((1, 1), dtype=np.int64)
    table = np.empty((0 if whole is not None else min(chunk, n), n), dtype=dtype)  # a chunk's counts, row i at i − rows.start
    space = np.empty((2, 0))
    for rows in _block_rows(n, chunk):  # actors i: the powers of their utilities, then the kernel
        m = rows.stop - rows.start
        if whole is not None:
            L = whole[rows]
        else:
            L = table[:m]
            run("midpoint_blocks")(xs, grid, L, rows.start)
        both = buffer[:, :m]
        run("distance_rows")(xs, rows.start, R, both, True)
        _row_powers(both, None if r is None else r[rows], parts)
        if not stored:  # the utilities the blocks' running column sums add; the rows' own columns u_k(i)
            need = int(_window_span(L, slice(0, m), block)[1].sum())
            if need > space.shape[1]:  # a little more than asked: the chunks' counts differ slightly
                space = np.empty((2, need + need // 8))
            terms, at = _window_terms(run, parts, xs, rs, r, R, L, slice(0, m), block, space)
            run("distance_rows")(xs, rows.start, R, colU[:, :m], False)  # d_ik = d_ki
            if r is not None:
                _split_powers(parts, [(colU[0, a:b], r[None, :]) for a, b in _cuts(m, parts)])
        run("row_blocks")(rows.start, xs, ws, ss, rs, R, same, form_global, denominator, q, t, dev, sq,
                          params["offers"] == "scholz", L, stored, C, colU[0], both[0], both[1], T, marks, terms, at,
                          block, new_s, partner_s)
    return new_s, partner_s, rs


@dataclass(frozen=True)
class Trajectory:
    """Positions (rounds + 1, n), risk exponents per round (rounds, n), the weighted mean and
    median per round (rounds + 1), and each round's accepted partner per actor (-1: none)."""

    positions: np.ndarray
    risk: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    partners: np.ndarray


def bdm_issue(x0: np.ndarray, c: np.ndarray, s: np.ndarray, params: dict[str, Any],
              kernel: str | None = None) -> Trajectory:
    """Run the model on one issue. ``s`` in [0, 1]. ``kernel``: ``c``, ``numpy`` or
    ``auto`` (:mod:`tertius.models.bdm_kernel`; None: ``TERTIUS_KERNEL``)."""
    jit = bdm_kernel.choose(kernel, actors=np.size(x0))
    x = np.asarray(x0, dtype=float).copy()
    w = np.asarray(c, dtype=float) * np.asarray(s, dtype=float)
    R = float(x.max() - x.min())
    pos, risks, partners = [x.copy()], [], []

    def centre(v: np.ndarray) -> tuple[float, float]:
        return (float(weighted_mean(v[:, None], w[:, None])[0]),
                float(weighted_median(v[:, None], w[:, None])[0]))

    m0, med0 = centre(x)
    means, medians = [m0], [med0]
    quiet = 0
    for _ in range(int(params["rounds"])):
        if R <= 0:
            break
        # The round runs with the actors sorted by position; results are put back in order.
        order = np.argsort(x, kind="stable")
        xs, ws, ss = x[order], w[order], s[order]
        if jit is not None:
            new_s, partner_s, rs = _kernel_round(jit, xs, ws, ss, R, medians[-1], params)
        else:
            new_s, partner_s, rs = _sorted_round(xs, ws, ss, R, medians[-1], params)
        x = np.empty_like(xs)
        x[order] = new_s
        r = np.empty_like(rs)
        r[order] = rs
        partner = np.full(x.size, -1)
        partner[order] = np.where(partner_s >= 0, order[np.maximum(partner_s, 0)], -1)
        pos.append(x.copy())
        risks.append(r)
        partners.append(partner)
        m, med = centre(x)
        means.append(m)
        medians.append(med)
        if params["stop"] == "median":
            quiet = quiet + 1 if abs(medians[-1] - medians[-2]) < params["tolerance"] else 0
            if quiet >= params["patience"]:
                break
    n = x.size
    return Trajectory(
        positions=np.array(pos), risk=np.array(risks).reshape(-1, n), mean=np.array(means),
        median=np.array(medians), partners=np.array(partners, dtype=int).reshape(-1, n),
    )


def settling(positions: np.ndarray, R: float) -> tuple[str, int]:
    """Classify a run from its positions per round, shape (rounds + 1, n): ``("settled", 1)``,
    ``("cycle", p)`` for the shortest period p >= 2 such that the last p rounds repeat the p
    rounds before them, or ``("unsettled", 0)``; positions within 1e-9 of the range agree."""
    K = positions.shape[0] - 1
    tol = SAME * max(R, 1e-300)
    for p in range(1, K // 2 + 1):
        if np.all(np.abs(positions[K - p + 1:] - positions[K - 2 * p + 1:K - p + 1]) <= tol):
            return ("settled", 1) if p == 1 else ("cycle", p)
    if K >= 1 and np.all(np.abs(positions[K] - positions[K - 1]) <= tol):
        return "settled", 1
    return "unsettled", 0


def _pooled(positions: np.ndarray, w: np.ndarray, kind: str) -> float:
    """The weighted median (or mean) of the positions of the given rounds pooled together."""
    x = positions.reshape(-1, 1)
    weights = np.tile(w, positions.shape[0]).reshape(-1, 1)
    return float((weighted_median(x, weights) if kind == "median" else weighted_mean(x, weights))[0])


def settle_issue(traj: Trajectory, w: np.ndarray, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The forecast for one issue under ``settle``, and how the run ended (for the details)."""
    kind = params["outcome"]
    series = traj.median if kind == "median" else traj.mean
    R = float(np.ptp(traj.positions[0])) if traj.positions.size else 0.0
    status, period = settling(traj.positions, R)
    info: dict[str, Any] = {"status": status, "period": period, "rounds": int(traj.positions.shape[0] - 1)}
    value = float(series[-1])
    moved = np.flatnonzero(np.abs(series - value) > SAME * max(R, 1e-300))
    info["steady_since"] = int(moved[-1] + 1) if moved.size else 0  # the forecast's last change
    if status == "cycle":
        alternatives = [float(v) for v in series[-period:]]
        info["alternatives"] = alternatives
        pooled = _pooled(traj.positions[-period:], w, kind)
        info["pooled"] = pooled
        if params["settle"] == "cycle":
            value = pooled
    return value, info


@register("bdm", summary="Bueno de Mesquita's expected-utility model, issue by issue, in rounds.",
          citation="Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4).",
          defaults=DEFAULTS, tags=("deterministic", "rounds"), batch=lambda *a: bdm_batch(*a), cost=rounds_pairs_cost)
def bdm(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """Bueno de Mesquita's expected-utility model, run on each issue separately.

    Bueno de Mesquita (1994), "Political forecasting: an expected utility method"; the
    variant of Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
    model", *J. Theoretical Politics* 23(4). Equations and parameters: module docstring.
    ``rounds`` in the forecast holds every actor's position after each round (round 0: the
    inputs); actors without a stance on an issue are NaN there. It is deterministic: ``rng``
    is not used.
    """
    check_params(params)
    arr = scenario.arrays
    n, m = arr.position.shape
    n_rounds = int(params["rounds"])
    snaps = np.full((n_rounds + 1, n, m), np.nan)
    outcome = np.empty(m)
    details: dict[str, Any] = {"mean": {}, "median": {}, "rounds_run": {}, "settling": {}}
    for i, issue_id in enumerate(arr.issue_ids):
        who = np.nonzero(arr.present[:, i])[0]
        traj = bdm_issue(arr.position[who, i], arr.capability[who], arr.salience[who, i], params)
        k = traj.positions.shape[0]
        snaps[:k, who, i] = traj.positions
        snaps[k:, who, i] = traj.positions[-1]  # stopped early: positions stay put
        outcome[i], details["settling"][issue_id] = settle_issue(
            traj, arr.capability[who] * arr.salience[who, i], params)
        details["mean"][issue_id] = [float(v) for v in traj.mean]
        details["median"][issue_id] = [float(v) for v in traj.median]
        details["rounds_run"][issue_id] = k - 1
    kind = params["outcome"]
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=outcome, utility=utilities(arr, outcome),
                    params=params, rounds=tuple(snaps), details=details,
                    line=Line(f"weighted {kind}", details[kind]))


# ---------------------------------------------------------------------------------------------
# Batch form: the same equations with a leading axis over draws, for sweeps of small issues.

#: Above this many actors on an issue, the batch form runs the draws one by one (its midpoint
#: counting is O(n^3) per draw, which pays only for small n).
BATCH_MAX_ACTORS = 48


def _batch_probabilities(xs: np.ndarray, ws: np.ndarray, rs: np.ndarray | None, R: np.ndarray, form: str,
                         counts: np.ndarray, below: np.ndarray, equal: np.ndarray) -> np.ndarray:
    """:func:`sorted_win_probabilities` for a batch: xs, ws, rs (B, n) sorted by position
    (``rs`` None: every exponent 1); ``below``/``equal`` compare x_i with x_j."""
    B, n = xs.shape
    U = np.abs(xs[:, :, None] - xs[:, None, :])
    U /= R[:, None, None]
    if rs is not None:
        U **= rs[:, :, None]
    C = np.empty((B, n + 1, n))
    C[:, 0, :] = 0.0
    np.cumsum(ws[:, :, None] * U, axis=1, out=C[:, 1:, :])
    A = C[np.arange(B)[:, None, None], counts, np.arange(n)[None, None, :]]
    total = C[:, n, :]
    D = A - A.transpose(0, 2, 1)
    num = (total[:, None, :] - total[:, :, None]) - D
    np.copyto(num, D, where=below)
    num[equal] = 0.0
    np.maximum(num, 0.0, out=num)
    if form == "global":
        coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
        U.sort(axis=2)
        denominator = np.einsum("bk,bk->b", ws, U @ coef)
        positive = denominator > 0
        num /= np.where(positive, denominator, 1.0)[:, None, None]
        num[~positive] = 0.0
        return num
    denom = num + num.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, num / denom, 0.0)


def _batch_round(x: np.ndarray, w: np.ndarray, s: np.ndarray, R: np.ndarray, median: np.ndarray,
                 params: dict[str, Any]) -> np.ndarray:
    """One synchronous round for every draw; returns the new positions (B, n)."""
    B, n = x.shape
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    ws = np.take_along_axis(w, order, axis=1)
    ss = np.take_along_axis(s, order, axis=1)
    # midpoint counts: #{k : x_k < (x_i + x_j) / 2}, i.e. 2 x_k < x_i + x_j, one voter at a time
    pair_sum = xs[:, :, None] + xs[:, None, :]
    counts = np.zeros((B, n, n), dtype=np.intp)
    for k in range(n):
        counts += 2.0 * xs[:, k, None, None] < pair_sum
    form = params["probability"]
    below = xs[:, :, None] < xs[:, None, :]
    equal = np.abs(xs[:, :, None] - xs[:, None, :]) <= SAME * np.maximum(1.0, R)[:, None, None]
    d = np.abs(xs[:, :, None] - xs[:, None, :]) / R[:, None, None]
    if params["risk"] == "scholz":
        P1 = _batch_probabilities(xs, ws, None, R, form, counts, below, equal)
        dsum = d.sum(axis=1)
        Dm = 4.0 * ss * (np.einsum("bki,bki->bi", P1, d) - dsum) + 2.0 * dsum
        hi, lo = Dm.max(axis=1, keepdims=True), Dm.min(axis=1, keepdims=True)
        spread = hi - lo
        flat = spread <= 1e-15 * np.maximum(1.0, np.abs(Dm).max(axis=1, keepdims=True))
        Ri = (2.0 * Dm - hi - lo) / np.where(flat, 1.0, spread)
        rs = np.where(flat, 1.0, (1.0 - Ri / 3.0) / (1.0 + Ri / 3.0))
    else:
        rs = np.ones_like(xs)
    P = _batch_probabilities(xs, ws, None if np.all(rs == 1.0) else rs, R, form, counts, below, equal)
    rv = rs[:, :, None]
    q, t = params["q"], params["t"]
    half = 0.5 * d
    U_s = 2.0 - 4.0 * _power_base(0.5 - half, rv)
    dU = U_s - (2.0 - 4.0 * _power_base(0.5 + half, rv))
    base = U_s - q * (2.0 - 4.0 * 0.5**rv)
    P -= 1.0
    own = P * ss[:, None, :]
    own *= dU
    own += base
    other = P.transpose(0, 2, 1) * ss[:, :, None]
    other *= dU
    other += base
    del P
    if q < 1.0:
        dev = np.abs(xs - median[:, None]) / R[:, None]
        own = own - _status_quo_change(dev[:, :, None], d, rv, q, t)
        other = other - _status_quo_change(dev[:, None, :], d, rv, q, t)
    new_s = _batch_offers(xs, own, other, params["offers"])
    new = np.empty_like(x)
    np.put_along_axis(new, order, new_s, axis=1)
    return new


def _batch_offers(x: np.ndarray, a: np.ndarray, b: np.ndarray, rule: str) -> np.ndarray:
    """:func:`choose_offers` for a batch. Works in an (i, j, draw) layout so that the
    reductions over partners j run across contiguous draws."""
    xt = np.ascontiguousarray(x.T)  # (n, B)
    a = np.ascontiguousarray(np.moveaxis(a, 0, -1))  # (n, n, B): [i, j, b]
    b = np.ascontiguousarray(np.moveaxis(b, 0, -1))
    xi, xj_ = xt[:, None, :], xt[None, :, :]
    differ = np.abs(xi - xj_) > SAME * np.maximum(1.0, np.ptp(xt, axis=0))[None, None, :]
    conf = differ & (b > a) & (a > 0)
    comp = differ & (a < 0) & (b > 0) & (np.abs(a) <= b)
    capit = differ & (a < 0) & (b > 0) & (np.abs(a) > b)
    xj = np.broadcast_to(xj_, a.shape)
    aa, ab = np.abs(a), np.abs(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp_pos = xi + (xj_ - xi) * aa / b
        comp_key = (aa * xi + ab * xj_) / (aa + ab)
    dist = np.abs(xj - xi)
    if rule == "scholz":
        stages = [(conf, dist, xj), (comp, comp_key, comp_pos), (capit, dist, xj)]
    else:
        target = np.where(conf | capit, xj, comp_pos)
        stages = [(conf | comp | capit, np.abs(target - xi), target)]
    tie = 1e-9 * np.maximum(1.0, np.ptp(xt, axis=0))[None, None, :]
    new = xt.copy()
    decided = np.zeros(xt.shape, dtype=bool)
    for mask, key, target in stages:
        if not mask.any():
            continue
        keyed = np.where(mask, key, np.inf)
        best = keyed.min(axis=1, keepdims=True)
        near = mask & (keyed <= best + tie)
        chosen = np.where(near, target, np.inf).min(axis=1)  # the lowest target among the best keys
        take = ~decided & mask.any(axis=1)
        new = np.where(take, chosen, new)
        decided |= take
    return new.T


def bdm_batch_issue(x0: np.ndarray, c: np.ndarray, s: np.ndarray, params: dict[str, Any],
                    kernel: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Final (weighted median, weighted mean) per draw for one issue; x0, c, s are (B, n).
    ``kernel``: as in :func:`bdm_issue` (``auto`` decides by the issue's size, n);
    the compiled kernel loops over the draws."""
    jit = bdm_kernel.choose(kernel, actors=np.shape(x0)[1])
    x = np.array(x0, dtype=float)
    w = c * s
    B, n = x.shape
    R = np.ptp(x, axis=1)
    frozen = R <= 0
    Rsafe = np.where(frozen, 1.0, R)

    def centre(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return weighted_median(v[:, :, None], w[:, :, None])[:, 0], weighted_mean(v[:, :, None], w[:, :, None])[:, 0]

    med, mean = centre(x)
    # the median is needed every round only by the stopping rule and the Q < 1 terms
    track = params["stop"] == "median" or params["q"] < 1.0
    quiet = np.zeros(B, dtype=int)
    history = [x.copy()] if params["settle"] == "cycle" else []
    for _ in range(int(params["rounds"])):
        if frozen.all():
            break
        if jit is not None:
            # contiguous float64 arrays: one compiled signature (views would compile another)
            new = jit.batch_round(*(np.ascontiguousarray(a, dtype=float) for a in (x, w, s, Rsafe, med)),
                                  float(params["q"]), float(params["t"]), params["probability"] == "global",
                                  params["risk"] == "scholz", params["offers"] == "scholz", GRID_CELLS)
        else:
            new = _batch_round(x, w, s, Rsafe, med, params)
        x = np.where(frozen[:, None], x, new)
        if history:
            history.append(x.copy())
        if track:
            new_med, mean = centre(x)
            if params["stop"] == "median":
                quiet = np.where(np.abs(new_med - med) < params["tolerance"], quiet + 1, 0)
                frozen = frozen | (quiet >= params["patience"])
            med = new_med
    if not track:
        med, mean = centre(x)
    if history:  # settle=cycle: a draw in a cycle is forecast over the cycle, as in bdm()
        steps = np.array(history)  # (rounds + 1, B, n); a frozen draw repeats its last positions
        for b in range(B):
            status, period = settling(steps[:, b], float(R[b]))
            if status == "cycle":
                med[b] = _pooled(steps[-period:, b], w[b], "median")
                mean[b] = _pooled(steps[-period:, b], w[b], "mean")
    return med, mean


def bdm_batch(scenario: Scenario, position: np.ndarray, salience: np.ndarray, capability: np.ndarray,
              params: dict[str, Any], kernel: str | None = None) -> np.ndarray:
    """The batch form of :func:`bdm` over a leading axis of draws (same equations, same numbers).
    ``kernel``: as in :func:`bdm_issue`."""
    check_params(params)
    bdm_kernel.choose(kernel, actors=0)  # a bad TERTIUS_KERNEL is refused before any work
    arr = scenario.arrays
    B = position.shape[0]
    out = np.empty((B, len(arr.issue_ids)))
    for i in range(len(arr.issue_ids)):
        who = np.nonzero(arr.present[:, i])[0]
        x, c, s = position[:, who, i], capability[:, who], salience[:, who, i]
        if who.size > BATCH_MAX_ACTORS:
            for b in range(B):
                traj = bdm_issue(x[b], c[b], s[b], params, kernel)
                out[b, i] = settle_issue(traj, c[b] * s[b], params)[0]
            continue
        med, mean = bdm_batch_issue(x, c, s, params, kernel)
        out[:, i] = med if params["outcome"] == "median" else mean
    return out
