"""Stokman's exchange model (equal-gain variant), deterministic and indexed.

Stokman, F. N. & Van Oosten, R. (1994) "The exchange of voting positions: an object-oriented
model of policy networks", in Bueno de Mesquita & Stokman (eds.), *European Community
Decision Making*, Yale UP; the equal-gain rule as implemented by Decide
(`decide-exchange-model`), restated step by step in
``shared/reference/decide-exchange-model.md`` section 5.2, which this module follows.

Per round, on a 0-100 internal scale (x' = 100 (x − lo) / (hi − lo)):

1. Outcome O_d = Σ c s x / Σ c s; an actor is *left* on d if x <= O_d, else *right*.
2. Candidates: for every issue pair (p, q) in file order and every actor pair present on both,
   opposite sides on both issues.
3. Roles: the actor with the larger salience ratio s_p / s_q (I) demands p and supplies q; the
   other (J) demands q and supplies p (equal ratios: the right/right or left/right actor is I).
4. Gains: J's move m_J on p shifts the outcome by Δ_p = c_J s_Jp m_J / S_p; I's move on q by
   Δ_q = c_I s_Iq m_I / S_q. Equal gain sets Δ_q = Δ_p (s_Ip + s_Jp) / (s_Iq + s_Jq) and the
   common gain G = Δ_p (s_Ip s_Jq − s_Iq s_Jp) / (s_Iq + s_Jq). J first moves all the way to
   I's position; if that would carry I past J's position on q, I moves all the way instead.
5. Outcome cap: if the demander's position lies between the outcome before and after the
   supplier's move, the move stops where the outcome reaches the demander's position and the
   partner's move is re-derived. The outcome before counts the supplier at its current voting
   position and every other supplier that has moved towards the same demander on that issue
   this round at its voting position after its first such move (Decide's per-exchange
   "updates"; a partial update: other moves on the issue count only at the end of the round).
6. Validity: moves in (1e-10, 100], voting positions in [0, 100], G >= 1e-10, a supplier's
   moves on an issue keep one direction and add up to at most 100. A candidate that is or
   turns invalid is dropped for the round.
7. Greedy realisation: the candidate with the largest gain is realised; the candidates that
   share a supplier and its supply issue, or a demander and its demand issue, with it are
   recomputed (from the supplier's new voting position, or the demander's updated outcome).
   **Ties** in gain (within 1e-12 relative) go to the candidate created first (issue pair in
   file order, then actor pair in file order), or, with ``ties="random"``, to a uniformly
   drawn one from the seeded generator.
   **Bookkeeping.** The default is Decide 2025.3.1 with two bugs fixed: a supplier's move
   history is kept as realised (Decide checks a stale move instead, and so rejects valid
   candidates; study section 5.4), and a capped move is sized from the supplier's current
   position (Decide sizes it from the supplier's first position towards that demander, so the
   outcome overshoots the demander's position). ``bookkeeping="decide"`` reproduces Decide
   2025.3.1 for comparison: each candidate half checks its own move list (which keeps its
   stale earlier move when its supplier trades, and loses the realised one) by signed sum
   <= 100 and one sign, caps are sized as Decide sizes them, and externalities use Decide's
   outcome after the q cap but before the p cap. Both are checked exchange by exchange against
   Decide in ``tests/test_exchange.py``.
8. REX (``p`` > 0; Dijkstra, Van Assen, Stokman & Draaijer 2018): each realised exchange's gain
   is split at random around equal gain (:func:`rex_split`); ``repetitions`` runs are
   summarised by their mean (the forecast) and quantiles per issue.
9. End of round: the voting outcome is the outcome of the voting positions; the preferences of
   supplied actor-issues move towards their voting positions, x ← x + w (y − x) with
   w = ``fixed_weight`` + ``salience_weight`` (1 − s) (0.1 and 0.4 by default).

Candidates are arrays indexed by (actor, issue): a realised exchange recomputes, vectorised,
only the candidates it affects, and the next one is an argmax; nothing is re-sorted. What does
not change between rounds (the actor pairs present on each issue pair and their constants in
both orientations: :class:`Pairs`) is computed once per run, and a round selects from it.
With the ``fast`` extra (numba) the default round (``bookkeeping="realised"``, no REX) is
compiled, :func:`_kernel`: its candidates (:func:`_table`), greedy loop (:func:`_greedy`) and
externalities (:func:`_effects`), the numpy path's arithmetic in its order (the same bytes).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from typing import Any, NamedTuple

import numpy as np

from tertius.errors import PARAMS, InputError, require
from tertius.forecast import Column, Forecast, Line, utilities
from tertius.models.registry import actors_per_issue, linear_cost, register
from tertius.scenario import Scenario

EPS = 1e-10
#: an actor's externality totals over a round: own gains as a trader; inner and outer, positive
#: and negative effects of others' exchanges (Decide's externality report)
EXTERNALITY_KEYS = ("own", "inner_positive", "inner_negative", "outer_positive", "outer_negative")
#: How many third-actor effects a run lists exchange by exchange in ``details`` (as Python dicts,
#: about 70 bytes each): the rounds in order while their effects add up to at most this many. A
#: later round gives each exchange the sum over its third actors instead (at 600 actors and 3
#: issues a round has about a million effects); the totals per actor and round are always complete.
MAP_ENTRIES = 1_000_000
#: Loading numba and the cached compiled loop costs a process about 0.6 s of CPU and 120 MiB, which
#: the loop pays back from about this many candidate rows x rounds (Copenhagen's 10 rounds are
#: 3,300 and save about 12 ms); below it, the compiled loop runs only where numba is already loaded
#: (a warm process: the web page, a notebook, a sweep worker, a benchmark), else the numpy loop.
COMPILE_FROM = 200_000
#: Gains within this relative distance count as equal (a tie), so that rounding in the last
#: bit cannot decide between candidates whose gains are equal in exact arithmetic.
TIE = 1e-12
DEFAULTS: dict[str, Any] = {"rounds": 10, "fixed_weight": 0.1, "salience_weight": 0.4, "ties": "first",
                            "p": 0.0, "repetitions": 1, "bookkeeping": "realised"}


class Pairs:
    """What does not change between rounds: every actor pair present on every issue pair
    (issue pairs p < q in file order, then actor pairs in file order) in both orientations, row
    r with the pair's first actor as I and row r + T with its second actor as I, and the
    constants of a row (:meth:`constants`). A round only picks the rows whose actors are on
    opposite sides (:meth:`select`)."""

    def __init__(self, s: np.ndarray, c: np.ndarray, S: np.ndarray, present: np.ndarray) -> None:
        n, m = s.shape
        P, Q = np.triu_indices(m, 1)
        A, B = np.triu_indices(n, 1)
        P, Q = np.repeat(P, A.size), np.repeat(Q, A.size)
        A, B = np.tile(A, m * (m - 1) // 2), np.tile(B, m * (m - 1) // 2)
        keep = present[A, P] & present[A, Q] & present[B, P] & present[B, Q]
        # the flat state's indices (see CandidateTable) fit 32 bits up to about 1,000 actors on
        # 1,000 issues
        idx = np.int32 if 2 * n * m + n * n * m < 2**31 else np.int64
        T = self.size = int(keep.sum())
        #: I, J, P, Q (rows) of every candidate (columns): r < T with the pair's first actor as I
        self.ijpq = np.empty((4, 2 * T), dtype=idx)
        for row, (first, second) in enumerate(((A, B), (B, A), (P, P), (Q, Q))):
            self.ijpq[row, :T], self.ijpq[row, T:] = first[keep], second[keep]
        self.A, self.B, self.P, self.Q = A, B, P, Q = tuple(self.ijpq[:, :T])
        with np.errstate(divide="ignore", invalid="ignore"):
            ra = np.where(s[A, Q] > 0, s[A, P] / s[A, Q], np.inf)
            rb = np.where(s[B, Q] > 0, s[B, P] / s[B, Q], np.inf)
        self.tied, self.a_larger = ra == rb, ra > rb
        self.s, self.c, self.S = s, c, S

    def constants(self, rows: np.ndarray) -> np.ndarray:
        """The constants of the candidates ``rows`` (steps 3-4), columns wj, wi, the gain factor,
        the smallest valid Δp (moves and gain above 1e-10; infinite if unusable or no gain), k,
        1/k. Computed per round for the round's candidates only (at 600 actors the table for
        every pair would hold 50 MB)."""
        s, c, S = self.s, self.c, self.S
        I, J, P2, Q2 = self.ijpq[:, rows]
        k = (s[I, P2] + s[J, P2]) / np.where(s[I, Q2] + s[J, Q2] > 0, s[I, Q2] + s[J, Q2], 1.0)
        wj = c[J, P2] * s[J, P2] / S[P2]
        wi = c[I, Q2] * s[I, Q2] / S[Q2]
        usable = (k > 0) & (wj > 0) & (wi > 0) & (s[I, Q2] + s[J, Q2] > 0)
        k, wj, wi = (np.where(usable, v, 1.0) for v in (k, wj, wi))  # no division by zero below
        gain_factor = (s[I, P2] * s[J, Q2] - s[I, Q2] * s[J, P2]) / (s[I, Q2] + s[J, Q2] + ~usable)
        with np.errstate(divide="ignore"):
            lowest = np.maximum(EPS * np.maximum(wj, wi / k), np.where(gain_factor > 0, EPS / gain_factor, np.inf))
        return np.column_stack([wj, wi, gain_factor, np.where(usable, lowest, np.inf), k, 1.0 / k])

    def select(self, x: np.ndarray, O: np.ndarray) -> np.ndarray:
        """The round's candidates (steps 1-3) as rows of the tables: the pairs on opposite sides
        of the outcome on both issues, oriented so that I has the larger salience ratio s_p / s_q
        (equal ratios: the right/right or left/right actor, i.e. the one right of the outcome
        on p)."""
        left = x <= O[None, :]
        A, B, P, Q = self.A, self.B, self.P, self.Q
        lap = left[A, P]
        on = ((lap != left[B, P]) & (left[A, Q] != left[B, Q])).nonzero()[0]
        a_first = np.where(self.tied[on], ~lap[on], self.a_larger[on])
        return on + self.size * ~a_first


class Realised:
    """A round's realised exchanges, in order, as columns: ``records`` (one row per exchange,
    columns ``RECORD``: I demands p and supplies q, J the reverse; the gain; I's move on q and
    J's on p and their start positions; the outcomes on p and q before, after, and on q as
    Decide's externalities see it), and per third actor (``third``: present on both issues, not
    a trader) its ``effect``, s_kp (|O_p − x_kp| − |O_p' − x_kp|) + s_kq (|O_q − x_kq| − |O_q' − x_kq|),
    with O and O' the outcomes before and after (for bookkeeping="decide", Decide's after: the
    q outcome before the p cap), and whether it is in the traders' group pair (``inner``); and
    per exchange the sum of its third actors' effects (``total``). Past ``MAP_ENTRIES``, only the
    records and totals are kept (``third``, ``effect`` and ``inner`` None)."""

    __slots__ = ("records", "third", "effect", "inner", "total")

    def __init__(self, records: np.ndarray, third: np.ndarray | None, effect: np.ndarray | None,
                 inner: np.ndarray | None, total: np.ndarray) -> None:
        self.records, self.third, self.effect, self.inner, self.total = records, third, effect, inner, total

    def __len__(self) -> int:
        return len(self.records)


#: the columns of ``Realised.records``
RECORD = ("i", "j", "p", "q", "gain", "move_i", "move_j", "start_i", "start_j", "before_p", "before_q", "after_p",
          "seen_q", "after_q")


class CandidateTable:
    """All candidates of a round as arrays: I demands p and supplies q, J the reverse."""

    def __init__(self, pairs: Pairs, rows: np.ndarray, O: np.ndarray, x: np.ndarray, decide: bool = False) -> None:
        n, m = x.shape
        nm = n * m
        self.ijpq = pairs.ijpq[:, rows]
        self.I, self.J, self.P, self.Q = I, J, P, Q = self.ijpq
        fl = pairs.constants(rows)
        # flat state indices (see run_round): voting positions (actor * m + issue), then outcome
        # shifts towards each demander, then each supplier's own part of them, per (supplier,
        # demander, issue)
        self.jp, self.iq, self.ip, self.jq = J * m + P, I * m + Q, I * m + P, J * m + Q
        #: per candidate, the flat state indices compute_many reads: the suppliers' voting
        #: positions (J on p, I on q), the demanders' outcome shifts (I on p, J on q) and each
        #: supplier's own part of its demander's
        self.gather = np.empty((len(rows), 6), dtype=self.ijpq.dtype)
        for col, v in enumerate((self.jp, self.iq, nm + self.ip, nm + self.jq, 2 * nm + (J * n + I) * m + P,
                                 2 * nm + (I * n + J) * m + Q)):
            self.gather[:, col] = v
        wj, wi = fl[:, 0], fl[:, 1]
        self.wj, self.wi, self.k = wj, wi, fl[:, 4]
        self.x_ip, self.x_jq = x[I, P], x[J, Q]
        n = len(rows)
        self.gain = np.full(n, -np.inf)
        self.dp = np.zeros(n)  # J's outcome shift on p, unsigned (I's on q is k times it)
        # bookkeeping="decide" only (else empty): the q shift Decide's externalities use, and each
        # half's own move list as (sum and signs of all but the last element, the last element),
        # to emulate Decide 2025.3.1 (see run_round)
        nd = n if decide else 0
        self.seen_q = np.zeros(nd)
        self.rest_sum = np.zeros((nd, 2))
        self.rest_pos = np.zeros((nd, 2), dtype=bool)
        self.rest_neg = np.zeros((nd, 2), dtype=bool)
        self.last = np.zeros((nd, 2))
        self.decide = decide
        # per candidate, in pairs (the p side: J's move; the q side: I's move): the shift per
        # unit of move, the partner's position, the outcome less the supplier's start shift,
        # and the supplier's start; then the gain factor, the smallest valid Δp (moves and gain
        # above 1e-10; infinite if unusable or no gain), k, 1/k and the round's outcomes
        self.const = np.column_stack([wj, wi, self.x_ip, self.x_jq, O[P] - wj * x[J, P], O[Q] - wi * x[I, Q],
                                      x[J, P], x[I, Q], fl[:, 2:6], O[P], O[Q]])


def compute_many(t: CandidateTable, idx: np.ndarray, F: np.ndarray) -> None:
    """Outcome shift and gain of the candidates ``idx`` (steps 4-7 of the module docstring);
    invalid ones get gain −inf.

    ``F`` is the round's flat state: per actor-issue (actor * m + issue) its voting position,
    then per actor-issue (as a demander) the outcome shift of the moves realised towards it,
    then the part of that shift due to each supplier, per (supplier, demander, issue). The
    outcome before a supplier's move counts the supplier at its current voting position and the
    other suppliers towards the same demander (step 5). Both sides (J's move on p, I's on q) are
    computed as the two columns of one array."""
    rows = t.const[idx]
    w, target, base, x0 = rows[:, 0:2], rows[:, 2:4], rows[:, 4:6], rows[:, 6:8]
    g = F[t.gather[idx]]  # (candidates, [J on p, I on q, toward I on p, toward J on q, own p, own q])
    start, ow = g[:, 0:2], g[:, 4:6]
    to = target - start  # each supplier moves towards its partner's position
    before = base + g[:, 2:4] - ow + w * start  # (run_round computes it again for the realised one)
    gap = target - before
    if not t.decide:
        # J moves all the way, or I does; and neither outcome passes the demander's position
        # (a gap in the direction of the move caps the shift): the smallest bound wins. An
        # outcome within 1e-10 of the demander's position counts as on it (no cap), as in exact
        # arithmetic, so that rounding cannot decide (it would depend on the order of actors).
        # With d the sign of the move, |to| = d to and a gap in its direction is d gap > 0.
        d = np.sign(to)
        bound = w * (d * to)
        ahead = d * gap
        np.minimum(bound, ahead, out=bound, where=ahead > EPS)
        # the supplier's realised moves on the issue keep one direction: it moves on from its
        # start the way it has moved so far (a move the other way has no bound: invalid). Their
        # sum, |y − x0|, cannot exceed 100.
        np.copyto(bound, -np.inf, where=(start - x0) * to < 0)
        dp = np.minimum(bound[:, 0], bound[:, 1] * rows[:, 11])
        ok = dp > rows[:, 9]
    else:
        k, inv_k = rows[:, 10], rows[:, 11]
        dp, seen_q = _decide_shifts(k, inv_k, w, to, gap, rows[:, 12:14] + g[:, 2:4] - target, ow != 0)
        t.seen_q[idx] = seen_q
        # Decide's is_move_valid on each half's own list: signed sum <= 100, one sign throughout,
        # the move within (0, 100] and the voting position within [0, 100]
        ok = np.ones(len(idx), dtype=bool)
        for h, col, shift in ((0, 1, dp * k), (1, 0, dp)):
            move = np.sign(to[:, col]) * shift / w[:, col]
            total = t.rest_sum[idx, h] + move
            pos = t.rest_pos[idx, h] | (move > 0)
            neg = t.rest_neg[idx, h] | (move < 0)
            y = start[:, col] + move
            ok &= (total <= 100 + EPS) & (pos ^ neg) & (np.abs(move) <= 100 + EPS) & (y >= -EPS) & (y <= 100 + EPS)
            t.last[idx, h] = move
        ok &= dp > rows[:, 9]
    t.gain[idx] = np.where(ok, dp * rows[:, 8], -np.inf)
    t.dp[idx] = dp


def _decide_shifts(k, inv_k, w, to, gap, updated_gap, has_entry) -> tuple[np.ndarray, np.ndarray]:
    """J's outcome shift on p as Decide 2025.3.1 computes it (bookkeeping="decide"): the caps
    are checked on q, then on p, and a capped move is sized from the outcome with the supplier
    at its first position towards this demander (its entry in the exchange's updates) if it
    has one (``updated_gap``: that outcome less the partner's position). Also returns the q
    shift before the p cap, from which Decide's externalities follow."""
    full = w * np.abs(to)
    dp = np.minimum(full[:, 0], full[:, 1] * inv_k)
    size = np.where(has_entry, np.abs(updated_gap), np.abs(gap))
    capped = (gap[:, 1] * to[:, 1] > 0) & (np.abs(gap[:, 1]) > EPS) & (dp * k > np.abs(gap[:, 1]))
    dp = np.where(capped, size[:, 1] * inv_k, dp)
    seen_q = dp * k
    capped = (gap[:, 0] * to[:, 0] > 0) & (np.abs(gap[:, 0]) > EPS) & (dp > np.abs(gap[:, 0]))
    return np.where(capped, size[:, 0], dp), seen_q


def rex_split(t: CandidateTable, e: int, s: np.ndarray, rng: np.random.Generator, p_rex: float,
              F: np.ndarray, before: tuple[float, float]) -> tuple[float, float]:
    """Randomised equal gain (REX; Dijkstra, Van Assen, Stokman & Draaijer 2018): redraw how
    the gain of exchange ``e`` is split. u picks the randomised actor A (I if u < 0.5, else J);
    if v < 0.5 A wins, g_A = G + p z (g_A,max − G), else A loses, g_A = G − p z G, where
    g_A,max is A's gain when the partner's gain is driven to 0. A's partner's move is re-derived
    to give A exactly g_A, within the partner's position and outcome caps (``F``: the round's
    flat state, voting positions first, see compute_many; ``before``: the outcomes on p and q
    before the exchange). Returns the new unsigned outcome shifts (on p, on q)."""
    u, v, z = rng.random(3)
    i, j, pp, q = t.I[e], t.J[e], t.P[e], t.Q[e]
    G = t.gain[e]
    dp = float(t.dp[e])
    dq = dp * float(t.k[e])
    sip, siq, sjp, sjq = s[i, pp], s[i, q], s[j, pp], s[j, q]
    if u < 0.5:  # A = I: I's own concession Δq sets the split
        dq_min = sjp * dp / sjq  # J's gain 0
        g_max = sip * dp - siq * dq_min
        g = G + p_rex * z * (g_max - G) if v < 0.5 else G - p_rex * z * G
        bound = min(t.wi[e] * abs(t.x_jq[e] - F[t.iq[e]]), abs(t.x_jq[e] - before[1]))
        dq = float(np.clip((sip * dp - g) / siq, min(dq_min, bound), bound))
    else:  # A = J: J's own concession Δp sets the split
        dp_min = siq * dq / sip  # I's gain 0
        g_max = sjq * dq - sjp * dp_min
        g = G + p_rex * z * (g_max - G) if v < 0.5 else G - p_rex * z * G
        bound = min(t.wj[e] * abs(t.x_ip[e] - F[t.jp[e]]), abs(t.x_ip[e] - before[0]))
        dp = float(np.clip((sjq * dq - g) / sjp, min(dp_min, bound), bound))
    return dp, dq


def _greedy(const: np.ndarray, gather: np.ndarray, ijpq: np.ndarray, tiebreak: np.ndarray, F: np.ndarray,
            x_flat: np.ndarray, weight: np.ndarray, supply: np.ndarray, s_at: np.ndarray, demand: np.ndarray,
            d_at: np.ndarray, n: int, m: int, gain: np.ndarray, dpa: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """run_round's greedy realisation (bookkeeping="realised", no REX) as one scalar loop,
    compiled by numba where it is installed (:func:`_kernel`): the operations of
    :func:`compute_many` and of run_round's loop in the same order, so the same bytes (checked
    in tests/test_exchange.py). ``const``, ``gather`` and ``ijpq`` (I, J, P, Q as rows) are the
    CandidateTable's, ``supply``/``demand`` and ``s_at``/``d_at`` the :func:`_index` orders
    and run starts; ``gain``, ``dpa`` (the shifts Δp), ``F`` (the flat state) and ``moved`` are
    updated in place. Returns the records (columns ``RECORD``)."""
    nm = n * m
    n_c = gain.shape[0]
    entry = np.full(n * nm, np.nan)  # each supplier's first voting position towards a demander
    records = np.empty((min(n_c, 64), len(RECORD)))
    count = 0
    todo = np.arange(max(4 * n_c, 1))  # the candidates to (re)compute: at first all of them
    n_todo = n_c
    # a max tree over the gains (leaf L + c is candidate c): the argmax and the tied candidates
    # are found from the root without scanning every candidate after every exchange
    L, depth = 1, 1
    while L < n_c:
        L, depth = 2 * L, depth + 1
    tree = np.full(2 * L, -np.inf)
    stack = np.empty(2 * depth + 2, dtype=np.int64)
    built, e = False, -1
    while True:
        for t in range(n_todo):  # compute_many, one candidate at a time
            c = todo[t]
            dp = np.inf
            for h in range(2):  # h = 0: J's move on p; h = 1: I's move on q
                w, target, x0 = const[c, h], const[c, 2 + h], const[c, 6 + h]
                start, ow = F[gather[c, h]], F[gather[c, 4 + h]]
                to = target - start
                gap = target - (const[c, 4 + h] + F[gather[c, 2 + h]] - ow + w * start)
                d = 1.0 if to > 0 else (-1.0 if to < 0 else 0.0)
                bound = w * (d * to)
                ahead = d * gap
                if ahead > EPS and ahead < bound:
                    bound = ahead
                if (start - x0) * to < 0:
                    bound = -np.inf
                if h == 0:
                    dp = bound
                elif bound * const[c, 11] < dp:
                    dp = bound * const[c, 11]
            gain[c] = dp * const[c, 8] if dp > const[c, 9] else -np.inf
            dpa[c] = dp
        for t in range(n_todo + 1 if built else 0):  # the tree above the changed gains
            node = L + (todo[t] if t < n_todo else e)  # (e: the last realised exchange)
            tree[node] = gain[node - L]
            node //= 2
            while node:
                top = max(tree[2 * node], tree[2 * node + 1])
                if tree[node] == top:
                    break
                tree[node] = top
                node //= 2
        if not built:
            tree[L:L + n_c] = gain
            for node in range(L - 1, 0, -1):
                tree[node] = max(tree[2 * node], tree[2 * node + 1])
            built = True
        best = tree[1]  # the largest gain
        if best == -np.inf:
            break
        # a tie goes to the smallest tiebreak among the gains >= floor, the first of those
        floor = best - TIE * abs(best)
        e, n_stack = -1, 1
        stack[0] = 1
        while n_stack:
            n_stack -= 1
            node = stack[n_stack]
            if tree[node] < floor:
                continue
            if node >= L:
                c = node - L
                if e < 0 or tiebreak[c] < tiebreak[e] or (tiebreak[c] == tiebreak[e] and c < e):
                    e = c
            else:
                stack[n_stack], stack[n_stack + 1] = 2 * node + 1, 2 * node
                n_stack += 2
        i, j, p, q = ijpq[0, e], ijpq[1, e], ijpq[2, e], ijpq[3, e]
        jp, iq, ip, jq = j * m + p, i * m + q, i * m + p, j * m + q
        vj, vi, wj, wi = F[jp], F[iq], const[e, 0], const[e, 1]
        bp = const[e, 4] + F[nm + ip] - F[2 * nm + (j * n + i) * m + p] + wj * vj
        bq = const[e, 5] + F[nm + jq] - F[2 * nm + (i * n + j) * m + q] + wi * vi
        dp = dpa[e]
        dq = dp * const[e, 10]
        sp = dp if const[e, 2] > vj else -dp
        sq = dq if const[e, 3] > vi else -dq
        if count == records.shape[0]:
            grown = np.empty((2 * count, len(RECORD)))
            grown[:count] = records
            records = grown
        row = records[count]
        row[0], row[1], row[2], row[3], row[4], row[5], row[6] = i, j, p, q, best, sq / wi, sp / wj
        row[7], row[8], row[9], row[10], row[11], row[12], row[13] = vi, vj, bp, bq, bp + sp, bq + sq, bq + sq
        count += 1
        for h in range(2):
            a, d, move, demander = (j, p, sp / wj, i) if h == 0 else (i, q, sq / wi, j)
            ad = a * m + d
            y = F[ad] + move
            F[ad] = y
            moved[ad] += abs(move)
            key = (a * n + demander) * m + d
            old = entry[key]
            if not np.isnan(old):
                if x_flat[ad] <= old:
                    y = y if y < old else old
                else:
                    y = y if y > old else old
            entry[key] = y
            shift = weight[ad] * (y - x_flat[ad]) - F[2 * nm + key]
            F[nm + demander * m + d] += shift
            F[2 * nm + key] += shift
        gain[e] = -np.inf
        n_todo = 0
        for r_key in range(4):  # the candidates that share a supplier-issue or demander-issue
            order, at = (supply, s_at) if r_key < 2 else (demand, d_at)
            key = (jp, iq, ip, jq)[r_key]
            for r in range(at[key], at[key + 1]):
                if gain[order[r]] > -np.inf:
                    todo[n_todo] = order[r]
                    n_todo += 1
    return records[:count]


def _table(x: np.ndarray, O: np.ndarray, A: np.ndarray, B: np.ndarray, P: np.ndarray, Q: np.ndarray,
           tied: np.ndarray, a_larger: np.ndarray, s: np.ndarray, c: np.ndarray, S: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A round's candidates for the compiled loop (:func:`_kernel`) in one pass over the pairs:
    what :meth:`Pairs.select`, :meth:`Pairs.constants`, :class:`CandidateTable` (``ijpq``, the
    first 12 columns of ``const``, ``gather``) and the two :func:`_index` calls compute, with the
    same arithmetic in the same order (the same doubles; checked in tests/test_exchange.py), each
    output written once. ``A``-``Q``, ``tied`` and ``a_larger`` are the :class:`Pairs` rows.
    Returns ijpq, const, gather and the candidates by supplier-issue and by demander-issue with
    their run starts (the order of a stable sort of the keys, as :func:`_index` returns it)."""
    n, m = x.shape
    nm = n * m
    T = A.shape[0]
    left = np.empty((n, m), dtype=np.bool_)
    for a in range(n):
        for p in range(m):
            left[a, p] = x[a, p] <= O[p]
    chosen = np.empty(T, dtype=np.int64)
    count = 0
    for r in range(T):  # Pairs.select: opposite sides of the outcome on both issues
        a, b, p, q = A[r], B[r], P[r], Q[r]
        chosen[count] = r
        count += (left[a, p] != left[b, p]) & (left[a, q] != left[b, q])
    ijpq = np.empty((4, count), dtype=A.dtype)
    const = np.empty((count, 12))
    gather = np.empty((count, 6), dtype=A.dtype)
    s_at = np.zeros(nm + 1, dtype=np.intp)
    d_at = np.zeros(nm + 1, dtype=np.intp)
    for e in range(count):
        r = chosen[e]
        a, b, p, q = A[r], B[r], P[r], Q[r]
        a_first = (not left[a, p]) if tied[r] else a_larger[r]
        i, j = (a, b) if a_first else (b, a)
        ijpq[0, e], ijpq[1, e], ijpq[2, e], ijpq[3, e] = i, j, p, q
        # Pairs.constants
        den = s[i, q] + s[j, q]
        k = (s[i, p] + s[j, p]) / (den if den > 0 else 1.0)
        wj = c[j, p] * s[j, p] / S[p]
        wi = c[i, q] * s[i, q] / S[q]
        usable = k > 0 and wj > 0 and wi > 0 and den > 0
        if not usable:
            k, wj, wi = 1.0, 1.0, 1.0
        gain_factor = (s[i, p] * s[j, q] - s[i, q] * s[j, p]) / (den + (0.0 if usable else 1.0))
        # np.maximum(a, b) twice: a if a >= b or a is NaN, else b
        lowest = wi / k
        lowest = EPS * (wj if wj >= lowest or wj != wj else lowest)
        bound = EPS / gain_factor if gain_factor > 0 else np.inf
        lowest = lowest if lowest >= bound or lowest != lowest else bound
        row = const[e]
        row[0], row[1], row[2], row[3] = wj, wi, x[i, p], x[j, q]
        row[4], row[5], row[6], row[7] = O[p] - wj * x[j, p], O[q] - wi * x[i, q], x[j, p], x[i, q]
        row[8], row[9], row[10], row[11] = gain_factor, lowest if usable else np.inf, k, 1.0 / k
        # CandidateTable.gather and the keys of the two indices
        jp, iq, ip, jq = j * m + p, i * m + q, i * m + p, j * m + q
        g = gather[e]
        g[0], g[1], g[2], g[3], g[4], g[5] = jp, iq, nm + ip, nm + jq, 2 * nm + (j * n + i) * m + p, \
            2 * nm + (i * n + j) * m + q
        s_at[jp + 1] += 1
        s_at[iq + 1] += 1
        d_at[ip + 1] += 1
        d_at[jq + 1] += 1
    supply = np.empty(2 * count, dtype=A.dtype)
    demand = np.empty(2 * count, dtype=A.dtype)
    for key in range(nm):  # run starts, then each run in the order of [first keys, second keys]
        s_at[key + 1] += s_at[key]
        d_at[key + 1] += d_at[key]
    s_next, d_next = s_at[:nm].copy(), d_at[:nm].copy()
    for half in range(2):
        for e in range(count):
            key = gather[e, half]  # J on p, then I on q
            supply[s_next[key]] = e
            s_next[key] += 1
            key = gather[e, 2 + half] - nm  # I on p, then J on q
            demand[d_next[key]] = e
            d_next[key] += 1
    return ijpq, const, gather, supply, s_at, demand, d_at


def _effects(rec: np.ndarray, x: np.ndarray, s: np.ndarray, O: np.ndarray, present: np.ndarray, maps: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_with_externalities`'s arrays for the compiled round (:func:`_kernel`), exchange by
    exchange in one pass over the actors, with its arithmetic in its order: each third actor's
    effect, its class added to that class's running total (numpy's sum over axis 0 adds the
    rows one after another), and each exchange's total over its third actors (numpy's sum over
    a row: 0.0 plus its pairwise sum, blocks of 128 with 8 accumulators, halves cut at a
    multiple of 8). Returns the totals per class and actor (inner positive, inner negative,
    outer positive, outer negative), per exchange, and (with ``maps``, else with no rows) the
    third actors, effects and inner flags of every exchange and actor."""
    n_x = rec.shape[0]
    n = x.shape[0]
    effects = np.zeros((4, n))
    total = np.empty(n_x)
    rows = n_x if maps else 0
    third = np.zeros((rows, n), dtype=np.bool_)
    ext = np.zeros((rows, n))
    inner = np.zeros((rows, n), dtype=np.bool_)
    value = np.empty(n)  # an exchange's effects on its third actors, 0 elsewhere
    seg_lo, seg_n, seg_state = np.empty(64, np.int64), np.empty(64, np.int64), np.empty(64, np.int64)
    partial = np.empty(64)
    for e in range(n_x):
        i, j, p, q = int(rec[e, 0]), int(rec[e, 1]), int(rec[e, 2]), int(rec[e, 3])
        bp, bq, ap, aq = rec[e, 9], rec[e, 10], rec[e, 11], rec[e, 12]
        side_i = (2 if x[i, p] > O[p] else 0) + (1 if x[i, q] > O[q] else 0)  # group codes (A-D)
        side_j = (2 if x[j, p] > O[p] else 0) + (1 if x[j, q] > O[q] else 0)
        for a in range(n):
            xp, xq = x[a, p], x[a, q]
            v = s[a, p] * (abs(bp - xp) - abs(ap - xp)) + s[a, q] * (abs(bq - xq) - abs(aq - xq))
            is_third = present[a, p] and present[a, q] and a != i and a != j
            side = (2 if xp > O[p] else 0) + (1 if xq > O[q] else 0)
            is_inner = side == side_i or side == side_j
            value[a] = 0.0
            if is_third:  # (the other classes' totals add 0.0: a running total is never -0.0)
                effects[(0 if is_inner else 2) + (1 if v <= 0 else 0), a] += v
                value[a] = v
            if maps:
                third[e, a], ext[e, a], inner[e, a] = is_third, v, is_inner
        # 0.0 + numpy's pairwise sum of value, its recursion as a stack of segments
        top, n_part = 0, 0
        seg_lo[0], seg_n[0], seg_state[0] = 0, n, 0
        while top >= 0:
            lo, size = seg_lo[top], seg_n[top]
            half = size // 2 - (size // 2) % 8
            if size < 8:
                res = 0.0
                for t in range(lo, lo + size):
                    res += value[t]
            elif size <= 128:
                r0, r1, r2, r3 = value[lo], value[lo + 1], value[lo + 2], value[lo + 3]
                r4, r5, r6, r7 = value[lo + 4], value[lo + 5], value[lo + 6], value[lo + 7]
                t = lo + 8
                while t < lo + size - size % 8:
                    r0, r1, r2, r3 = r0 + value[t], r1 + value[t + 1], r2 + value[t + 2], r3 + value[t + 3]
                    r4, r5, r6, r7 = r4 + value[t + 4], r5 + value[t + 5], r6 + value[t + 6], r7 + value[t + 7]
                    t += 8
                res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
                while t < lo + size:
                    res += value[t]
                    t += 1
            elif seg_state[top] < 2:  # push the left half, then the right one
                seg_state[top] += 1
                first = seg_state[top] == 1
                seg_lo[top + 1] = lo if first else lo + half
                seg_n[top + 1] = half if first else size - half
                seg_state[top + 1] = 0
                top += 1
                continue
            else:  # both halves done: left + right
                n_part -= 1
                partial[n_part - 1] = partial[n_part - 1] + partial[n_part]
                top -= 1
                continue
            partial[n_part] = res
            n_part += 1
            top -= 1
        total[e] = 0.0 + partial[0] if n_part else 0.0
    return effects, total, third, ext, inner


class Kernel(NamedTuple):
    """The compiled round (:func:`_kernel`): the candidates (:func:`_table`), then the greedy
    loop (:func:`_greedy`)."""

    table: Any
    greedy: Any
    effects: Any


def warm() -> bool:
    """Load the compiled loop now, as a long-running process would (the web page, a notebook, a
    benchmark): every later run takes it (``COMPILE_FROM``). False where numba is not installed."""
    return _kernel() is not None


@functools.cache
def _kernel() -> Kernel | None:
    """:func:`_table` and :func:`_greedy` compiled by numba (the ``fast`` extra), or None where
    numba is not installed (run_round then takes the numpy path, the one the tests compare it
    with)."""
    if importlib.util.find_spec("numba") is None:
        return None
    numba = require("numba", "compile the exchange model's round loop")
    jit = numba.njit(cache=True)  # compiles on the first call, then loads from __pycache__
    return Kernel(jit(_table), jit(_greedy), jit(_effects))


def _compiled_round(kernel: Kernel, O: np.ndarray, pairs: Pairs, x: np.ndarray, weight: list[float],
                    rng: np.random.Generator, ties: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """run_round on the compiled kernel: the candidates, their constants and indices in one
    pass (:func:`_table`), then the greedy loop (:func:`_greedy`); the same results as the
    numpy path, whose steps they repeat."""
    n, m = x.shape
    nm = n * m
    ijpq, const, gather, supply, s_at, demand, d_at = kernel.table(x, O, pairs.A, pairs.B, pairs.P, pairs.Q,
                                                                   pairs.tied, pairs.a_larger, pairs.s, pairs.c,
                                                                   pairs.S)
    n_cands = ijpq.shape[1]
    if not n_cands:
        return np.zeros((0, len(RECORD))), x.copy(), np.zeros_like(x)
    tiebreak = rng.random(n_cands) if ties == "random" else np.arange(n_cands, dtype=float)
    F = np.zeros(2 * nm + n * nm)  # the flat state (see compute_many)
    F[:nm] = x.ravel()
    moved = np.zeros(nm)
    rec = kernel.greedy(const, gather, ijpq, tiebreak, F, x.ravel(), np.asarray(weight), supply, s_at, demand,
                        d_at, n, m, np.empty(n_cands), np.empty(n_cands), moved)
    return rec, F[:nm].reshape(n, m).copy(), moved.reshape(n, m)


def run_round(O: np.ndarray, pairs: Pairs, x: np.ndarray, s: np.ndarray, weight: list[float], present: np.ndarray,
              rng: np.random.Generator, ties: str, p_rex: float = 0.0, bookkeeping: str = "realised",
              compiled: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One round's greedy realisation (steps 4-8 of the module docstring). The candidates are
    arrays: after each exchange the affected candidates are recomputed at once, and the next
    exchange is an argmax. ``weight`` is c s / S per actor-issue, flat. Returns the realised
    exchanges (rows as ``RECORD``), and the voting positions and total move of every
    actor-issue. ``compiled``: :func:`_kernel`'s round, which takes the place of the numpy one
    (with the same results) for bookkeeping="realised" without REX."""
    if compiled is not None and bookkeeping != "decide" and p_rex == 0:
        return _compiled_round(compiled, O, pairs, x, weight, rng, ties)
    n, m = x.shape
    nm = n * m
    x_flat = x.ravel().tolist()
    vote_l, moved_l = list(x_flat), [0.0] * nm
    rows = pairs.select(x, O)
    if not len(rows):
        return np.zeros((0, len(RECORD))), x.copy(), np.zeros_like(x)
    t = CandidateTable(pairs, rows, O, x, bookkeeping == "decide")
    # the flat state compute_many reads (voting positions, outcome shifts towards each demander,
    # each supplier's part of them), kept beside Python lists of the same numbers for the loop
    F = np.zeros(2 * nm + n * nm)
    F[:nm] = x_flat
    toward_l, own_l = [0.0] * nm, [0.0] * (n * nm)
    n_cands = len(rows)
    tiebreak = rng.random(n_cands) if ties == "random" else np.arange(n_cands, dtype=float)
    # the candidates by supplier-issue (J on p, I on q) and by demander-issue (I on p, J on q):
    # ids of the candidates with key k are found[starts[k]:starts[k + 1]], in the order of
    # np.r_[first keys, second keys] (stable)
    (by_supply, s_at), (by_demand, d_at) = _index(np.r_[t.jp, t.iq], nm), _index(np.r_[t.ip, t.jq], nm)
    supply, demand = (by_supply, s_at.tolist()), (by_demand, d_at.tolist())
    compute_many(t, np.arange(n_cands), F)
    # a realised candidate, and one that is (or turns) invalid, has gain −inf and is not
    # recomputed again this round (it is dropped, as in Decide)
    entry: dict[int, float] = {}
    records: list[tuple] = []
    gain = t.gain
    I, J, P, Q = t.I.tolist(), t.J.tolist(), t.P.tolist(), t.Q.tolist()
    k_, wj, wi, x_ip, x_jq = t.k.tolist(), t.wj.tolist(), t.wi.tolist(), t.x_ip.tolist(), t.x_jq.tolist()
    base_p, base_q = t.const[:, 4].tolist(), t.const[:, 5].tolist()
    while True:
        e = int(gain.argmax())
        best = float(gain[e])
        if best == -np.inf:
            break
        tied = (gain >= best - TIE * abs(best)).nonzero()[0]
        if tied.size > 1:
            e = int(tied[np.argmin(tiebreak[tied])])
        i, j, p, q = I[e], J[e], P[e], Q[e]
        jp, iq = j * m + p, i * m + q
        vj, vi = vote_l[jp], vote_l[iq]
        # the outcomes before the exchange (step 5), as compute_many computed them
        bp = base_p[e] + toward_l[i * m + p] - own_l[(j * n + i) * m + p] + wj[e] * vj
        bq = base_q[e] + toward_l[j * m + q] - own_l[(i * n + j) * m + q] + wi[e] * vi
        if p_rex > 0:
            dp, dq = rex_split(t, e, s, rng, p_rex, F, (bp, bq))
        else:
            dp = float(t.dp[e])
            dq = dp * k_[e]
        sp = dp if x_ip[e] > vj else -dp
        sq = dq if x_jq[e] > vi else -dq
        mj, mi = sp / wj[e], sq / wi[e]
        seen = sq if not t.decide or p_rex > 0 else float(np.copysign(t.seen_q[e], sq))
        records.append((i, j, p, q, best, mi, mj, vi, vj, bp, bq, bp + sp, bq + seen, bq + sq))
        for a, d, move, demander in ((j, p, mj, i), (i, q, mi, j)):
            ad = a * m + d
            y = vote_l[ad] + move
            vote_l[ad] = F[ad] = y
            moved_l[ad] += abs(move)  # the realised move (Decide keeps a stale one: study 5.4)
            # the demander's outcome counts the supplier at its voting position after its first
            # move towards it (a later one replaces it only if it lies on the start's side of it)
            key = (a * n + demander) * m + d
            old = entry.get(key)
            if old is not None:
                y = min(old, y) if x_flat[ad] <= old else max(old, y)
            entry[key] = y
            shift = weight[ad] * (y - x_flat[ad]) - own_l[key]
            dd = demander * m + d
            toward_l[dd] = F[nm + dd] = toward_l[dd] + shift
            own_l[key] = F[2 * nm + key] = own_l[key] + shift
        gain[e] = -np.inf
        (by_supply, s_at), (by_demand, d_at), ip, jq = supply, demand, i * m + p, j * m + q
        touched = np.concatenate([by_supply[s_at[jp]:s_at[jp + 1]], by_supply[s_at[iq]:s_at[iq + 1]],
                                  by_demand[d_at[ip]:d_at[ip + 1]], by_demand[d_at[jq]:d_at[jq + 1]]])
        touched = touched[gain[touched] > -np.inf]
        if touched.size:
            if t.decide:
                # a half that shares the realised supplier keeps its stale move and adds the new one;
                # otherwise the last move is replaced
                shared_i = (t.iq[touched] == jp) | (t.iq[touched] == iq)
                shared_j = (t.jp[touched] == jp) | (t.jp[touched] == iq)
                for h, shared in ((0, shared_i), (1, shared_j)):
                    sel = touched[shared]
                    t.rest_sum[sel, h] += t.last[sel, h]
                    t.rest_pos[sel, h] |= t.last[sel, h] > 0
                    t.rest_neg[sel, h] |= t.last[sel, h] < 0
            compute_many(t, touched, F)
    return np.array(records, dtype=float).reshape(-1, len(RECORD)), np.array(vote_l).reshape(n, m), \
        np.array(moved_l).reshape(n, m)


def _index(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidates by key: ``keys`` holds two keys per candidate (its first keys, then its
    second); returns the candidate ids sorted by key (stable) and, per key k < ``size``, where
    its run starts (``starts[k]`` to ``starts[k + 1]``)."""
    order = np.argsort(keys, kind="stable")
    starts = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.bincount(keys, minlength=size), out=starts[1:])
    return order % (keys.size // 2), starts


def _with_externalities(rec: np.ndarray, x: np.ndarray, s: np.ndarray, O: np.ndarray, present: np.ndarray,
                        maps: bool = True, kernel: Kernel | None = None) -> tuple[Realised, np.ndarray]:
    """The round's exchanges with every third actor's externality, and each actor's totals over
    the round (columns as ``EXTERNALITY_KEYS``): its own gains as a trader, and its inner/outer,
    positive/negative externalities as a third actor (the classification of Decide's
    externality reports). Computed for blocks of exchanges (at most 2^16 effects at a time);
    without ``maps`` only the records and each exchange's total are kept. ``kernel``: the
    compiled round's (:func:`_effects`), which computes the same doubles in one pass."""
    n = x.shape[0]
    by_actor = np.zeros((n, len(EXTERNALITY_KEYS)))
    I, J, P, Q = (rec[:, k].astype(np.intp) for k in range(4))
    by_actor[:, 0] = np.bincount(I, rec[:, 4], n) + np.bincount(J, rec[:, 4], n)
    if kernel is not None:
        effects, total, third, ext, inner = kernel.effects(rec, x, s, O, present, maps)
        by_actor[:, 1:] = effects.T
        return Realised(rec, third, ext, inner, total) if maps else Realised(rec, None, None, None, total), by_actor
    right = x > O[None, :]
    effects = np.zeros((4, n))  # per class, each actor's effects added in the order of the exchanges
    total = np.zeros(len(rec))
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    size = max(1, 2**16 // max(n, 1))
    for lo in range(0, len(rec), size):
        b = slice(lo, lo + size)
        bp, bq, ap, aq = rec[b, 9:10], rec[b, 10:11], rec[b, 11:12], rec[b, 12:13]
        p, q, i, j = P[b], Q[b], I[b], J[b]
        xp, xq, sp, sq = x[:, p].T, x[:, q].T, s[:, p].T, s[:, q].T  # (exchanges, actors)
        ext = sp * (np.abs(bp - xp) - np.abs(ap - xp)) + sq * (np.abs(bq - xq) - np.abs(aq - xq))
        third = present[:, p].T & present[:, q].T
        rows = np.arange(len(i))
        third[rows, i] = False
        third[rows, j] = False
        side = right[:, p].T * 2 + right[:, q].T  # group code per actor (A-D) on each exchange's issues
        inner = (side == side[rows, i][:, None]) | (side == side[rows, j][:, None])
        # each third actor's effects by class: inner positive, inner negative (or none), outer
        # positive, outer negative. A sum over axis 0 adds the rows one after another, so the
        # running totals on top of the block continue one sum in the order of the exchanges
        kind = np.where(third, 2 * ~inner + (ext <= 0), -1)
        for k in range(4):
            effects[k] = np.vstack([effects[k], np.where(kind == k, ext, 0.0)]).sum(axis=0)
        total[b] = np.where(third, ext, 0.0).sum(axis=1)
        if maps:
            blocks.append((third, ext, inner))
    by_actor[:, 1:] = effects.T
    if not maps:
        return Realised(rec, None, None, None, total), by_actor
    if not blocks:
        blocks.append((np.zeros((0, n), dtype=bool), np.zeros((0, n)), np.zeros((0, n), dtype=bool)))
    third, ext, inner = (np.concatenate([blk[k] for blk in blocks]) for k in range(3))
    return Realised(rec, third, ext, inner, total), by_actor


def exchange_rounds(x0: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray, params: dict[str, Any],
                    rng: np.random.Generator) -> dict[str, Any]:
    """Run the model on internal-scale arrays; returns per-round outcomes, voting outcomes,
    preferences and realised exchanges."""
    x = np.where(present, x0, 0.0).astype(float)
    s = np.where(present, s, 0.0)
    c = np.where(present, c, 0.0)
    w = c * s
    S = w.sum(axis=0)
    if np.any(S <= 0):
        raise InputError("an issue has no actor with positive power and salience",
                         fix="the exchange model needs c·s > 0 on every issue")
    outcomes, voting, prefs, exchanges, totals = [], [], [x.copy()], [], []
    budget = MAP_ENTRIES  # the third-actor effects that may still be listed one by one
    both = present.T.astype(np.int64) @ present.astype(np.int64)  # actors present on both issues
    # what does not change between rounds: the actor and issue pairs and their constants, each
    # actor-issue's outcome weight c s / S, and the end-of-round weight of the voting position
    pairs = Pairs(s, c, S, present)
    compiled = _kernel() if "numba" in sys.modules or 2 * pairs.size * int(params["rounds"]) >= COMPILE_FROM else None
    shift = (c * s / S[None, :]).ravel().tolist()
    weight = params["fixed_weight"] + params["salience_weight"] * (1.0 - s)
    for _ in range(int(params["rounds"])):
        O = (w * x).sum(axis=0) / S
        rec, vote, moved = run_round(O, pairs, x, s, shift, present, rng, params["ties"], params["p"],
                                     params["bookkeeping"], compiled)
        budget -= int((both[rec[:, 2].astype(np.intp), rec[:, 3].astype(np.intp)] - 2).sum())
        realised, by_actor = _with_externalities(rec, x, s, O, present, budget >= 0,
                                                 compiled if params["bookkeeping"] != "decide" and params["p"] == 0
                                                 else None)
        outcomes.append(O)
        voting.append((w * vote).sum(axis=0) / S)
        exchanges.append(realised)
        totals.append(by_actor)
        x = np.where(moved > 0, x + weight * (vote - x), x)
        prefs.append(x)
    return {"outcome": outcomes, "voting": voting, "preferences": prefs, "exchanges": exchanges,
            "externalities": totals}


def exchange_cost(scenario: Scenario, params: dict[str, Any]) -> float:
    """The pair evaluations of a run (:mod:`tertius.models.registry`): rounds × repetitions ×
    Σ_{p<q} n_p n_q, every pair of actors on every pair of issues a trade may join, in each round
    (at least Σ_i n_i, the voting outcome's terms, on a single issue)."""
    n = actors_per_issue(scenario).astype(float)
    pairs = (float(n.sum()) ** 2 - float(np.sum(n * n))) / 2
    return max(float(params["rounds"]) * float(params["repetitions"]) * pairs, linear_cost(scenario, params))


@register("exchange", summary="Stokman's exchange model, equal-gain variant (Decide), in rounds.",
          citation="Stokman & Van Oosten (1994); Decide's equal-gain model (shared/reference/decide-exchange-model.md).",
          defaults=DEFAULTS, tags=("rounds", "random"), cost=exchange_cost)
def exchange(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """Stokman & Van Oosten (1994), the equal-gain exchange model as specified in section 5.2
    of ``shared/reference/decide-exchange-model.md`` (module docstring). The outcome is the
    voting outcome after the last round; ``details`` holds the round-1 voting outcome (the
    classic one-shot forecast), the outcome and voting outcome of every round, and the realised
    exchanges."""
    if params["ties"] not in ("first", "random"):
        raise InputError(f"exchange parameter ties={params['ties']!r}", fix="use ties=first or ties=random",
                         file=PARAMS)
    if params["bookkeeping"] not in ("realised", "decide"):
        raise InputError(f"exchange parameter bookkeeping={params['bookkeeping']!r}",
                         fix="use bookkeeping=realised (the default) or bookkeeping=decide (Decide 2025.3.1's, "
                             "to compare)", file=PARAMS)
    if not 0.0 <= params["p"] <= 1.0 or params["repetitions"] < 1:
        raise InputError(f"exchange parameters p={params['p']}, repetitions={params['repetitions']}",
                         fix="p lies in [0, 1] (0: plain equal gain) and repetitions is at least 1", file=PARAMS)
    arr = scenario.arrays
    span = arr.span
    internal = 100.0 * (arr.position - arr.lo[None, :]) / span[None, :]
    cap = np.broadcast_to(arr.capability[:, None], internal.shape)
    res = exchange_rounds(internal, arr.salience, cap, arr.present, params, rng)
    extra = [exchange_rounds(internal, arr.salience, cap, arr.present, params, rng)
             for _ in range(int(params["repetitions"]) - 1)]

    def back(v: np.ndarray) -> np.ndarray:
        return arr.lo + v * span / 100.0

    ids, issues = arr.actor_ids, arr.issue_ids
    voting = [back(v) for v in res["voting"]]
    outcome = voting[-1] if voting else back((np.nan_to_num(internal) * cap * arr.salience).sum(0)
                                             / (cap * arr.salience).sum(0))
    rex = None
    if extra and voting:
        runs = [res] + extra
        final = np.array([back(r["voting"][-1]) for r in runs])
        first = np.array([back(r["voting"][0]) for r in runs])
        outcome = final.mean(axis=0)  # REX: the mean over repetitions

        def summary(v: np.ndarray) -> dict[str, dict[str, float]]:
            q = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            sd = v.std(axis=0, ddof=1)  # len(v) >= 2 here
            return {i: {"mean": float(v[:, k].mean()), "sd": float(sd[k]), "q05": float(q[0, k]),
                        "q25": float(q[1, k]), "q50": float(q[2, k]), "q75": float(q[3, k]), "q95": float(q[4, k])}
                    for k, i in enumerate(arr.issue_ids)}

        rex = {"p": params["p"], "repetitions": len(runs), "final_voting": summary(final),
               "round1_voting": summary(first)}
    rounds = tuple(np.where(arr.present, back(p), np.nan) for p in res["preferences"])
    details = {
        "round1_voting": {i: float(v) for i, v in zip(issues, voting[0], strict=True)} if voting else {},
        "outcome_by_round": [{i: float(v) for i, v in zip(issues, back(o), strict=True)} for o in res["outcome"]],
        "voting_by_round": [{i: float(v) for i, v in zip(issues, o, strict=True)} for o in voting],
        "exchanges": [_exchange_details(rnd, ids, issues, arr.lo, span) for rnd in res["exchanges"]],
        "externalities_by_round": [dict(zip(EXTERNALITY_KEYS, a.sum(axis=0).tolist(), strict=True))
                                   for a in res["externalities"]],
        "externalities_by_actor": [{ids[k]: dict(zip(EXTERNALITY_KEYS, row, strict=True))
                                    for k, row in enumerate(a.tolist())} for a in res["externalities"]],
    }
    left_out = [r + 1 for r, rnd in enumerate(res["exchanges"]) if rnd.third is None and len(rnd)]
    if left_out:
        details["externalities_left_out"] = (
            f"rounds {left_out[0]}-{left_out[-1]} list each exchange's effects on third actors as their sum "
            f"(externalities_total): a run lists at most {MAP_ENTRIES:,} effects one by one; the totals per "
            "actor and round are complete")
    if rex is not None:
        details["rex"] = rex
    at_start = {i: float(v) for i, v in zip(issues, back(res["outcome"][0]), strict=True)}
    by_round = [{i: float(v) for i, v in zip(issues, o, strict=True)} for o in voting]
    line = Line("outcome (round 0), then voting outcome",
                {i: [at_start[i]] + [v[i] for v in by_round] for i in issues})
    columns = {"round1_voting": Column("round-1 voting", by_round[0])} if voting else {}
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(ids), issue_ids=tuple(issues),
                    outcome=outcome, utility=utilities(arr, outcome), params=params, rounds=rounds, details=details,
                    line=line, columns=columns)


def _exchange_details(rnd: Realised, ids: list[str], issues: list[str], lo: np.ndarray, span: np.ndarray
                      ) -> list[dict[str, Any]]:
    """A round's realised exchanges as ``details`` lists them, on the scenario's scales."""
    if not len(rnd):
        return []
    rec = rnd.records
    I, J, P, Q = (rec[:, k].astype(np.intp) for k in range(4))
    lo_p, lo_q, span_p, span_q = lo[P], lo[Q], span[P], span[Q]

    def on_p(col: int) -> list[float]:
        return (lo_p + rec[:, col] * span_p / 100.0).tolist()

    def on_q(col: int) -> list[float]:
        return (lo_q + rec[:, col] * span_q / 100.0).tolist()

    effects: list[Any]
    if rnd.third is None or rnd.effect is None:  # over MAP_ENTRIES: the sum over third actors
        key, effects = "externalities_total", rnd.total.tolist()
    else:
        who, actor = rnd.third.nonzero()
        names = [ids[a] for a in actor.tolist()]
        values = rnd.effect[who, actor].tolist()
        ends = np.cumsum(rnd.third.sum(axis=1)).tolist()
        key, effects, start = "externalities", [], 0
        for end in ends:
            effects.append(dict(zip(names[start:end], values[start:end], strict=True)))
            start = end
    columns = ([ids[a] for a in I.tolist()], [ids[b] for b in J.tolist()], [issues[p] for p in P.tolist()],
               [issues[q] for q in Q.tolist()], rec[:, 4].tolist(), (rec[:, 5] * span_q / 100).tolist(),
               (rec[:, 6] * span_p / 100).tolist(), on_q(7), on_p(8), on_p(9), on_p(11), on_q(10), on_q(13), effects)
    return [{"demander_p": i, "supplier_p": j, "issue_p": p, "issue_q": q, "gain": g, "move_on_q": mq,
             "move_on_p": mp, "start_on_q": sq, "start_on_p": sp, "outcome_p": [bp, ap], "outcome_q": [bq, aq],
             key: ext}
            for i, j, p, q, g, mq, mp, sq, sp, bp, ap, bq, aq, ext in zip(*columns, strict=True)]
