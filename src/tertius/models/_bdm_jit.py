"""The compiled (numba) kernel of a bdm round; imported only through :mod:`tertius.models.bdm_kernel`.

The same equations as :mod:`tertius.models.bdm` (Bueno de Mesquita 1994; Scholz, Calbert & Smith
2011, restated in ``shared/reference/bdm-and-deu.md`` sections 3-4), for actors sorted by
position, with every per-pair term fused into loops over pairs, so that no (n, n) temporary is
written beyond the weighted utilities w_k u_k(a) (stored only up to
``bdm_kernel.STORE_MAX_ACTORS``; above it they are recomputed, and memory is O(n × block)).

* Midpoint counts L_ij = #{k : x_k < (x_i + x_j)/2}: a row at a time from the grid of
  ``bdm.midpoint_grid`` (:func:`grid_row`), the same integers as the binary search.
* Numerators: A_ij = C[L_ij, j], with C[m, a] = Σ_{k<m} w_k u_k(a), read from the stored
  prefix sums; without them, a row i needs column i's prefix sums (A_ji = C[L_ij, i]) and every
  column's prefix sum at L_ij; since L_ij grows with i for a fixed j, a running sum per column
  advances over each voter once per round (``S``, ``ptr`` in :func:`round_rows`).
* Denominator of the global form: per voter, its utilities are two sorted runs (the actors
  below it, read backwards, and those above), merged in linear time (:func:`merged_coef_sum`).

The transcendental powers are left to numpy (its vectorised ``**``) by the caller when it can;
the batch form computes them here, per draw, for the small issues of a sweep.
"""

from __future__ import annotations

import os
import types

import numba
import numpy as np

#: Serial (no ``parallel``): a sweep's worker processes each run one kernel on one core. The numpy
#: error model: a division by zero gives inf or NaN as in numpy (the code never relies on it)
#: instead of a check per division, which would keep the loops from being vectorised.
jit = numba.njit(cache=True, nogil=True, error_model="numpy")
#: The same, compiled with ``parallel=True``: its ``prange`` loops run on numba's threads.
pjit = numba.njit(cache=True, nogil=True, error_model="numpy", parallel=True)

#: numba's ``workqueue`` threading layer unless ``NUMBA_THREADING_LAYER`` names one: its threads
#: sleep when idle, while GNU OpenMP's (numba's first choice where it is installed) spin, which made
#: a round at 1,000 actors 2.6 times slower on two threads than on one on a machine shared with
#: other work. workqueue is also safe in a forked process; it takes one caller at a time, which
#: ``bdm_kernel.functions`` ensures.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]

#: The most threads the parallel functions may use (``NUMBA_NUM_THREADS``).
MAX_THREADS = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]


def use_threads(count):  # type: ignore[no-untyped-def]
    """Numba's thread count for the parallel functions called next from this thread."""
    numba.set_num_threads(count)


def _twice(f):  # type: ignore[no-untyped-def]
    """``f`` compiled serially (``prange`` runs as ``range``) and with ``parallel=True`` (named
    ``<name>_parallel``, so numba caches the two apart). Every ``prange`` below runs over fixed
    blocks of rows, each written by one thread from inputs that do not depend on the split, and
    every sum across blocks is taken afterwards in block order: the two give the same bytes
    whatever the number of threads."""
    twin = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_parallel", f.__defaults__,
                              f.__closure__)
    twin.__qualname__ = f.__qualname__ + "_parallel"
    twin.__doc__ = f.__doc__
    return jit(f), pjit(twin)


@jit
def make_grid(xs, cells_per_actor):  # type: ignore[no-untyped-def]
    """``bdm.midpoint_grid`` (the same integers and values), with scale 0 for a single position."""
    n = xs.size
    lo = xs[0]
    span = xs[n - 1] - xs[0]
    if span <= 0:
        return lo, 0.0, np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.bool_)
    cells = cells_per_actor * n
    scale = cells / span
    first = np.searchsorted(((xs - lo) * scale).astype(np.int64), np.arange(cells + 2), side="left")
    value = np.empty(cells + 1)
    mixed = np.zeros(cells + 1, np.bool_)
    for c in range(cells + 1):
        if first[c + 1] > first[c]:
            if xs[min(first[c], n - 1)] == xs[max(first[c + 1] - 1, 0)]:
                value[c] = xs[min(first[c], n - 1)]
            else:
                value[c] = np.nan
                mixed[c] = True
        else:
            value[c] = np.inf
    return lo, scale, first, value, mixed


@jit
def grid_row(xs, i, lo, scale, first, value, mixed, out):  # type: ignore[no-untyped-def]
    """out[j] = L_ij = #{k : xs_k < (xs_i + xs_j) / 2} from the grid of ``bdm.midpoint_grid``
    (``scale`` 0: every position is the same, every count 0): the cell of the midpoint, one step
    up when the cell's one position lies below it, a binary search in a cell with several
    positions. No branch per pair depends on the data, so it runs several times faster than
    walking a pointer over the voters."""
    n = xs.size
    if scale == 0.0:
        out[:] = 0
        return
    xi = xs[i]
    for j in range(n):
        mid = (xi + xs[j]) / 2.0
        c = int((mid - lo) * scale)
        c += value[c] < mid
        if mixed[c]:
            out[j] = np.searchsorted(xs, mid)
        else:
            out[j] = first[c]


@jit
def midpoint_rows(xs, grid, out):  # type: ignore[no-untyped-def]
    """The whole table L (``bdm.midpoint_table``), a row at a time by :func:`grid_row`."""
    lo, scale, first, value, mixed = grid
    for i in range(xs.size):
        grid_row(xs, i, lo, scale, first, value, mixed, out[i])


@jit
def _next_up(u, a, b):  # type: ignore[no-untyped-def]
    """One step of merging the runs u[a], u[a − 1], ... and u[b], u[b + 1], ...: (the smaller
    head, the heads after it). Written without branches on the data: the runs interleave
    unpredictably."""
    n = u.size
    ua = u[max(a, 0)] if a >= 0 else np.inf
    ub = u[min(b, n - 1)] if b < n else np.inf
    left = ua <= ub
    return (ua if left else ub), a - left, b + 1 - left


@jit
def merged_coef_sum(u, k, coef):  # type: ignore[no-untyped-def]
    """Σ_m coef_m u_(m) over voter k's utilities sorted ascending: u is non-increasing on
    [0, k] and non-decreasing on [k, n), two runs merged here."""
    a = k - 1
    b = k
    total = 0.0
    for m in range(u.size):
        v, a, b = _next_up(u, a, b)
        total += v * coef[m]
    return total


@jit
def merged_coef_sums(u, k, v, l, coef):  # type: ignore[no-untyped-def]
    """(:func:`merged_coef_sum` of (u, k), of (v, l)): the two merges in one loop, whose
    independent steps overlap (about 1.7 times faster here than one after the other; each sum
    takes the same steps as alone, so the same bits)."""
    a = k - 1
    b = k
    c = l - 1
    e = l
    first = 0.0
    second = 0.0
    for m in range(u.size):
        x, a, b = _next_up(u, a, b)
        first += x * coef[m]
        y, c, e = _next_up(v, c, e)
        second += y * coef[m]
    return first, second


@jit
def _linear(xa, xb, gap, WL, X2L, const, Wn, tie):  # type: ignore[no-untyped-def]
    if tie:
        return 0.0
    num = (xa + xb) * WL - X2L + const + max(gap, 0.0) * Wn
    return max(num, 0.0)


@jit
def risk_terms(xs, ws, W, X2, R, same, global_form, coef, table):  # type: ignore[no-untyped-def]
    """With every r = 1: (Σ_k N_ki d_ki, or Σ_k P_ki d_ki for the local form; Σ_k d_ki; the
    global denominator), the numerators from the prefix sums W (of w/R) and X2 (of 2 w x/R)
    as in ``bdm._blocked_risk``."""
    n = xs.size
    Wn = W[n]
    d = np.empty(n)
    pd = np.zeros(n)
    dsum = np.zeros(n)
    denominator = 0.0
    for k in range(n):
        L = table[k]
        xk = xs[k]
        const = X2[k] - 2.0 * xk * W[k]
        for i in range(n):
            xi = xs[i]
            gap = xk - xi
            dk = abs(gap) / R
            d[i] = dk
            dsum[i] += dk
            tie = abs(gap) <= same
            m = L[i]
            N = _linear(xk, xi, gap, W[m], X2[m], const, Wn, tie)
            if global_form:
                pd[i] += N * dk
            else:
                back = _linear(xi, xk, xi - xk, W[m], X2[m], X2[i] - 2.0 * xi * W[i], Wn, tie)
                total = N + back
                if total > 0:
                    pd[i] += (N / total) * dk
        if global_form:
            denominator += ws[k] * merged_coef_sum(d, k, coef)
    return pd, dsum, denominator


@jit
def voter_rows(U, k0, ws, coef, T, WU, stored, global_form):  # type: ignore[no-untyped-def]
    """For the voters k0, k0 + 1, ... whose utilities u_k(a) are the rows of U: adds w_k u_k(a)
    to the column totals T (in voter order), stores them in WU[k + 1] when ``stored`` (row 0 is
    left to the caller: the prefix sums over voters start there), and returns
    their part of the global denominator Σ_k w_k Σ_a Σ_b |u_k(a) − u_k(b)|."""
    rows, n = U.shape
    denominator = 0.0
    for r in range(rows):
        k = k0 + r
        wk = ws[k]
        if global_form:
            denominator += wk * merged_coef_sum(U[r], k, coef)
        for a in range(n):
            v = U[r, a] * wk
            T[a] += v
            if stored:
                WU[k + 1, a] = v
    return denominator


@jit
def _status_quo(dev, d, r, q, t):  # type: ignore[no-untyped-def]
    spread = 0.25 * (dev + d)
    U_b = 2.0 - 4.0 * max(0.5 - spread, 0.0) ** r
    U_w = 2.0 - 4.0 * max(0.5 + spread, 0.0) ** r
    return (1.0 - q) * (t * U_b + (1.0 - t) * U_w)


@jit
def _offer(code, a, b, xi, xj, scholz):  # type: ignore[no-untyped-def]
    """(key, target) of an offer of class ``code`` (1 confrontation, 2 compromise, 3
    capitulation), as in ``bdm.choose_offers``."""
    aa = abs(a)
    comp = xi + (xj - xi) * aa / b if code == 2 else xj
    if scholz:
        if code == 2:
            return (aa * xi + abs(b) * xj) / (aa + abs(b)), comp
        return abs(xj - xi), xj
    return abs(comp - xi), comp


@jit
def choose_offer(xi, xs, own, other, differ_tol, tie, scholz, codes):  # type: ignore[no-untyped-def]
    """Actor i's new position and accepted partner (-1: none) from its row of expected
    utilities: ``bdm.choose_offers`` for one row (stages in order for ``scholz``; keys within
    ``tie`` of the best count as equal and the lowest target wins, the first such partner)."""
    n = xs.size
    best1 = np.inf  # the best key of each stage (``nearest``: one stage, kept in best1)
    best2 = np.inf
    best3 = np.inf
    for j in range(n):
        a = own[j]
        b = other[j]
        xj = xs[j]
        code = 0
        if abs(xi - xj) > differ_tol:
            if b > a and a > 0:
                code = 1
            elif a < 0 and b > 0:
                code = 2 if abs(a) <= b else 3
        codes[j] = code
        if code == 0:
            continue
        if not scholz:
            best1 = min(best1, _offer(code, a, b, xi, xj, False)[0])
        elif code == 1:
            best1 = min(best1, abs(xj - xi))
        elif best1 == np.inf:  # compromises and capitulations count only without a confrontation
            if code == 2:
                best2 = min(best2, _offer(code, a, b, xi, xj, True)[0])
            else:
                best3 = min(best3, abs(xj - xi))
    if best1 < np.inf:
        stage, limit = 1, best1 + tie
    elif best2 < np.inf:
        stage, limit = 2, best2 + tie
    elif best3 < np.inf:
        stage, limit = 3, best3 + tie
    else:
        return xi, -1
    chosen = np.inf
    partner = -1
    for j in range(n):
        code = codes[j]
        if code == 0 or (scholz and code != stage):
            continue
        key, target = _offer(code, own[j], other[j], xi, xs[j], scholz)
        if key <= limit and target < chosen:
            chosen = target
            partner = j
    return chosen, partner


@jit
def round_rows(i0, i1, xs, ws, ss, rs, R, same, global_form, denominator, q, t, dev, sq, scholz, table,
               stored, C, colC, col0, LO, HI, lo0, T, S, ptr, terms, at, new_s, partner_s):  # type: ignore[no-untyped-def]
    """Rows i0..i1-1 of a round: win probabilities, expected utilities and offers, fused.

    ``colC`` holds the rows' own columns' prefix sums (colC[i − col0, m] = Σ_{k<m} w_k u_k(i));
    ``C`` (when ``stored``) every column's, C[m, a]; else running sums per column, ``S`` at
    voter ``ptr``, add their terms w_p u_p(j) = w_p · terms[at[j] + p] as L_ij grows with i. ``table``
    (the midpoint counts L_ij), ``LO``/``HI`` (row i at i − lo0 in each)
    are max(0.5 − d/2, 0)^r_i and (0.5 + d/2)^r_i for the rows, ``sq`` = q (2 − 4 · 0.5^r_i),
    ``dev`` = |x − median|/R. ``S``/``ptr`` (the running column sums and their voter counts)
    carry over from the rows before, which must have been processed in order."""
    n = xs.size
    own = np.empty(n)
    other = np.empty(n)
    codes = np.empty(n, np.int64)
    scale = max(1.0, xs[n - 1] - xs[0])
    differ_tol = 1e-9 * scale
    tie = 1e-9 * scale
    inverse = 1.0 / denominator if denominator > 0 else 0.0
    for i in range(i0, i1):
        L = table[i - lo0]
        xi = xs[i]
        Ti = T[i]
        ri = rs[i]
        si = ss[i]
        for j in range(n):
            m = L[j]
            if stored:
                acc = C[m, j]
            else:
                p = ptr[j]
                acc = S[j]
                while p < m:
                    acc += ws[p] * terms[at[j] + p]
                    p += 1
                ptr[j] = p
                S[j] = acc
            xj = xs[j]
            nij = 0.0
            nji = 0.0
            if abs(xi - xj) > same:
                delta = acc - colC[i - col0, m]  # A_ij − A_ji
                diff = T[j] - Ti
                if xi < xj:
                    nij = max(delta, 0.0)
                    nji = max(delta - diff, 0.0)
                else:
                    nij = max(diff - delta, 0.0)
                    nji = max(-delta, 0.0)
            if global_form:
                pij = nij * inverse
                pji = nji * inverse
            else:
                both = nij + nji
                pij = nij / both if both > 0 else 0.0
                pji = nji / both if both > 0 else 0.0
            base = 2.0 - 4.0 * LO[i - lo0, j]
            dU = base - (2.0 - 4.0 * HI[i - lo0, j])
            base -= sq[i]
            a = (pij - 1.0) * ss[j] * dU + base
            b = (pji - 1.0) * si * dU + base
            if q < 1.0:
                d = abs(xi - xj) / R
                a -= _status_quo(dev[i], d, ri, q, t)
                b -= _status_quo(dev[j], d, ri, q, t)
            own[j] = a
            other[j] = b
        new_s[i], partner_s[i] = choose_offer(xi, xs, own, other, differ_tol, tie, scholz, codes)


# ------------------------------------------------------------------ the round over blocks of rows, on every core
# Each is compiled twice by :func:`_twice`: ``name`` (serial) and ``name_parallel``.

def _midpoint_blocks(xs, grid, out, r0):  # type: ignore[no-untyped-def]
    """The rows r0, r0 + 1, ... of the midpoint table into the rows of ``out`` (:func:`midpoint_rows`
    for r0 = 0 and n rows), a row per iteration of a ``prange`` (integers: any split agrees)."""
    lo, scale, first, value, mixed = grid
    for i in numba.prange(out.shape[0]):
        grid_row(xs, r0 + i, lo, scale, first, value, mixed, out[i])


@jit
def _risk_row(i, xs, W, X2, R, same, global_form, L, d):  # type: ignore[no-untyped-def]
    """Row i of :func:`_risk_blocks`: (Σ_k N_ki d_ki or Σ_k P_ki d_ki, Σ_k d_ki), and d_ik into d."""
    n = xs.size
    Wn = W[n]
    xi = xs[i]
    own_const = X2[i] - 2.0 * xi * W[i]
    total = 0.0
    spread = 0.0
    for k in range(n):
        xk = xs[k]
        gap = xk - xi
        dk = abs(gap) / R
        d[k] = dk
        spread += dk
        tie = abs(gap) <= same
        m = L[k]
        N = _linear(xk, xi, gap, W[m], X2[m], X2[k] - 2.0 * xk * W[k], Wn, tie)
        if global_form:
            total += N * dk
        else:
            both = N + _linear(xi, xk, -gap, W[m], X2[m], own_const, Wn, tie)
            if both > 0:
                total += (N / both) * dk
    return total, spread


def _risk_blocks(xs, ws, W, X2, R, same, global_form, coef, table, block):  # type: ignore[no-untyped-def]
    """:func:`risk_terms` by rows: (Σ_k N_ki d_ki or Σ_k P_ki d_ki, Σ_k d_ki, the global
    denominator) for each actor i, summed over k in order within its row (L is symmetric,
    L_ik = L_ki, so row i of the table serves column i); each voter's part of the denominator
    is kept apart (two voters' merges at a time) and the parts are added in voter order after
    the blocks."""
    n = xs.size
    pd = np.zeros(n)
    dsum = np.zeros(n)
    part = np.zeros(n)
    for b in numba.prange((n + block - 1) // block):
        d = np.empty(n)
        e = np.empty(n)
        stop = min(n, (b + 1) * block)
        for i in range(b * block, stop, 2):
            pd[i], dsum[i] = _risk_row(i, xs, W, X2, R, same, global_form, table[i], d)
            if i + 1 < stop:
                pd[i + 1], dsum[i + 1] = _risk_row(i + 1, xs, W, X2, R, same, global_form, table[i + 1], e)
                if global_form:
                    first, second = merged_coef_sums(d, i, e, i + 1, coef)
                    part[i] = ws[i] * first
                    part[i + 1] = ws[i + 1] * second
            elif global_form:
                part[i] = ws[i] * merged_coef_sum(d, i, coef)
    denominator = 0.0
    for k in range(n):
        denominator += part[k]
    return pd, dsum, denominator


def _voter_blocks(U, k0, ws, coef, C, stored, global_form, part, sums, block):  # type: ignore[no-untyped-def]
    """For the voters k0, k0 + 1, ... (k0 a multiple of ``block``) whose utilities u_k(a) are the
    rows of U: w_k u_k(a) into C[k + 1] when ``stored``, their sums per column over each block of
    voters into sums[k // block] (in voter order), and voter k's part of the global denominator
    Σ_a Σ_b |u_k(a) − u_k(b)| (weighted) into part[k]."""
    rows, n = U.shape
    for b in numba.prange((rows + block - 1) // block):
        acc = sums[k0 // block + b]
        stop = min(rows, (b + 1) * block)
        if global_form:  # two voters' merges at a time
            for r in range(b * block, stop, 2):
                k = k0 + r
                if r + 1 < stop:
                    first, second = merged_coef_sums(U[r], k, U[r + 1], k + 1, coef)
                    part[k] = ws[k] * first
                    part[k + 1] = ws[k + 1] * second
                else:
                    part[k] = ws[k] * merged_coef_sum(U[r], k, coef)
        for r in range(b * block, stop):
            k = k0 + r
            wk = ws[k]
            for a in range(n):
                v = U[r, a] * wk
                acc[a] += v
                if stored:
                    C[k + 1, a] = v


def _prefix_columns(C, block):  # type: ignore[no-untyped-def]
    """C[k] += C[k − 1] down every column (``np.cumsum(C, axis=0)``, the same additions), a block
    of columns per iteration."""
    rows, n = C.shape
    for b in numba.prange((n + block - 1) // block):
        for k in range(1, rows):
            for a in range(b * block, min(n, (b + 1) * block)):
                C[k, a] += C[k - 1, a]


def _row_blocks(c0, xs, ws, ss, rs, R, same, global_form, denominator, q, t, dev, sq, scholz, table, stored, C,
                colC, LO, HI, T, marks, terms, at, block, new_s, partner_s):  # type: ignore[no-untyped-def]
    """Rows c0 .. c0 + len(LO) − 1 (c0 a multiple of ``block``) by :func:`round_rows`, a block of
    rows per iteration; ``table``, ``LO`` and ``HI`` hold those rows only (row i at i − c0).
    Stored: the block's own columns of C are copied into a row-major table. Not stored: they are
    summed from ``colC``, the utilities u_k(i) of the rows from c0 (row i − c0), and the running
    column sums start at the block's first row i0 from the checkpoints ``marks`` (marks[c, j] =
    Σ_{k < c·block} w_k u_k(j)) and the voters since, so a block depends on no other block; the
    utilities u_p(j) they add are terms[at[b, j] + p] (:func:`_window_bases`, numpy's powers)."""
    rows = LO.shape[0]
    n = xs.size
    for b in numba.prange((rows + block - 1) // block):
        i0 = c0 + b * block
        i1 = min(c0 + rows, i0 + block)
        S = np.zeros(n)
        ptr = np.zeros(n, np.int64)
        where = at[0] if stored else at[b]  # stored: no running sums, ``at`` is a placeholder
        if stored:
            own = np.empty((i1 - i0, n + 1))
            for m in range(n + 1):
                for r in range(i1 - i0):
                    own[r, m] = C[m, i0 + r]
            col0 = i0
        else:
            own = np.empty((i1 - i0, n + 1))
            for r in range(i1 - i0):
                acc = 0.0
                own[r, 0] = 0.0
                for k in range(n):
                    acc += ws[k] * colC[i0 - c0 + r, k]
                    own[r, k + 1] = acc
            col0 = i0
            L = table[i0 - c0]
            for j in range(n):
                m = L[j]
                acc = marks[m // block, j]
                for p in range((m // block) * block, m):
                    acc += ws[p] * terms[where[j] + p]
                S[j] = acc
                ptr[j] = m
        round_rows(i0, i1, xs, ws, ss, rs, R, same, global_form, denominator, q, t, dev, sq, scholz, table, stored,
                   C, own, col0, LO, HI, c0, T, S, ptr, terms, where, new_s, partner_s)


def _distance_rows(xs, r0, R, out, halves):  # type: ignore[no-untyped-def]
    """For the rows i = r0, r0 + 1, ... of ``out``: d_ij = |x_i − x_j| / R into out[0] or, with
    ``halves``, the bases of the status quo's powers max(0.5 − d_ij/2, 0) into out[0] and
    0.5 + d_ij/2 into out[1] (numpy takes their powers next)."""
    rows = out.shape[1]
    n = xs.size
    for r in numba.prange(rows):
        xi = xs[r0 + r]
        for j in range(n):
            d = abs(xi - xs[j]) / R
            if halves:
                half = d * 0.5
                out[0, r, j] = max(0.5 - half, 0.0)
                out[1, r, j] = half + 0.5
            else:
                out[0, r, j] = d

def _window_bases(xs, rs, R, first, width, offset, base, expo):  # type: ignore[no-untyped-def]
    """Above ``KERNEL_STORE_MAX_ACTORS``: for each block b of a chunk and column j, the
    width[b, j] voters p from first[b, j] whose utilities u_p(j) = d_pj^r_p the block's running
    sums add: d_pj into base[offset[b, j] + p − first[b, j]] and r_p into expo (numpy takes the
    powers next, vectorised)."""
    blocks, n = first.shape
    for b in numba.prange(blocks):
        for j in range(n):
            xj = xs[j]
            start = offset[b, j]
            for k in range(width[b, j]):
                p = first[b, j] + k
                base[start + k] = abs(xs[p] - xj) / R
                expo[start + k] = rs[p]


midpoint_blocks, midpoint_blocks_parallel = _twice(_midpoint_blocks)
risk_blocks, risk_blocks_parallel = _twice(_risk_blocks)
voter_blocks, voter_blocks_parallel = _twice(_voter_blocks)
prefix_columns, prefix_columns_parallel = _twice(_prefix_columns)
row_blocks, row_blocks_parallel = _twice(_row_blocks)
distance_rows, distance_rows_parallel = _twice(_distance_rows)
window_bases, window_bases_parallel = _twice(_window_bases)


@jit
def exponents(D):  # type: ignore[no-untyped-def]
    """``bdm._exponents``: r_i in [0.5, 2] from the security totals D_i."""
    hi = D.max()
    lo = D.min()
    spread = hi - lo
    if spread <= 1e-15 * max(1.0, np.abs(D).max()):
        return np.ones_like(D)
    Ri = (2.0 * D - hi - lo) / spread
    return (1.0 - Ri / 3.0) / (1.0 + Ri / 3.0)


@jit
def full_round(xs, ws, ss, R, median, q, t, same, global_form, risk_scholz, scholz, cells):  # type: ignore[no-untyped-def]
    """One whole round for sorted actors, the powers included: (new positions, exponents)."""
    n = xs.size
    table = np.empty((n, n), np.int16)  # as the single issue's table (n < 2**15), so the callees compile once
    midpoint_rows(xs, make_grid(xs, cells), table)
    coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
    if risk_scholz:
        W = np.zeros(n + 1)
        X2 = np.zeros(n + 1)
        wr = ws / R
        wx = ws * xs * (2.0 / R)
        for k in range(n):
            W[k + 1] = W[k] + wr[k]
            X2[k + 1] = X2[k] + wx[k]
        pd, dsum, den = risk_terms(xs, ws, W, X2, R, same, global_form, coef, table)
        if global_form:
            pd = pd / den if den > 0 else np.zeros(n)
        rs = exponents(4.0 * ss * (pd - dsum) + 2.0 * dsum)
    else:
        rs = np.ones(n)
    WU = np.empty((n + 1, n))
    WU[0] = 0.0
    T = np.zeros(n)
    U = np.empty((1, n))
    denominator = 0.0
    LO = np.empty((n, n))
    HI = np.empty((n, n))
    for k in range(n):
        for a in range(n):
            d = abs(xs[k] - xs[a]) / R
            U[0, a] = d ** rs[k]
            half = 0.5 * d
            LO[k, a] = max(0.5 - half, 0.0) ** rs[k]
            HI[k, a] = (half + 0.5) ** rs[k]
        denominator += voter_rows(U, k, ws, coef, T, WU, True, global_form)
    for k in range(n):
        for a in range(n):
            WU[k + 1, a] += WU[k, a]
    dev = np.abs(xs - median) / R
    sq = q * (2.0 - 4.0 * 0.5 ** rs)
    new_s = np.empty(n)
    partner_s = np.empty(n, np.int64)
    round_rows(0, n, xs, ws, ss, rs, R, same, global_form, denominator, q, t, dev, sq, scholz, table, True, WU,
               np.ascontiguousarray(WU.T), 0, LO, HI, 0, T, np.zeros(n), np.zeros(n, np.int64), np.zeros(1),
               np.zeros(1, np.int64), new_s, partner_s)
    return new_s, rs


@jit
def batch_round(x, w, s, R, median, q, t, global_form, risk_scholz, scholz, cells):  # type: ignore[no-untyped-def]
    """One synchronous round for every draw (rows of x, w, s; R, median per draw), each draw
    sorted by position (stably) and put back: the new positions (B, n)."""
    B, n = x.shape
    out = np.empty_like(x)
    for b in range(B):
        order = np.argsort(x[b], kind="mergesort")
        xs = x[b][order]
        ws = w[b][order]
        ss = s[b][order]
        same = 1e-9 * max(1.0, R[b])
        new_s, _ = full_round(xs, ws, ss, R[b], median[b], q, t, same, global_form, risk_scholz, scholz, cells)
        for m in range(n):
            out[b, order[m]] = new_s[m]
    return out
