# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The C kernel of a bdm round (Cython, built when the package installs; optional): this project's
former numba kernel translated into typed C, function for function, so that a round runs
compiled without loading LLVM; the numba kernel was then removed (issue 23, branch bdm23f). Its
source, which states each function's equations and which the names ``_bdm_jit.<function>``
below refer to, is ``git show 24b3a3f:src/tertius/models/_bdm_jit.py``. Imported only through
:mod:`tertius.models._bdm_cblocks`, which runs the block functions below on threads.

The same equations as :mod:`tertius.models.bdm` (Bueno de Mesquita 1994; Scholz, Calbert & Smith
2011, restated in ``shared/reference/bdm-and-deu.md`` sections 3-4), for actors sorted by
position, the per-pair terms fused into loops over pairs. Each ``*_blocks`` function processes
the blocks (or rows) ``b0 .. b1 - 1`` of its work without the GIL: every block is written by one
call from inputs that do not depend on how the blocks are shared out, and every sum across
blocks is taken by the caller in block order, so any number of threads gives the same bytes. The
arithmetic is IEEE double in the source's order (no fast-math, no -march: no fused
multiply-adds), which gave the same bytes as the numba kernel on this project's machine; it
agrees with the numpy path to 1e-9 of the scale range (tests/test_bdm_kernel.py).
"""

import numpy as np

from libc.math cimport INFINITY, NAN, fabs, pow
from libc.stdint cimport int16_t, int32_t, int64_t
from libc.stdlib cimport free, malloc

ctypedef fused index_t:
    int16_t
    int32_t


cdef inline double _max(double a, double b) noexcept nogil:
    return b if b > a else a  # Python's max(a, b)


cdef inline double _min(double a, double b) noexcept nogil:
    return b if b < a else a


cdef inline int64_t _search(const double* xs, int64_t n, double v) noexcept nogil:
    """np.searchsorted(xs, v, side='left'): the first k with xs[k] >= v."""
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if xs[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


# ------------------------------------------------------------------ the midpoint table

def make_grid(const double[::1] xs, int64_t cells_per_actor):
    """``bdm.midpoint_grid`` (the same integers and values), with scale 0 for a single position."""
    cdef int64_t n = xs.shape[0], cells, c, p, k
    cdef double lo = xs[0], span = xs[n - 1] - xs[0], scale
    if span <= 0:
        return lo, 0.0, np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.bool_)
    cells = cells_per_actor * n
    scale = cells / span
    first_a = np.empty(cells + 2, np.int64)
    value_a = np.empty(cells + 1)
    mixed_a = np.zeros(cells + 1, np.bool_)
    cdef int64_t[::1] first = first_a
    cdef double[::1] value = value_a
    cdef unsigned char[::1] mixed = mixed_a.view(np.uint8)
    p = 0
    for c in range(cells + 2):  # searchsorted(int64((xs - lo) * scale), arange(cells + 2), 'left')
        while p < n and <int64_t>((xs[p] - lo) * scale) < c:
            p += 1
        first[c] = p
    for c in range(cells + 1):
        if first[c + 1] > first[c]:
            k = first[c] if first[c] < n - 1 else n - 1
            if xs[k] == xs[first[c + 1] - 1 if first[c + 1] - 1 > 0 else 0]:
                value[c] = xs[k]
            else:
                value[c] = NAN
                mixed[c] = 1
        else:
            value[c] = INFINITY
    return lo, scale, first_a, value_a, mixed_a


cdef void _grid_row(const double* xs, int64_t n, int64_t i, double lo, double scale, const int64_t* first,
                    const double* value, const unsigned char* mixed, index_t* out) noexcept nogil:
    """out[j] = L_ij = #{k : xs_k < (xs_i + xs_j) / 2} from the grid (``_bdm_jit.grid_row``)."""
    cdef int64_t j, c
    cdef double xi, mid
    if scale == 0.0:
        for j in range(n):
            out[j] = 0
        return
    xi = xs[i]
    for j in range(n):
        mid = (xi + xs[j]) / 2.0
        c = <int64_t>((mid - lo) * scale)
        c += value[c] < mid
        if mixed[c]:
            out[j] = <index_t>_search(xs, n, mid)
        else:
            out[j] = <index_t>first[c]


def midpoint_blocks(const double[::1] xs, double lo, double scale, const int64_t[::1] first, const double[::1] value,
                    const unsigned char[::1] mixed, index_t[:, ::1] out, int64_t r0, int64_t i0, int64_t i1):
    """Rows i0 .. i1 − 1 of ``out``: the rows r0 + i0 ... of the midpoint table (``bdm.midpoint_table``)."""
    cdef int64_t n = xs.shape[0], i
    with nogil:
        for i in range(i0, i1):
            _grid_row(&xs[0], n, r0 + i, lo, scale, &first[0], &value[0], &mixed[0], &out[i, 0])


# ------------------------------------------------------------------ the risk exponents

cdef inline double _next_up(const double* u, int64_t n, int64_t* a, int64_t* b) noexcept nogil:
    """One step of merging the runs u[a], u[a − 1], ... and u[b], u[b + 1], ...: the smaller head."""
    cdef double ua = u[a[0]] if a[0] >= 0 else INFINITY
    cdef double ub = u[b[0]] if b[0] < n else INFINITY
    cdef int64_t left = ua <= ub
    a[0] -= left
    b[0] += 1 - left
    return ua if left else ub


cdef double _merged_coef_sum(const double* u, int64_t n, int64_t k, const double* coef) noexcept nogil:
    """Σ_m coef_m u_(m) over voter k's utilities sorted ascending (two runs merged)."""
    cdef int64_t a = k - 1, b = k, m
    cdef double total = 0.0
    for m in range(n):
        total += _next_up(u, n, &a, &b) * coef[m]
    return total


cdef void _merged_coef_sums(const double* u, int64_t k, const double* v, int64_t l, int64_t n, const double* coef,
                            double* first, double* second) noexcept nogil:
    """The two merges of ``_merged_coef_sum`` in one loop (each takes the same steps as alone)."""
    cdef int64_t a = k - 1, b = k, c = l - 1, e = l, m
    cdef double one = 0.0, two = 0.0, x, y
    for m in range(n):
        x = _next_up(u, n, &a, &b)
        one += x * coef[m]
        y = _next_up(v, n, &c, &e)
        two += y * coef[m]
    first[0] = one
    second[0] = two


cdef inline double _linear(double xa, double xb, double gap, double WL, double X2L, double const_, double Wn,
                           bint tie) noexcept nogil:
    if tie:
        return 0.0
    return _max((xa + xb) * WL - X2L + const_ + _max(gap, 0.0) * Wn, 0.0)


cdef void _risk_row(int64_t i, const double* xs, int64_t n, const double* W, const double* X2, double R, double same,
                    bint global_form, const index_t* L, double* d, double* total_out,
                    double* spread_out) noexcept nogil:
    """Row i of ``risk_blocks``: (Σ_k N_ki d_ki or Σ_k P_ki d_ki, Σ_k d_ki), and d_ik into d."""
    cdef double Wn = W[n], xi = xs[i], own_const = X2[i] - 2.0 * xi * W[i]
    cdef double total = 0.0, spread = 0.0, xk, gap, dk, N, both
    cdef int64_t k, m
    cdef bint tie
    for k in range(n):
        xk = xs[k]
        gap = xk - xi
        dk = fabs(gap) / R
        d[k] = dk
        spread += dk
        tie = fabs(gap) <= same
        m = L[k]
        N = _linear(xk, xi, gap, W[m], X2[m], X2[k] - 2.0 * xk * W[k], Wn, tie)
        if global_form:
            total += N * dk
        else:
            both = N + _linear(xi, xk, -gap, W[m], X2[m], own_const, Wn, tie)
            if both > 0:
                total += (N / both) * dk
    total_out[0] = total
    spread_out[0] = spread


def risk_blocks(const double[::1] xs, const double[::1] ws, const double[::1] W, const double[::1] X2, double R,
                double same, bint global_form, const double[::1] coef, const index_t[:, ::1] table, int64_t block,
                double[::1] pd, double[::1] dsum, double[::1] part, int64_t b0, int64_t b1):
    """Blocks b0 .. b1 − 1 of rows of ``_bdm_jit.risk_blocks``: pd[i], dsum[i] and voter i's part
    of the global denominator part[i] (two voters' merges at a time); the caller adds the parts in
    voter order."""
    cdef int64_t n = xs.shape[0], b, i, stop
    cdef double* d
    cdef double* e
    cdef double first, second
    with nogil:
        d = <double*>malloc(2 * n * sizeof(double))
        if d == NULL:
            with gil:
                raise MemoryError()
        e = d + n
        for b in range(b0, b1):
            stop = n if n < (b + 1) * block else (b + 1) * block
            i = b * block
            while i < stop:
                _risk_row(i, &xs[0], n, &W[0], &X2[0], R, same, global_form, &table[i, 0], d, &pd[i], &dsum[i])
                if i + 1 < stop:
                    _risk_row(i + 1, &xs[0], n, &W[0], &X2[0], R, same, global_form, &table[i + 1, 0], e, &pd[i + 1],
                              &dsum[i + 1])
                    if global_form:
                        _merged_coef_sums(d, i, e, i + 1, n, &coef[0], &first, &second)
                        part[i] = ws[i] * first
                        part[i + 1] = ws[i + 1] * second
                elif global_form:
                    part[i] = ws[i] * _merged_coef_sum(d, n, i, &coef[0])
                i += 2
        free(d)


# ------------------------------------------------------------------ the voters' pass

def voter_blocks(const double[:, ::1] U, int64_t k0, const double[::1] ws, const double[::1] coef, double[:, ::1] C,
                 bint stored, bint global_form, double[::1] part, double[:, ::1] sums, int64_t block, int64_t b0,
                 int64_t b1):
    """Blocks b0 .. b1 − 1 of the voters k0, k0 + 1, ... (k0 a multiple of ``block``) whose
    utilities are the rows of U (``_bdm_jit.voter_blocks``): w_k u_k(a) into C[k + 1] when
    ``stored``, their column sums per block into sums[k // block], voter k's part of the global
    denominator into part[k]."""
    cdef int64_t rows = U.shape[0], n = U.shape[1], b, r, k, a, stop
    cdef double first, second, wk, v
    cdef double* acc
    with nogil:
        for b in range(b0, b1):
            acc = &sums[k0 // block + b, 0]
            stop = rows if rows < (b + 1) * block else (b + 1) * block
            if global_form:
                r = b * block
                while r < stop:
                    k = k0 + r
                    if r + 1 < stop:
                        _merged_coef_sums(&U[r, 0], k, &U[r + 1, 0], k + 1, n, &coef[0], &first, &second)
                        part[k] = ws[k] * first
                        part[k + 1] = ws[k + 1] * second
                    else:
                        part[k] = ws[k] * _merged_coef_sum(&U[r, 0], n, k, &coef[0])
                    r += 2
            for r in range(b * block, stop):
                k = k0 + r
                wk = ws[k]
                for a in range(n):
                    v = U[r, a] * wk
                    acc[a] += v
                    if stored:
                        C[k + 1, a] = v


def prefix_columns(double[:, ::1] C, int64_t block, int64_t b0, int64_t b1):
    """C[k] += C[k − 1] down the columns of blocks b0 .. b1 − 1 (``np.cumsum(C, axis=0)``)."""
    cdef int64_t rows = C.shape[0], n = C.shape[1], b, k, a, stop
    with nogil:
        for b in range(b0, b1):
            stop = n if n < (b + 1) * block else (b + 1) * block
            for k in range(1, rows):
                for a in range(b * block, stop):
                    C[k, a] += C[k - 1, a]


# ------------------------------------------------------------------ the rows: expected utilities and offers

cdef inline double _status_quo(double dev, double d, double r, double q, double t) noexcept nogil:
    cdef double spread = 0.25 * (dev + d)
    cdef double U_b = 2.0 - 4.0 * pow(_max(0.5 - spread, 0.0), r)
    cdef double U_w = 2.0 - 4.0 * pow(_max(0.5 + spread, 0.0), r)
    return (1.0 - q) * (t * U_b + (1.0 - t) * U_w)


cdef inline (double, double) _offer(int64_t code, double a, double b, double xi, double xj,
                                    bint scholz) noexcept nogil:
    """(key, target) of an offer of class ``code`` (1 confrontation, 2 compromise, 3 capitulation)."""
    cdef double aa = fabs(a)
    cdef double comp = xi + (xj - xi) * aa / b if code == 2 else xj
    if scholz:
        if code == 2:
            return (aa * xi + fabs(b) * xj) / (aa + fabs(b)), comp
        return fabs(xj - xi), xj
    return fabs(comp - xi), comp


cdef void _choose_offer(double xi, const double* xs, int64_t n, const double* own, const double* other,
                        double differ_tol, double tie, bint scholz, int64_t* codes, double* new_out,
                        int64_t* partner_out) noexcept nogil:
    """Actor i's new position and accepted partner (-1: none) from its row of expected utilities
    (``_bdm_jit.choose_offer``)."""
    cdef double best1 = INFINITY, best2 = INFINITY, best3 = INFINITY, a, b, xj, limit, chosen, key, target
    cdef int64_t j, code, stage, partner
    for j in range(n):
        a = own[j]
        b = other[j]
        xj = xs[j]
        code = 0
        if fabs(xi - xj) > differ_tol:
            if b > a and a > 0:
                code = 1
            elif a < 0 and b > 0:
                code = 2 if fabs(a) <= b else 3
        codes[j] = code
        if code == 0:
            continue
        if not scholz:
            best1 = _min(best1, _offer(code, a, b, xi, xj, False)[0])
        elif code == 1:
            best1 = _min(best1, fabs(xj - xi))
        elif best1 == INFINITY:  # compromises and capitulations count only without a confrontation
            if code == 2:
                best2 = _min(best2, _offer(code, a, b, xi, xj, True)[0])
            else:
                best3 = _min(best3, fabs(xj - xi))
    if best1 < INFINITY:
        stage = 1
        limit = best1 + tie
    elif best2 < INFINITY:
        stage = 2
        limit = best2 + tie
    elif best3 < INFINITY:
        stage = 3
        limit = best3 + tie
    else:
        new_out[0] = xi
        partner_out[0] = -1
        return
    chosen = INFINITY
    partner = -1
    for j in range(n):
        code = codes[j]
        if code == 0 or (scholz and code != stage):
            continue
        key, target = _offer(code, own[j], other[j], xi, xs[j], scholz)
        if key <= limit and target < chosen:
            chosen = target
            partner = j
    new_out[0] = chosen
    partner_out[0] = partner


cdef struct Round:
    # the inputs of ``_round_rows`` shared by every row (``_bdm_jit.round_rows``)
    int64_t n
    const double* xs
    const double* ws
    const double* ss
    const double* rs
    double R
    double same
    bint global_form
    double denominator
    double q
    double t
    const double* dev
    const double* sq
    bint scholz
    bint stored
    const double* C        # stored: the prefix sums C[m, a], row-major (n + 1, n)
    const double* LO       # (rows, n) from row lo0
    const double* HI
    int64_t lo0
    const double* T
    const double* terms
    double* new_s
    int64_t* partner_s


cdef int _round_rows(const Round* g, int64_t i0, int64_t i1, const index_t* table, const double* colC,
                     int64_t col0, double* S, int64_t* ptr, const int64_t* at) noexcept nogil:
    """Rows i0 .. i1 − 1 of a round (``_bdm_jit.round_rows``): win probabilities, expected
    utilities and offers, fused. ``table`` holds the midpoint counts of the rows from g.lo0. colC[(i − col0) (n + 1) + m]: the row's own column's prefix sums.
    Returns -1 when its scratch memory cannot be had."""
    cdef int64_t n = g.n, i, j, m, p
    cdef double* own = <double*>malloc(2 * n * sizeof(double))
    cdef int64_t* codes = <int64_t*>malloc(n * sizeof(int64_t))
    cdef double* other
    cdef const index_t* L
    cdef double scale = _max(1.0, g.xs[n - 1] - g.xs[0])
    cdef double differ_tol = 1e-9 * scale, tie = 1e-9 * scale
    cdef double inverse = 1.0 / g.denominator if g.denominator > 0 else 0.0
    cdef double xi, Ti, ri, si, acc, xj, nij, nji, delta, diff, pij, pji, both, base, dU, a, b, d
    cdef const double* lo_row
    cdef const double* hi_row
    # the shared inputs in locals: the stores into own / other cannot then be taken to change them
    cdef const double* xs = g.xs
    cdef const double* ws = g.ws
    cdef const double* ss = g.ss
    cdef const double* T = g.T
    cdef const double* C = g.C
    cdef const double* terms = g.terms
    cdef const double* dev = g.dev
    cdef double sqi, devi
    cdef double same = g.same, q = g.q, t = g.t, R = g.R
    cdef bint stored = g.stored, global_form = g.global_form
    if own == NULL or codes == NULL:
        free(own)
        free(codes)
        return -1
    other = own + n
    for i in range(i0, i1):
        L = table + (i - g.lo0) * n
        xi = xs[i]
        Ti = T[i]
        ri = g.rs[i]
        si = ss[i]
        sqi = g.sq[i]
        devi = dev[i]
        lo_row = g.LO + (i - g.lo0) * n
        hi_row = g.HI + (i - g.lo0) * n
        for j in range(n):
            m = L[j]
            if stored:
                acc = C[m * n + j]
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
            if fabs(xi - xj) > same:
                delta = acc - colC[(i - col0) * (n + 1) + m]  # A_ij − A_ji
                diff = T[j] - Ti
                if xi < xj:
                    nij = _max(delta, 0.0)
                    nji = _max(delta - diff, 0.0)
                else:
                    nij = _max(diff - delta, 0.0)
                    nji = _max(-delta, 0.0)
            if global_form:
                pij = nij * inverse
                pji = nji * inverse
            else:
                both = nij + nji
                pij = nij / both if both > 0 else 0.0
                pji = nji / both if both > 0 else 0.0
            base = 2.0 - 4.0 * lo_row[j]
            dU = base - (2.0 - 4.0 * hi_row[j])
            base -= sqi
            a = (pij - 1.0) * ss[j] * dU + base
            b = (pji - 1.0) * si * dU + base
            if q < 1.0:
                d = fabs(xi - xj) / R
                a -= _status_quo(devi, d, ri, q, t)
                b -= _status_quo(dev[j], d, ri, q, t)
            own[j] = a
            other[j] = b
        _choose_offer(xi, xs, n, own, other, differ_tol, tie, g.scholz, codes, &g.new_s[i], &g.partner_s[i])
    free(own)
    free(codes)
    return 0


cdef int _row_block(const Round* g, int64_t b, int64_t c0, int64_t rows, int64_t block, const index_t* table,
                    const double* colU, const double* marks, const int64_t* at) noexcept nogil:
    """Block b of ``_bdm_jit.row_blocks``: its own columns' prefix sums, the running column sums
    from the checkpoints (not stored), then its rows. -1: no memory."""
    cdef int64_t n = g.n, i0 = c0 + b * block, i1, r, m, k, j, p, count, status
    cdef double acc
    cdef double* own
    cdef double* S
    cdef int64_t* ptr
    cdef const int64_t* where
    cdef const index_t* L
    i1 = c0 + rows if c0 + rows < i0 + block else i0 + block
    count = i1 - i0
    own = <double*>malloc((count * (n + 1) + n) * sizeof(double))
    ptr = <int64_t*>malloc(n * sizeof(int64_t))
    if own == NULL or ptr == NULL:
        free(own)
        free(ptr)
        return -1
    S = own + count * (n + 1)
    for j in range(n):
        S[j] = 0.0
        ptr[j] = 0
    if g.stored:
        where = at
        for m in range(n + 1):
            for r in range(count):
                own[r * (n + 1) + m] = g.C[m * n + i0 + r]
    else:
        where = at + b * n
        for r in range(count):
            acc = 0.0
            own[r * (n + 1)] = 0.0
            for k in range(n):
                acc += g.ws[k] * colU[(i0 - c0 + r) * n + k]
                own[r * (n + 1) + k + 1] = acc
        L = table + (i0 - c0) * n
        for j in range(n):
            m = L[j]
            acc = marks[(m // block) * n + j]
            for p in range((m // block) * block, m):
                acc += g.ws[p] * g.terms[where[j] + p]
            S[j] = acc
            ptr[j] = m
    status = _round_rows(g, i0, i1, table, own, i0, S, ptr, where)
    free(own)
    free(ptr)
    return status


def row_blocks(int64_t c0, const double[::1] xs, const double[::1] ws, const double[::1] ss, const double[::1] rs,
               double R, double same, bint global_form, double denominator, double q, double t, const double[::1] dev,
               const double[::1] sq, bint scholz, const index_t[:, ::1] table, bint stored, const double[:, ::1] C,
               const double[:, ::1] colC, const double[:, ::1] LO, const double[:, ::1] HI, const double[::1] T,
               const double[:, ::1] marks, const double[::1] terms, const int64_t[:, ::1] at, int64_t block,
               double[::1] new_s, int64_t[::1] partner_s, int64_t b0, int64_t b1):
    """Blocks b0 .. b1 − 1 of the rows c0 .. c0 + len(LO) − 1 (``_bdm_jit.row_blocks``; ``table``,
    ``LO`` and ``HI`` hold those rows only)."""
    cdef Round g
    cdef int64_t b, status = 0
    g.n = xs.shape[0]
    g.xs = &xs[0]
    g.ws = &ws[0]
    g.ss = &ss[0]
    g.rs = &rs[0]
    g.R = R
    g.same = same
    g.global_form = global_form
    g.denominator = denominator
    g.q = q
    g.t = t
    g.dev = &dev[0]
    g.sq = &sq[0]
    g.scholz = scholz
    g.stored = stored
    g.C = &C[0, 0]
    g.LO = &LO[0, 0]
    g.HI = &HI[0, 0]
    g.lo0 = c0
    g.T = &T[0]
    g.terms = &terms[0]
    g.new_s = &new_s[0]
    g.partner_s = &partner_s[0]
    with nogil:
        for b in range(b0, b1):
            if _row_block(&g, b, c0, LO.shape[0], block, &table[0, 0], &colC[0, 0], &marks[0, 0], &at[0, 0]) < 0:
                status = -1
                break
    if status < 0:
        raise MemoryError()


def distance_rows(const double[::1] xs, int64_t r0, double R, double[:, ::1] first, double[:, ::1] second,
                  bint halves, int64_t i0, int64_t i1):
    """Rows i0 .. i1 − 1 of ``first`` (``_bdm_jit.distance_rows``): d_ij = |x_i − x_j| / R for
    i = r0 + row into ``first``, or with ``halves`` the status quo's bases max(0.5 − d/2, 0) into
    ``first`` and 0.5 + d/2 into ``second``."""
    cdef int64_t n = xs.shape[0], r, j
    cdef double xi, d, half
    with nogil:
        for r in range(i0, i1):
            xi = xs[r0 + r]
            for j in range(n):
                d = fabs(xi - xs[j]) / R
                if halves:
                    half = d * 0.5
                    first[r, j] = _max(0.5 - half, 0.0)
                    second[r, j] = half + 0.5
                else:
                    first[r, j] = d


def window_bases(const double[::1] xs, const double[::1] rs, double R, const int64_t[:, ::1] first,
                 const int64_t[:, ::1] width, const int64_t[:, ::1] offset, double[::1] base, double[::1] expo,
                 int64_t b0, int64_t b1):
    """Blocks b0 .. b1 − 1 of ``_bdm_jit.window_bases``: the bases d_pj and exponents r_p of the
    utilities the blocks' running column sums add."""
    cdef int64_t n = first.shape[1], b, j, k, p, start
    cdef double xj
    with nogil:
        for b in range(b0, b1):
            for j in range(n):
                xj = xs[j]
                start = offset[b, j]
                for k in range(width[b, j]):
                    p = first[b, j] + k
                    base[start + k] = fabs(xs[p] - xj) / R
                    expo[start + k] = rs[p]


# ------------------------------------------------------------------ a whole round, and the batch of draws

def exponents(D):
    """``bdm._exponents``: r_i in [0.5, 2] from the security totals D_i."""
    hi = D.max()
    lo = D.min()
    spread = hi - lo
    if spread <= 1e-15 * max(1.0, np.abs(D).max()):
        return np.ones_like(D)
    Ri = (2.0 * D - hi - lo) / spread
    return (1.0 - Ri / 3.0) / (1.0 + Ri / 3.0)


cdef void _risk_terms(const double* xs, const double* ws, int64_t n, const double* W, const double* X2, double R,
                      double same, bint global_form, const double* coef, const int16_t* table, double* pd,
                      double* dsum, double* d, double* denominator) noexcept nogil:
    """``_bdm_jit.risk_terms``: pd, dsum (zeroed by the caller) and the global denominator."""
    cdef double Wn = W[n], den = 0.0, xk, const_, xi, gap, dk, N, back, total
    cdef int64_t k, i, m
    cdef bint tie
    cdef const int16_t* L
    for k in range(n):
        L = table + k * n
        xk = xs[k]
        const_ = X2[k] - 2.0 * xk * W[k]
        for i in range(n):
            xi = xs[i]
            gap = xk - xi
            dk = fabs(gap) / R
            d[i] = dk
            dsum[i] += dk
            tie = fabs(gap) <= same
            m = L[i]
            N = _linear(xk, xi, gap, W[m], X2[m], const_, Wn, tie)
            if global_form:
                pd[i] += N * dk
            else:
                back = _linear(xi, xk, xi - xk, W[m], X2[m], X2[i] - 2.0 * xi * W[i], Wn, tie)
                total = N + back
                if total > 0:
                    pd[i] += (N / total) * dk
        if global_form:
            den += ws[k] * _merged_coef_sum(d, n, k, coef)
    denominator[0] = den


def full_round(const double[::1] xs, const double[::1] ws, const double[::1] ss, double R, double median, double q,
               double t, double same, bint global_form, bint risk_scholz, bint scholz, int64_t cells):
    """One whole round for sorted actors, the powers included (``_bdm_jit.full_round``): (new
    positions, exponents)."""
    cdef int64_t n = xs.shape[0], k, a
    cdef double den = 0.0, denominator = 0.0, d, half, rk, wk, v, lo, scale
    lo_o, scale_o, first_a, value_a, mixed_a = make_grid(xs, cells)
    lo = lo_o
    scale = scale_o
    table_a = np.empty((n, n), np.int16)
    cdef int16_t[:, ::1] table = table_a
    cdef const int64_t[::1] first = first_a
    cdef const double[::1] value = value_a
    cdef const unsigned char[::1] mixed = mixed_a.view(np.uint8)
    coef_a = 2.0 * (2.0 * np.arange(n) - n + 1.0)
    cdef const double[::1] coef = coef_a
    scratch_a = np.zeros(4 * n)
    cdef double[::1] scratch = scratch_a  # pd, dsum, d, U
    W_a = np.zeros(n + 1)
    X2_a = np.zeros(n + 1)
    cdef double[::1] W = W_a, X2 = X2_a
    with nogil:
        for k in range(n):
            _grid_row(&xs[0], n, k, lo, scale, &first[0], &value[0], &mixed[0], &table[k, 0])
        if risk_scholz:
            for k in range(n):
                W[k + 1] = W[k] + ws[k] / R
                X2[k + 1] = X2[k] + ws[k] * xs[k] * (2.0 / R)
            _risk_terms(&xs[0], &ws[0], n, &W[0], &X2[0], R, same, global_form, &coef[0], &table[0, 0],
                        &scratch[0], &scratch[n], &scratch[2 * n], &den)
    if risk_scholz:
        pd = scratch_a[:n]
        dsum = scratch_a[n:2 * n]
        if global_form:
            pd = pd / den if den > 0 else np.zeros(n)
        rs_a = np.ascontiguousarray(exponents(4.0 * np.asarray(ss) * (pd - dsum) + 2.0 * dsum))
    else:
        rs_a = np.ones(n)
    cdef const double[::1] rs = rs_a
    WU_a = np.zeros((n + 1, n))
    T_a = np.zeros(n)
    LO_a = np.empty((n, n))
    HI_a = np.empty((n, n))
    cdef double[:, ::1] WU = WU_a, LO = LO_a, HI = HI_a
    cdef double[::1] T = T_a
    cdef double[::1] U = scratch_a[3 * n:]
    with nogil:
        for k in range(n):
            rk = rs[k]
            wk = ws[k]
            for a in range(n):
                d = fabs(xs[k] - xs[a]) / R
                U[a] = pow(d, rk)
                half = 0.5 * d
                LO[k, a] = pow(_max(0.5 - half, 0.0), rk)
                HI[k, a] = pow(half + 0.5, rk)
            if global_form:
                denominator += wk * _merged_coef_sum(&U[0], n, k, &coef[0])
            for a in range(n):
                v = U[a] * wk
                T[a] += v
                WU[k + 1, a] = v
        for k in range(n):
            for a in range(n):
                WU[k + 1, a] += WU[k, a]
    dev = np.abs(np.asarray(xs) - median) / R
    sq = q * (2.0 - 4.0 * 0.5 ** rs_a)
    new_s = np.empty(n)
    partner_s = np.empty(n, np.int64)
    row_blocks(0, xs, ws, ss, rs_a, R, same, global_form, denominator, q, t, dev, sq, scholz, table_a, True, WU_a,
               np.ascontiguousarray(WU_a.T), LO_a, HI_a, T_a, np.zeros((1, n)), np.zeros(1),
               np.zeros((1, 1), np.int64), max(n, 1), new_s, partner_s, 0, 1 if n else 0)
    return new_s, rs_a


def batch_round(x, w, s, R, median, double q, double t, bint global_form, bint risk_scholz, bint scholz,
                int64_t cells):
    """One synchronous round for every draw (rows of x, w, s; R, median per draw), each draw sorted
    by position (stably) and put back: the new positions (B, n) (``_bdm_jit.batch_round``)."""
    B, n = x.shape
    out = np.empty_like(x)
    for b in range(B):
        order = np.argsort(x[b], kind="mergesort")
        xs = np.ascontiguousarray(x[b][order])
        ws = np.ascontiguousarray(w[b][order])
        ss = np.ascontiguousarray(s[b][order])
        same = 1e-9 * max(1.0, R[b])
        new_s, _ = full_round(xs, ws, ss, R[b], median[b], q, t, same, global_form, risk_scholz, scholz, cells)
        out[b, order] = new_s
    return out


def ordered_sum(const double[::1] v):
    """Σ v in index order (the order of the former numba kernel's loop over the voters' parts)."""
    cdef double total = 0.0
    cdef Py_ssize_t k
    for k in range(v.shape[0]):
        total += v[k]
    return total
