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
only the candidates it affects, and the next one is an argmax; nothing is re-sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tertius.errors import InputError
from tertius.forecast import Forecast, utilities
from tertius.models.registry import register
from tertius.scenario import Scenario

EPS = 1e-10
#: Gains within this relative distance count as equal (a tie), so that rounding in the last
#: bit cannot decide between candidates whose gains are equal in exact arithmetic.
TIE = 1e-12
DEFAULTS: dict[str, Any] = {"rounds": 10, "fixed_weight": 0.1, "salience_weight": 0.4, "ties": "first",
                            "p": 0.0, "repetitions": 1, "bookkeeping": "realised"}


@dataclass(frozen=True)
class Candidate:
    """I demands p and supplies q; J demands q and supplies p."""

    index: int
    i: int
    j: int
    p: int
    q: int


def candidates(x: np.ndarray, s: np.ndarray, O: np.ndarray, present: np.ndarray) -> list[Candidate]:
    n, m = x.shape
    left = (x <= O[None, :]).tolist()
    sl = s.tolist()
    out: list[Candidate] = []
    for p in range(m):
        for q in range(p + 1, m):
            both = np.nonzero(present[:, p] & present[:, q])[0].tolist()
            for ai, a in enumerate(both):
                la, sa = left[a], sl[a]
                for b in both[ai + 1:]:
                    lb, sb = left[b], sl[b]
                    if la[p] == lb[p] or la[q] == lb[q]:
                        continue
                    ra = sa[p] / sa[q] if sa[q] > 0 else np.inf
                    rb = sb[p] / sb[q] if sb[q] > 0 else np.inf
                    if ra == rb:  # the right/right (A) or left/right (B) actor is I
                        a_first = not la[p]
                    else:
                        a_first = ra > rb
                    i, j = (a, b) if a_first else (b, a)
                    out.append(Candidate(len(out), int(i), int(j), p, q))
    return out


@dataclass(frozen=True)
class Exchange:
    i: int
    j: int
    p: int
    q: int
    gain: float
    move_i: float
    move_j: float
    start_i: float
    start_j: float
    #: Effect on every third actor present on both issues:
    #: s_kp (|O_p − x_kp| − |O_p' − x_kp|) + s_kq (|O_q − x_kq| − |O_q' − x_kq|),
    #: with O the outcome before the exchange as its traders see it (step 5: the supplier at its
    #: current voting position, plus the moves towards the same demander) and O' after it.
    externalities: dict[int, float] = field(default_factory=dict)
    #: Whether each third actor is in the traders' group pair (inner) or not (outer).
    inner: dict[int, bool] = field(default_factory=dict)


class CandidateTable:
    """All candidates of a round as arrays: I demands p and supplies q, J the reverse."""

    def __init__(self, cands: list[Candidate], O: np.ndarray, x: np.ndarray, s: np.ndarray, c: np.ndarray,
                 S: np.ndarray) -> None:
        self.I = np.array([cd.i for cd in cands], dtype=np.intp)
        self.J = np.array([cd.j for cd in cands], dtype=np.intp)
        self.P = np.array([cd.p for cd in cands], dtype=np.intp)
        self.Q = np.array([cd.q for cd in cands], dtype=np.intp)
        I, J, P, Q = self.I, self.J, self.P, self.Q
        self.k = (s[I, P] + s[J, P]) / (s[I, Q] + s[J, Q])
        self.wj = c[J, P] * s[J, P] / S[P]
        self.wi = c[I, Q] * s[I, Q] / S[Q]
        self.gain_factor = (s[I, P] * s[J, Q] - s[I, Q] * s[J, P]) / (s[I, Q] + s[J, Q])
        self.x_ip = x[I, P]
        self.x_jq = x[J, Q]
        self.O_p = O[P]
        self.O_q = O[Q]
        n = len(cands)
        self.gain = np.full(n, -np.inf)
        self.move_i = np.zeros(n)
        self.move_j = np.zeros(n)
        self.shift_p = np.zeros(n)
        self.shift_q = np.zeros(n)
        self.before_p = np.zeros(n)
        self.before_q = np.zeros(n)
        self.seen_q = np.zeros(n)  # the q shift an exchange's externalities are computed from
        # bookkeeping="decide": each half's own move list as (sum and signs of all but the last
        # element, the last element), to emulate Decide 2025.3.1 (see run_round)
        self.rest_sum = np.zeros((n, 2))
        self.rest_pos = np.zeros((n, 2), dtype=bool)
        self.rest_neg = np.zeros((n, 2), dtype=bool)
        self.last = np.zeros((n, 2))
        self.decide = False
        n_actors, m = x.shape
        # flat indices into the (actors x issues) state arrays, and the constants as one table
        self.jp, self.iq, self.ip, self.jq = J * m + P, I * m + Q, I * m + P, J * m + Q
        # a supplier's own shift of the outcome towards its partner, flat in (supplier, demander, issue)
        self.jip, self.ijq = (J * n_actors + I) * m + P, (I * n_actors + J) * m + Q
        self.const = np.stack([self.k, self.wj, self.wi, self.x_ip, self.x_jq, self.O_p, self.O_q,
                               self.gain_factor, x[J, P], x[I, Q]], axis=1)


def compute_many(t: CandidateTable, idx: np.ndarray, vote: np.ndarray, moved: np.ndarray, direction: np.ndarray,
                 toward: np.ndarray, own: np.ndarray) -> None:
    """Moves and gain of the candidates ``idx`` (steps 4-7 of the module docstring) from the
    current voting positions, move history and outcome shifts; invalid ones get gain −inf.

    ``toward`` holds, per (demander, issue), the outcome shift of the moves realised towards
    that demander; ``own`` the part of it due to each supplier, per (supplier, demander, issue).
    The outcome before a supplier's move counts the supplier at its current voting position and
    the other suppliers towards the same demander (step 5)."""
    k, wj, wi, x_ip, x_jq, O_p, O_q, gain_factor, x0_jp, x0_iq = t.const[idx].T
    jp, iq = t.jp[idx], t.iq[idx]
    v, d, mv, tw = vote.ravel(), direction.ravel(), moved.ravel(), toward.ravel()
    start_j, start_i = v[jp], v[iq]
    others_p = O_p + tw[t.ip[idx]] - own[t.jip[idx]]
    others_q = O_q + tw[t.jq[idx]] - own[t.ijq[idx]]
    dir_j, dir_i = np.sign(x_ip - start_j), np.sign(x_jq - start_i)
    dist_j, dist_i = np.abs(x_ip - start_j), np.abs(x_jq - start_i)
    old = np.seterr(divide="ignore", invalid="ignore")  # cheaper than np.errstate on a hot path
    try:
        dp = wj * dist_j
        dq = dp * k
        over = dq > wi * dist_i
        dq[over] = (wi * dist_i)[over]
        dp[over] = (dq / k)[over]
        before_p = others_p + wj * (start_j - x0_jp)
        before_q = others_q + wi * (start_i - x0_iq)
        if t.decide:
            # Decide's cap size puts a supplier that already moved towards this demander back at
            # its first such position (its entry in the exchange's updates)
            cap_p = np.where(own[t.jip[idx]] != 0, O_p + tw[t.ip[idx]], before_p)
            cap_q = np.where(own[t.ijq[idx]] != 0, O_q + tw[t.jq[idx]], before_q)
        else:
            cap_p, cap_q = before_p, before_q
        # each cap only shortens both moves, so one pass (q, then p, as Decide checks them) suffices
        cap = (before_q + dir_i * dq - x_jq) * (before_q - x_jq) < 0
        if cap.any():
            dq[cap] = np.abs(x_jq - cap_q)[cap]
            dp[cap] = (dq / k)[cap]
        seen_q = dq.copy() if t.decide else dq  # Decide reports I's outcome shift before the p cap
        cap = (before_p + dir_j * dp - x_ip) * (before_p - x_ip) < 0
        if cap.any():
            dp[cap] = np.abs(x_ip - cap_p)[cap]
            dq[cap] = (dp * k)[cap]
        m_j, m_i = dp / wj, dq / wi
    finally:
        np.seterr(**old)
    gain = dp * gain_factor
    y_j, y_i = start_j + dir_j * m_j, start_i + dir_i * m_i
    dj, di = d[jp], d[iq]
    ok = (wj > 0) & (wi > 0) & (dir_j != 0) & (dir_i != 0) & (gain >= EPS)
    ok &= (m_j > EPS) & (m_j <= 100 + EPS) & (m_i > EPS) & (m_i <= 100 + EPS)  # rounding: a full move is 100
    ok &= (y_j >= -EPS) & (y_j <= 100 + EPS) & (y_i >= -EPS) & (y_i <= 100 + EPS)
    if t.decide:
        # Decide's is_move_valid on each half's own list: signed sum <= 100, one sign throughout
        for h, move in ((0, dir_i * m_i), (1, dir_j * m_j)):
            total = t.rest_sum[idx, h] + move
            pos = t.rest_pos[idx, h] | (move > 0)
            neg = t.rest_neg[idx, h] | (move < 0)
            ok &= (total <= 100 + EPS) & (pos ^ neg)
            t.last[idx, h] = move
    else:
        ok &= ((dj == 0) | (dj == dir_j)) & (mv[jp] + m_j <= 100 + EPS)
        ok &= ((di == 0) | (di == dir_i)) & (mv[iq] + m_i <= 100 + EPS)
    t.gain[idx] = np.where(ok, gain, -np.inf)
    t.move_j[idx], t.move_i[idx] = dir_j * m_j, dir_i * m_i
    t.shift_p[idx], t.shift_q[idx] = dir_j * dp, dir_i * dq
    t.before_p[idx], t.before_q[idx] = before_p, before_q
    t.seen_q[idx] = dir_i * seen_q


def rex_split(t: CandidateTable, e: int, s: np.ndarray, rng: np.random.Generator, p_rex: float,
              vote: np.ndarray) -> tuple[float, float]:
    """Randomised equal gain (REX; Dijkstra, Van Assen, Stokman & Draaijer 2018): redraw how
    the gain of exchange ``e`` is split. u picks the randomised actor A (I if u < 0.5, else J);
    if v < 0.5 A wins, g_A = G + p z (g_A,max − G), else A loses, g_A = G − p z G, where
    g_A,max is A's gain when the partner's gain is driven to 0. A's partner's move is re-derived
    to give A exactly g_A, within the partner's position and outcome caps. Returns the new
    signed outcome shifts (on p, on q)."""
    u, v, z = rng.random(3)
    i, j, pp, q = t.I[e], t.J[e], t.P[e], t.Q[e]
    G = t.gain[e]
    dp, dq = abs(t.shift_p[e]), abs(t.shift_q[e])
    sip, siq, sjp, sjq = s[i, pp], s[i, q], s[j, pp], s[j, q]
    if u < 0.5:  # A = I: I's own concession Δq sets the split
        dq_min = sjp * dp / sjq  # J's gain 0
        g_max = sip * dp - siq * dq_min
        g = G + p_rex * z * (g_max - G) if v < 0.5 else G - p_rex * z * G
        before = t.before_q[e]
        bound = min(t.wi[e] * abs(t.x_jq[e] - vote[i, q]), abs(t.x_jq[e] - before))
        dq = float(np.clip((sip * dp - g) / siq, min(dq_min, bound), bound))
    else:  # A = J: J's own concession Δp sets the split
        dp_min = siq * dq / sip  # I's gain 0
        g_max = sjq * dq - sjp * dp_min
        g = G + p_rex * z * (g_max - G) if v < 0.5 else G - p_rex * z * G
        before = t.before_p[e]
        bound = min(t.wj[e] * abs(t.x_ip[e] - vote[j, pp]), abs(t.x_ip[e] - before))
        dp = float(np.clip((sjq * dq - g) / sjp, min(dp_min, bound), bound))
    return float(np.sign(t.shift_p[e]) * dp), float(np.sign(t.shift_q[e]) * dq)


def run_round(O: np.ndarray, cands: list[Candidate], x: np.ndarray, s: np.ndarray, c: np.ndarray,
              S: np.ndarray, rng: np.random.Generator, ties: str, p_rex: float = 0.0, bookkeeping: str = "realised"
              ) -> tuple[list[Exchange], np.ndarray, np.ndarray]:
    """One round's greedy realisation (steps 4-8 of the module docstring). The candidates are
    arrays: after each exchange the affected candidates are recomputed at once, and the next
    exchange is an argmax. Returns the realised exchanges, the voting positions and the total
    move of every actor-issue."""
    n, m = x.shape
    vote = x.copy()
    moved = np.zeros_like(x)
    if not cands:
        return [], vote, moved
    t = CandidateTable(cands, O, x, s, c, S)
    t.decide = bookkeeping == "decide"
    direction = np.zeros_like(x)
    toward = np.zeros_like(x)
    own = np.zeros(n * n * m)
    tiebreak = rng.random(len(cands)) if ties == "random" else np.arange(len(cands), dtype=float)
    supply = (np.r_[t.J * m + t.P, t.I * m + t.Q], np.r_[np.arange(len(cands)), np.arange(len(cands))])
    demand = (np.r_[t.I * m + t.P, t.J * m + t.Q], supply[1])

    def index(keys_and_ids: tuple[np.ndarray, np.ndarray]) -> dict[int, np.ndarray]:
        keys, ids = keys_and_ids
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        uniq, starts = np.unique(keys, return_index=True)
        ends = np.r_[starts[1:], keys.size]
        return {k: ids[a:b] for k, a, b in zip(uniq.tolist(), starts.tolist(), ends.tolist(), strict=True)}

    by_supply, by_demand = index(supply), index(demand)
    empty = np.zeros(0, dtype=np.intp)
    compute_many(t, np.arange(len(cands)), vote, moved, direction, toward, own)
    done = ~np.isfinite(t.gain)  # a candidate that is (or turns) invalid is dropped for the round
    entry: dict[int, float] = {}
    weight = c * s / S[None, :]
    records: list[tuple[int, int, int, int, float, float, float, float, float, float, float, float, float]] = []
    while True:
        best = t.gain.max()
        if not np.isfinite(best):
            break
        tied = np.flatnonzero(t.gain >= best - TIE * abs(best))
        e = int(tied[np.argmin(tiebreak[tied])]) if tied.size > 1 else int(tied[0])
        i, j, p, q = int(t.I[e]), int(t.J[e]), int(t.P[e]), int(t.Q[e])
        if p_rex > 0:
            t.shift_p[e], t.shift_q[e] = rex_split(t, e, s, rng, p_rex, vote)
            t.move_j[e], t.move_i[e] = t.shift_p[e] / t.wj[e], t.shift_q[e] / t.wi[e]
        sp, sq, mj, mi = float(t.shift_p[e]), float(t.shift_q[e]), float(t.move_j[e]), float(t.move_i[e])
        bp, bq = float(t.before_p[e]), float(t.before_q[e])
        records.append((i, j, p, q, float(t.gain[e]), mi, mj, float(vote[i, q]), float(vote[j, p]),
                        bp, bq, bp + sp, bq + (float(t.seen_q[e]) if t.decide and p_rex == 0 else sq)))
        for a, d, move, demander, shift in ((j, p, mj, i, sp), (i, q, mi, j, sq)):
            vote[a, d] += move
            moved[a, d] += abs(move)  # the realised move (Decide keeps a stale one: study 5.4)
            direction[a, d] = 1.0 if move > 0 else -1.0
            # the demander's outcome counts the supplier at its voting position after its first
            # move towards it (a later one replaces it only if it lies on the start's side of it)
            key = (a * n + demander) * m + d
            old = entry.get(key)
            y = vote[a, d] if old is None else (min(old, vote[a, d]) if x[a, d] <= old else max(old, vote[a, d]))
            entry[key] = y
            shift = weight[a, d] * (y - x[a, d]) - own[key]
            toward[demander, d] += shift
            own[key] += shift
        t.gain[e] = -np.inf
        done[e] = True
        touched = np.concatenate([by_supply.get(j * m + p, empty), by_supply.get(i * m + q, empty),
                                  by_demand.get(i * m + p, empty), by_demand.get(j * m + q, empty)])
        touched = touched[~done[touched]]
        if touched.size:
            if t.decide:
                # a half that shares the realised supplier keeps its stale move and adds the new one;
                # otherwise the last move is replaced
                shared_i = (t.iq[touched] == j * m + p) | (t.iq[touched] == i * m + q)
                shared_j = (t.jp[touched] == j * m + p) | (t.jp[touched] == i * m + q)
                for h, shared in ((0, shared_i), (1, shared_j)):
                    rows = touched[shared]
                    t.rest_sum[rows, h] += t.last[rows, h]
                    t.rest_pos[rows, h] |= t.last[rows, h] > 0
                    t.rest_neg[rows, h] |= t.last[rows, h] < 0
            compute_many(t, touched, vote, moved, direction, toward, own)
            done[touched[~np.isfinite(t.gain[touched])]] = True
    realised = _with_externalities(records, x, s, O)
    return realised, vote, moved


def _with_externalities(records: list[tuple], x: np.ndarray, s: np.ndarray, O: np.ndarray) -> list[Exchange]:
    """Build the round's exchanges, with every third actor's externality computed at once."""
    if not records:
        return []
    rec = np.array(records, dtype=float)
    I, J, P, Q = (rec[:, k].astype(np.intp) for k in range(4))
    bp, bq, ap, aq = rec[:, 9:10], rec[:, 10:11], rec[:, 11:12], rec[:, 12:13]
    xp, xq, sp, sq = x[:, P].T, x[:, Q].T, s[:, P].T, s[:, Q].T  # (exchanges, actors)
    ext = sp * (np.abs(bp - xp) - np.abs(ap - xp)) + sq * (np.abs(bq - xq) - np.abs(aq - xq))
    third = (sp > 0) & (sq > 0)
    rows = np.arange(len(records))
    third[rows, I] = False
    third[rows, J] = False
    right = x > O[None, :]
    side = right[:, P].T * 2 + right[:, Q].T  # group code per actor (A-D) on each exchange's issues
    inner = (side == side[rows, I][:, None]) | (side == side[rows, J][:, None])
    out = []
    for k, r in enumerate(records):
        who = np.flatnonzero(third[k]).tolist()
        out.append(Exchange(*r[:9], {a: float(ext[k, a]) for a in who}, {a: bool(inner[k, a]) for a in who}))
    return out


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
    outcomes, voting, prefs, exchanges = [], [], [x.copy()], []
    for _ in range(int(params["rounds"])):
        O = (w * x).sum(axis=0) / S
        realised, vote, moved = run_round(O, candidates(x, s, O, present), x, s, c, S, rng, params["ties"], params["p"],
                                          params["bookkeeping"])
        outcomes.append(O)
        voting.append((w * vote).sum(axis=0) / S)
        exchanges.append(realised)
        supplied = moved > 0
        weight = params["fixed_weight"] + params["salience_weight"] * (1.0 - s)
        x = np.where(supplied, x + weight * (vote - x), x)
        prefs.append(x.copy())
    return {"outcome": outcomes, "voting": voting, "preferences": prefs, "exchanges": exchanges}


def _externality_summary(exchanges: list[Exchange]) -> dict[str, float]:
    """Totals per round: the traders' own gains, and third actors' inner/outer, positive/negative
    externalities (the classification of Decide's externality reports)."""
    out = {"own": 0.0, "inner_positive": 0.0, "inner_negative": 0.0, "outer_positive": 0.0, "outer_negative": 0.0}
    for e in exchanges:
        out["own"] += 2 * e.gain
        for k, v in e.externalities.items():
            key = ("inner" if e.inner[k] else "outer") + ("_positive" if v >= 0 else "_negative")
            out[key] += v
    return out


@register("exchange", summary="Stokman's exchange model, equal-gain variant (Decide), in rounds.",
          citation="Stokman & Van Oosten (1994); Decide's equal-gain model (shared/reference/decide-exchange-model.md).",
          defaults=DEFAULTS, tags=("rounds",))
def exchange(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """Stokman & Van Oosten (1994), the equal-gain exchange model as specified in section 5.2
    of ``shared/reference/decide-exchange-model.md`` (module docstring). The outcome is the
    voting outcome after the last round; ``details`` holds the round-1 voting outcome (the
    classic one-shot forecast), the outcome and voting outcome of every round, and the realised
    exchanges."""
    if params["ties"] not in ("first", "random"):
        raise InputError(f"exchange parameter ties={params['ties']!r}", fix="use ties=first or ties=random")
    if params["bookkeeping"] not in ("realised", "decide"):
        raise InputError(f"exchange parameter bookkeeping={params['bookkeeping']!r}",
                         fix="use bookkeeping=realised (the default) or bookkeeping=decide (Decide 2025.3.1's, to compare)")
    if not 0.0 <= params["p"] <= 1.0 or params["repetitions"] < 1:
        raise InputError(f"exchange parameters p={params['p']}, repetitions={params['repetitions']}",
                         fix="p lies in [0, 1] (0: plain equal gain) and repetitions is at least 1")
    arr = scenario.arrays
    span = arr.span
    internal = 100.0 * (arr.position - arr.lo[None, :]) / span[None, :]
    cap = np.broadcast_to(arr.capability[:, None], internal.shape)
    res = exchange_rounds(internal, arr.salience, cap, arr.present, params, rng)
    extra = [exchange_rounds(internal, arr.salience, cap, arr.present, params, rng)
             for _ in range(int(params["repetitions"]) - 1)]

    def back(v: np.ndarray) -> np.ndarray:
        return arr.lo + v * span / 100.0

    def back_at(v: float, issue: int) -> float:
        return arr.lo[issue] + v * span[issue] / 100.0

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
        "exchanges": [[{
            "demander_p": ids[e.i], "supplier_p": ids[e.j], "issue_p": issues[e.p], "issue_q": issues[e.q],
            "gain": e.gain, "move_on_q": e.move_i * span[e.q] / 100, "move_on_p": e.move_j * span[e.p] / 100,
            "start_on_q": float(back_at(e.start_i, e.q)), "start_on_p": float(back_at(e.start_j, e.p)),
            "externalities": {ids[k]: v for k, v in e.externalities.items()},
        } for e in rnd] for rnd in res["exchanges"]],
        "externalities_by_round": [_externality_summary(rnd) for rnd in res["exchanges"]],
    }
    if rex is not None:
        details["rex"] = rex
    return Forecast(model="exchange", scenario_id=scenario.id, actor_ids=tuple(ids), issue_ids=tuple(issues),
                    outcome=outcome, utility=utilities(arr, outcome), params=params, rounds=rounds, details=details)
