"""Equilibria of the third parties' game where iterated best response does not settle.

Iterated best response (:func:`tertius.conflict.game.best_response_path`) is cheap, but with
many third parties it can cycle or run out of steps, and the profile where it stops is then not
an equilibrium. A cycle is never presented as an answer. For the draws where it does not settle:

1. **The third parties that matter.** Those with a profitable deviation where best response
   stopped. The others are held at their options there.
2. **Dominance + enumeration.** In the game among the ones that matter (the others held),
   options strictly dominated are removed, repeatedly (iterated elimination of strictly
   dominated strategies; it keeps every pure Nash equilibrium, Fudenberg & Tirole 1991, ch. 2.1),
   and the pure equilibria of what survives are enumerated. Each is checked in the whole game:
   no third party, held or not, gains by changing its option (the same test as
   :func:`tertius.conflict.game.pure_equilibria`). A held third party that gains is added to
   the ones that matter, and the search runs again (at most :data:`SUBGAME_MAX` of them). Where
   the game among them has no pure equilibrium and there are no more than :data:`SUBGAME_MAX`
   third parties in all, all of them are enumerated: then a pure equilibrium is found whenever
   one exists.
3. **Logit quantal-response equilibrium** (McKelvey & Palfrey 1995) of the same game. With u_ja(σ)
   player j's expected payoff of option a when the others mix by σ, a QRE at λ solves

       σ_ja = exp(λ u_ja(σ)) / Σ_b exp(λ u_jb(σ))          (McKelvey & Palfrey 1995, eq. 3)

   Its principal branch, from λ = 0 (everyone mixes uniformly) upward, is followed as a curve in
   log-probabilities y = ln σ and μ = ln(1 + λ̃), λ̃ = λ × the range of the game's payoffs: the
   s k equations in s k + 1 unknowns

       H(y, μ) = y - ln logit(λ̃ u(e^y)) = 0,
       H_y = I - λ̃ (∂u/∂σ - Σ_b p_jb ∂u_jb/∂σ) diag(σ),   H_μ = -(u - Σ_b p_jb u_jb)(1 + λ̃)

   (p the logit response; ∂u_ja/∂σ_ib, i ≠ j, is j's payoff averaged over all but i and j). The
   path follower is that of Turocy (2005, "A dynamic homotopy interpretation of the logistic
   quantal response equilibrium correspondence", *Games and Economic Behavior* 51(2): 243-263),
   in the pseudo-arclength form of Allgower & Georg (1990, *Numerical Continuation Methods*,
   ch. 2): a tangent predictor (the null vector of [H_y H_μ], oriented as the last one), a
   Newton corrector on H and the arclength condition, accepted when the fixed-point residual
   max |σ - p| is below :data:`PATH_TOL` (:data:`NEWTON_TOL` at the end), the correction is
   at most :data:`PATH_MOVE` in probability and in μ, and the tangent turned by at most
   :data:`PATH_TURN` (the step-length control of Allgower & Georg, ch. 6, which keeps the
   corrector from jumping to another branch of QREs); the next step is scaled by
   sqrt(PATH_MOVE / (2 × the correction)) (between 1/2 and 2) after a success and cut after a
   failure. Arclength is measured by Σ σ dy² + dμ², which ignores options whose probability
   has vanished. So it goes through turning points in λ. It ends with a Newton solve at the last λ̃ of :data:`LAMBDAS`. Where
   Newton fails (the step falls below :data:`PATH_STEP_MIN`), the damped fixed-point corrector,
   σ ← (1 - α) σ + α logit(λ u(σ)) with α = 1 / (1 + λ̃ / 2), at most :data:`CORRECTOR_STEPS`
   iterations per point of :data:`LAMBDAS`, goes on from the last point reached (the traced
   λ is then the last point where it converged; :func:`qre_damped` is that corrector alone).
   Where several pure equilibria pass the check, the one the traced QRE puts most probability
   on is selected (the logit solution's selection, McKelvey & Palfrey 1995, sec. 4; compared
   in log-probabilities, which do not underflow). Where none exists, the QRE itself is the
   answer, reported as a mixed profile with its λ, never the cycle's last profile. The QRE is
   traced only where it is needed: where two or more pure equilibria pass the check, or where it
   is the answer.

Everything is vectorised over draws (axis D): draws that share the third parties that matter share
the choice of the game among them, and games of the same size are built, enumerated and traced
together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tertius.conflict.game import (
    TOL,
    UNAVAILABLE,
    base_profile,
    best_response_path,
    option_values,
    payoffs,
)
from tertius.conflict.war import N_OPTIONS, War, players, restrict, rows, stack

#: The methods, by code.
METHODS = ("best response", "dominance + enumeration", "logit QRE")
BEST_RESPONSE, ENUMERATION, LOGIT_QRE = 0, 1, 2
#: The most third parties whose 4^s options are enumerated in the game among the ones that matter.
SUBGAME_MAX = 6
#: Array elements one batch of enumerated profiles may hold (draws x profiles x actors x issues).
SUBGAME_ELEMENTS = 8_000_000
#: The points λ (in units of 1 / the payoffs' range) on the traced logit path.
LAMBDAS = np.concatenate([[0.0], np.geomspace(0.05, 1e4, 120)])
#: The corrector's iterations per point and its tolerance.
CORRECTOR_STEPS = 400
CORRECTOR_TOL = 1e-10


@dataclass(frozen=True)
class Solution:
    """The reported equilibrium of each draw."""

    profile: np.ndarray  # (D, n) roles; under a QRE the likeliest option of each third party
    ok: np.ndarray  # (D,) bool: the profile is a pure Nash equilibrium (checked)
    values: np.ndarray  # (D, T, 4) option values, the others held at the profile
    method: np.ndarray  # (D,) int: index into METHODS
    lam: np.ndarray  # (D,) the QRE's λ (utility units) where the logit QRE is the answer, else NaN
    mixed: np.ndarray  # (D, T, 4) the QRE's probabilities where it is the answer, else NaN

    def label(self, d: int = 0) -> str:
        """The method of draw ``d`` in words."""
        if self.method[d] == LOGIT_QRE:
            return f"logit QRE, λ={self.lam[d]:.3g}"
        return METHODS[int(self.method[d])]


def _gains(vals: np.ndarray, current: np.ndarray) -> np.ndarray:
    """(D, T) each third party's gain from its best option over its current one."""
    here = np.take_along_axis(vals, current[..., None].astype(np.intp), axis=-1)[..., 0]
    gain = vals.max(-1) - here
    return np.where(gain > TOL * (1.0 + np.abs(here)), gain, 0.0)


def solve(war: War, max_steps: int | None = None) -> Solution:
    """The reported equilibrium of every draw: iterated best response where it settles, else
    dominance + enumeration among the third parties that matter, else a logit QRE. The game is
    played among the actors it needs (:func:`tertius.conflict.war.players`); the others, on
    neither side and no third party, stay out in the profile returned."""
    keep = players(war)
    if keep is None:
        return _solve(war, max_steps)
    sol = _solve(restrict(war, keep), max_steps)
    profile = base_profile(war)
    profile[:, keep] = sol.profile
    return replace(sol, profile=profile)


def solve_each(wars: list[War], max_steps: int | None = None) -> list[Solution]:
    """:func:`solve` of each war (D = 1 each), the same result for each, with iterated best
    response run once for each group of wars of the same shape (:func:`tertius.conflict.war.stack`
    without labels: a decision table's disputes with as many candidates), their inputs on the
    draw axis. Best response treats each draw on its own, so a batch changes no draw's path;
    where it does not settle, the repairs (enumeration, the QRE) run on that war alone, from
    where its path stopped, so they see exactly the game they see in :func:`solve`. A war played
    among fewer actors (:func:`tertius.conflict.war.players`) or with no third party is solved
    alone by :func:`solve`."""
    out: list[Solution | None] = [None] * len(wars)
    plain = []
    for k, war in enumerate(wars):
        if war.draws == 1 and war.third.any() and players(war) is None:
            plain.append(k)
        else:
            out[k] = solve(war, max_steps)
    for idx, batch in stack([wars[k] for k in plain], labels=False):
        profile, ok, vals = best_response_path(batch, max_steps)
        for j, k in enumerate(np.asarray(plain)[idx].tolist()):
            one = slice(j, j + 1)
            out[k] = _settled(wars[k], profile[one].copy(), ok[one].copy(), vals[one].copy())
    return [s for s in out if s is not None]


def _solve(war: War, max_steps: int | None) -> Solution:
    third = np.nonzero(war.third)[0]
    d, t = war.draws, len(third)
    if t == 0:
        return Solution(base_profile(war), np.ones(d, dtype=bool), np.zeros((d, 0, N_OPTIONS)), np.zeros(d, dtype=np.int8),
                        np.full(d, np.nan), np.zeros((d, 0, N_OPTIONS)))
    return _settled(war, *best_response_path(war, max_steps))


def _settled(war: War, profile: np.ndarray, ok: np.ndarray, vals: np.ndarray) -> Solution:
    """The solution from where best response stopped (profile (D, n), ok (D,), values (D, T, 4)):
    the draws where it did not settle are repaired (:func:`_repair`)."""
    d, t = war.draws, vals.shape[1]
    method = np.zeros(d, dtype=np.int8)
    lam = np.full(d, np.nan)
    mixed = np.full((d, t, N_OPTIONS), np.nan)
    bad = np.nonzero(~ok)[0]
    if len(bad):
        sub = rows(war, bad)
        p, o, v, m, lm, mx = _repair(sub, profile[bad].copy(), vals[bad])
        profile[bad], ok[bad], vals[bad], method[bad], lam[bad], mixed[bad] = p, o, v, m, lm, mx
    return Solution(profile, ok, vals, method, lam, mixed)


def _repair(war: War, profile: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, ...]:
    third = np.nonzero(war.third)[0]
    d, t = war.draws, len(third)
    gains = _gains(vals, profile[:, third])
    matter = gains > 0
    ok = np.zeros(d, dtype=bool)
    method = np.full(d, LOGIT_QRE, dtype=np.int8)
    lam = np.full(d, np.nan)
    mixed = np.full((d, t, N_OPTIONS), np.nan)
    # out of steps exactly where nobody gains: best response did reach an equilibrium
    todo: np.ndarray = np.asarray(matter.any(-1))
    ok[~todo], method[~todo] = True, BEST_RESPONSE
    while todo.any():
        keys: dict[bytes, list[int]] = {}
        for r in np.nonzero(todo)[0].tolist():
            keys.setdefault(np.packbits(matter[r]).tobytes(), []).append(r)
        who: dict[int, np.ndarray] = {}  # per draw: the third parties (indices into ``third``) of its subgame
        for members in keys.values():
            idx = np.array(members)
            w = np.nonzero(matter[idx[0]])[0]
            if len(w) > SUBGAME_MAX:  # too many to enumerate: the QRE among the largest gains
                w = np.sort(np.argsort(-gains[idx].max(0), kind="stable")[:SUBGAME_MAX])
            who.update((r, w) for r in members)
        todo[:] = False
        # the games among those that matter, batched by their size; their QREs only where needed
        grid: dict[int, np.ndarray] = {}
        cand: dict[int, np.ndarray] = {}
        for size in sorted({len(w) for w in who.values()}):
            idx = np.array([i for i, w in who.items() if len(w) == size])
            g = _subgame(war, idx, profile[idx], third[np.stack([who[i] for i in idx])])
            c = _candidates(g, undominated(g))  # (Dg, 4^s) the pure equilibria among the options that survive
            grid.update((i, g[r]) for r, i in enumerate(idx.tolist()))
            cand.update((i, np.nonzero(c[r])[0]) for r, i in enumerate(idx.tolist()))
        logs = _traces(grid, [i for i, c in cand.items() if len(c) > 1])
        # the pure equilibria of each game, likeliest under the QRE first, checked in the whole war
        trials: dict[int, np.ndarray] = {}
        for i, found in cand.items():
            combos = _combos(len(who[i]))
            if len(found) > 1:
                like = logs[i][0][np.arange(len(who[i])), combos[found]].sum(-1)
                found = found[np.argsort(-like, kind="stable")]
            trials[i] = np.repeat(profile[i][None], len(found), axis=0)
            trials[i][:, third[who[i]]] = combos[found]
        at = np.concatenate([np.full(len(trials[i]), i) for i in cand])
        gain = _check(war, at, np.concatenate([trials[i] for i in cand]))
        answer: list[int] = []
        for i in cand:
            g = gain[at == i]
            stable = np.nonzero(~(g > 0).any(-1))[0]
            if len(stable):
                profile[i] = trials[i][stable[0]]
                ok[i], method[i] = True, ENUMERATION
                continue
            grew = False
            if len(g):
                more = (g > 0).any(0) & ~matter[i]
                if more.any() and matter[i].sum() + more.sum() <= SUBGAME_MAX:
                    matter[i] |= more
                    todo[i] = grew = True
            if not grew and matter[i].sum() < t <= SUBGAME_MAX:  # few enough to enumerate them all
                matter[i] = True
                todo[i] = grew = True
            if not grew:  # no pure equilibrium found: the QRE is the answer
                answer.append(i)
        logs.update(_traces(grid, [i for i in answer if i not in logs]))
        for i in answer:
            sigma, lam[i] = np.exp(logs[i][0]), logs[i][1]
            profile[i, third[who[i]]] = sigma.argmax(-1)
            mixed[i] = np.eye(N_OPTIONS)[profile[i, third]]
            mixed[i, who[i]] = sigma
    vals, _ = option_values(war, profile)
    return profile, ok, vals, method, lam, mixed


def _traces(grid: dict[int, np.ndarray], which: list[int]) -> dict[int, tuple[np.ndarray, float]]:
    """The QREs (:func:`_trace`) of the games ``grid[i]`` of the draws ``which``, batched by size:
    per draw, the log-probabilities (s, 4) and λ."""
    out: dict[int, tuple[np.ndarray, float]] = {}
    for shape in sorted({grid[i].shape for i in which}):
        idx = [i for i in which if grid[i].shape == shape]
        _, logp, lam = _trace(np.stack([grid[i] for i in idx]))
        out.update((i, (logp[r], float(lam[r]))) for r, i in enumerate(idx))
    return out


def _check(war: War, idx: np.ndarray, trial: np.ndarray) -> np.ndarray:
    """(P, T) each third party's gain from deviating from the profiles ``trial`` (P, n), each
    in the draw ``idx`` (P,), in batches of at most :data:`SUBGAME_ELEMENTS` array elements."""
    third = np.nonzero(war.third)[0]
    if not len(idx):
        return np.zeros((0, len(third)))
    per = max(1, N_OPTIONS * len(third) * len(war.actor_ids) * len(war.issue_ids))
    step = max(1, SUBGAME_ELEMENTS // per)
    out = []
    for start in range(0, len(idx), step):
        part = slice(start, start + step)
        vals, _ = option_values(rows(war, idx[part]), trial[part])
        out.append(_gains(vals, trial[part][:, third]))
    return np.concatenate(out)


def _combos(s: int) -> np.ndarray:
    """The 4^s profiles of s players' options (4^s, s); the first varies slowest."""
    grids = np.meshgrid(*([np.arange(N_OPTIONS, dtype=np.int8)] * s), indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=-1) if s else np.zeros((1, 0), dtype=np.int8)


def _subgame(war: War, idx: np.ndarray, held: np.ndarray, who: np.ndarray) -> np.ndarray:
    """The payoffs of the games among the third parties ``who`` (Dg, s; actor indices, one set per
    draw), the others at ``held`` (Dg, n) in the draws ``idx``: (Dg, 4, ..., 4, s), player j's
    option on axis 1 + j."""
    s = who.shape[1]
    combos = _combos(s)
    per = max(1, len(combos) * len(war.actor_ids) * len(war.issue_ids))
    step = max(1, SUBGAME_ELEMENTS // per)
    out = []
    for start in range(0, len(idx), step):
        part = slice(start, start + step)
        mine = who[part]
        roles = np.repeat(held[part][:, None, :], len(combos), axis=1)
        at = np.arange(len(mine))[:, None, None], np.arange(len(combos))[None, :, None], mine[:, None, :]
        roles[at] = combos[None]
        value = payoffs(rows(war, idx[part]), roles).value
        out.append(np.take_along_axis(value, np.broadcast_to(mine[:, None, :], value.shape[:2] + (s,)), axis=-1))
    return np.concatenate(out).reshape((len(idx),) + (N_OPTIONS,) * s + (s,))


def _width(grid: np.ndarray) -> int:
    """Options per player in a game (Dg, k, ..., k, s): read from the game, so the solvers below
    hold for any number of options (a game of no players has the table's)."""
    return grid.shape[1] if grid.ndim > 2 else N_OPTIONS


def _others(alive: np.ndarray, j: int) -> np.ndarray:
    """(Dg, 4, ..., 4) with player j's axis of length 1: the others' surviving options jointly."""
    dg, s, _ = alive.shape
    mask = np.ones((dg,) + (1,) * s, dtype=bool)
    for i in range(s):
        if i != j:
            shape = [dg] + [1] * s
            shape[1 + i] = alive.shape[-1]
            mask = mask & alive[:, i].reshape(shape)
    return mask


def undominated(grid: np.ndarray) -> np.ndarray:
    """Iterated elimination of strictly dominated options in a game (Dg, 4, ..., 4, s): (Dg, s, 4)
    the options that survive. An option unavailable to a player never survives if another is
    available."""
    dg, s, k = grid.shape[0], grid.shape[-1], _width(grid)
    alive = np.ones((dg, s, k), dtype=bool)
    while True:
        before = alive.copy()
        for j in range(s):
            v = np.moveaxis(grid[..., j], 1 + j, 1)  # (Dg, 4, others...)
            rest = np.moveaxis(_others(alive, j), 1 + j, 1)[:, 0]  # (Dg, others...)
            diff = v[:, None] - v[:, :, None]  # [o, o'] = v(o') - v(o)
            better = np.where(rest[:, None, None], diff > TOL * (1.0 + np.abs(v[:, :, None])), True)
            strictly = better.reshape(dg, k, k, -1).all(-1) & alive[:, j][:, None, :]
            alive[:, j] &= ~strictly.any(-1)
        if (alive == before).all():
            return alive


def _candidates(grid: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """(Dg, 4^s) the pure equilibria of the game among the surviving options."""
    dg, s = grid.shape[0], grid.shape[-1]
    ok = np.ones(grid.shape[:-1], dtype=bool)
    for j in range(s):
        v = grid[..., j]
        ok &= v >= v.max(axis=1 + j, keepdims=True) - TOL * (1.0 + np.abs(v))
        shape = [dg] + [1] * s
        shape[1 + j] = alive.shape[-1]
        ok &= alive[:, j].reshape(shape)
    return ok.reshape(dg, -1)


def expected(grid: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Each player's expected payoff of each option (Dg, s, 4) when the others mix by ``sigma``."""
    return _expected(_by_player(grid), sigma)


def _by_player(grid: np.ndarray) -> np.ndarray:
    """(Dg, s, k^s): each player's payoffs over the joint options (the first player slowest)."""
    dg, s = grid.shape[0], grid.shape[-1]
    return np.ascontiguousarray(np.moveaxis(grid, -1, 1).reshape(dg, s, -1))


def _expected(a: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """:func:`expected` from the payoffs arranged by :func:`_by_player`."""
    dg, s = a.shape[:2]
    out = np.zeros((dg, s, sigma.shape[-1]))
    if s:
        _contract(a, sigma, np.arange(s), out)
    return out


def _mix(sigma: np.ndarray, players: np.ndarray) -> np.ndarray:
    """(Dg, k^n) the probability of each joint option of the n ``players`` (the first varies slowest)."""
    w = sigma[:, players[0]]
    for i in players[1:]:
        w = (w[:, :, None] * sigma[:, i, None, :]).reshape(w.shape[0], -1)
    return w


def _contract(a: np.ndarray, sigma: np.ndarray, players: np.ndarray, out: np.ndarray) -> None:
    """Write into ``out`` the expected payoffs of the n ``players``: ``a`` (Dg, n, k^n), k options
    each, holds their own payoffs over their joint options, the other players already averaged
    out. The players are halved: each half's payoffs are averaged over the other half's joint mix
    in one batched product, then each half recurses, so a game of s players costs about 2 s products over k^s entries
    instead of s (s - 1) passes."""
    n, k = len(players), sigma.shape[-1]
    if n == 1:
        out[:, players[0]] = a[:, 0]
        return
    dg, h = a.shape[0], n // 2
    left, right = players[:h], players[h:]
    cube = a.reshape(dg, n, k ** h, k ** (n - h))
    _contract((cube[:, :h] @ _mix(sigma, right)[:, None, :, None])[..., 0], sigma, left, out)
    _contract((_mix(sigma, left)[:, None, None, :] @ cube[:, h:])[:, :, 0], sigma, right, out)


def _logit(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    z = lam[:, None, None] * (u - u.max(-1, keepdims=True))
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def _scaled(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each game's payoffs by player (:func:`_by_player`) and the range of its available payoffs
    (Dg,), the unit of λ in :data:`LAMBDAS`."""
    dg = grid.shape[0]
    real = grid > UNAVAILABLE / 2
    span = np.where(real, grid, np.nan).reshape(dg, -1)
    with np.errstate(invalid="ignore"):
        scale = np.nanmax(span, -1) - np.nanmin(span, -1) if span.shape[-1] else np.ones(dg)
    return _by_player(grid), np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)


def _damped(by_player: np.ndarray, scale: np.ndarray, sigma: np.ndarray, start: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The damped fixed-point corrector (module docstring) from the QREs ``sigma`` (Dg, s, k) at
    the points λ = ``start`` (Dg,; units of 1 / the range) along the points of :data:`LAMBDAS`
    above them: the probabilities at the last point where it converged, and that λ in the same
    units."""
    dg = len(sigma)
    done = start.astype(float).copy()
    going = np.ones(dg, dtype=bool)
    for step in LAMBDAS:
        ahead = going & (step > done)
        if not ahead.any():
            continue
        lam = step / scale
        trial = sigma.copy()
        alpha = 1.0 / (1.0 + 0.5 * step)
        err = np.full(dg, np.inf)
        for _ in range(CORRECTOR_STEPS):
            target = _logit(_expected(by_player, trial), lam)
            err = np.abs(target - trial).max((-1, -2))
            trial = np.where(ahead[:, None, None], (1 - alpha) * trial + alpha * target, trial)
            if (err[ahead] < CORRECTOR_TOL).all():
                break
        fine = ahead & (err < 1e-7)
        sigma = np.where(fine[:, None, None], trial, sigma)
        done = np.where(fine, step, done)
        going &= fine | ~ahead
        if not going.any():
            break
    return sigma, done


def qre_damped(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logit QRE traced by the damped corrector alone, without a predictor (the reference the
    path follower of :func:`qre` is tested and timed against): the probabilities (Dg, s, 4) at the
    last point of :data:`LAMBDAS` where it converged, and that λ in utility units (Dg,)."""
    dg, s, k = grid.shape[0], grid.shape[-1], _width(grid)
    by_player, scale = _scaled(grid)
    sigma, done = _damped(by_player, scale, np.full((dg, s, k), 1 / k), np.full(dg, -1.0))
    return sigma, np.maximum(done, 0.0) / scale


def _loo(t: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """(B, n, k): a tensor ``t`` (B, k^n) over n positions' options (the first slowest) averaged,
    for each position p, over every other position's mix ``sig`` (B, n, k). The positions are
    halved as in :func:`_contract`."""
    b, n, k = sig.shape
    if n == 1:
        return t[:, None, :]
    h = n // 2
    cube = t.reshape(b, k ** h, k ** (n - h))
    pos = np.arange(n)
    left = _loo((cube @ _mix(sig, pos[h:])[:, :, None])[..., 0], sig[:, :h])
    right = _loo((_mix(sig, pos[:h])[:, None, :] @ cube)[:, 0], sig[:, h:])
    return np.concatenate([left, right], axis=1)


class _Path:
    """The logit-QRE equations of a batch of games and their derivatives (:func:`qre`)."""

    def __init__(self, by_player: np.ndarray, scale: np.ndarray, k: int) -> None:
        dg, s = by_player.shape[:2]
        self.s, self.k, self.n = s, k, s * k
        a = by_player / scale[:, None, None]
        # own[:, j] = player j's payoffs with its own option first, then the others' in order
        self.own = np.stack([np.moveaxis(a[:, j].reshape((dg,) + (k,) * s), 1 + j, 1).reshape(dg, k, -1)
                             for j in range(s)], axis=1)  # (Dg, s, k, k^(s-1))
        self.others = np.array([[i for i in range(s) if i != j] for j in range(s)], dtype=np.intp).reshape(s, s - 1)
        jj, pp = np.nonzero(np.ones((s, s - 1), dtype=bool))
        self.pairs = (jj, pp, self.others[jj, pp])

    def evaluate(self, rows: np.ndarray, y: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, ...]:
        """At log-probabilities ``y`` (B, s, k) and μ (B,) of the games ``rows``: σ, the logit
        response p, the residual G = y - log p (B, N), and its derivatives G_y (B, N, N) and G_μ (B, N)."""
        s, k, n = self.s, self.k, self.n
        b = len(rows)
        sigma = np.exp(y)
        own = self.own[rows]
        if s > 1:
            sig_o = np.broadcast_to(sigma[:, self.others][:, :, None], (b, s, k, s - 1, k)).reshape(-1, s - 1, k)
            pair = _loo(own.reshape(b * s * k, -1), sig_o).reshape(b, s, k, s - 1, k)
            u = (pair[:, :, :, 0, :] * sigma[:, self.others[:, 0]][:, :, None, :]).sum(-1)
        else:
            pair = np.zeros((b, s, k, 0, k))
            u = own[..., 0]
        lam = np.expm1(mu)
        z = lam[:, None, None] * (u - u.max(-1, keepdims=True))
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        p = np.exp(logp)
        g = (y - logp).reshape(b, n)
        mean_u = (p * u).sum(-1, keepdims=True)
        g_mu = (-(u - mean_u) * (1.0 + lam)[:, None, None]).reshape(b, n)
        # d u_ja / d sigma_ic, less its mean under p_j, for i != j
        dev = pair - (p[:, :, :, None, None] * pair).sum(2, keepdims=True)
        blocks = np.zeros((b, s, s, k, k))
        jj, pp, ii = self.pairs
        blocks[:, jj, ii] = dev.transpose(0, 1, 3, 2, 4)[:, jj, pp]
        full = blocks.transpose(0, 1, 3, 2, 4).reshape(b, n, n)
        g_y = np.eye(n)[None] - lam[:, None, None] * full * sigma.reshape(b, 1, n)
        return sigma, p, g, g_y, g_mu


def _linear(m: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Solve m x = r (batched), rows equilibrated; NaN where a system is singular."""
    big = np.abs(m).max(-1, keepdims=True)
    big = np.where(big > 0, big, 1.0)
    m, r = m / big, r / big[..., 0]
    try:
        return np.linalg.solve(m, r[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(r.shape, np.nan)
        for i in range(len(m)):
            try:
                out[i] = np.linalg.solve(m[i], r[i])
            except np.linalg.LinAlgError:
                pass
        return out


#: The path follower: its first step and longest step (arclength, in the metric of :func:`qre`),
#: the factor by which a step shrinks after a failed correction, the shortest step before the
#: damped corrector takes over, the largest correction (in probability, and in μ) and the largest
#: turn of the tangent (radians) a step may take, the Newton iterations per step, the residual
#: max |σ - p| at which a point on the way is accepted and the one at which the last is, and the
#: most steps along one path.
PATH_STEP, PATH_STEP_MAX, PATH_SHRINK, PATH_STEP_MIN = 0.3, 2.0, 0.3, 1e-7
PATH_MOVE, PATH_TURN = 0.03, 0.4
NEWTON_STEPS, PATH_TOL, NEWTON_TOL, PATH_STEPS = 8, 1e-8, 1e-12, 2000


def _tangent(g_y: np.ndarray, g_mu: np.ndarray, before: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The unit tangent (B, N + 1) of the path where the derivatives are ``g_y``, ``g_mu``: the null
    vector of [G_y G_μ], oriented along the tangent ``before`` (B, N + 1), of unit length in the
    metric ``weight`` (B, N + 1: σ on y, 1 on μ)."""
    b, n = g_mu.shape
    m = np.concatenate([np.concatenate([g_y, g_mu[..., None]], -1), (before * weight)[:, None]], 1)
    rhs = np.zeros((b, n + 1))
    rhs[:, -1] = 1.0
    t = _linear(m, rhs)
    return t / np.sqrt((weight * t * t).sum(-1, keepdims=True))


def qre(grid: np.ndarray, top: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The logit QRE of a game (Dg, 4, ..., 4, s) on its principal branch, followed from λ = 0 to
    the last point of :data:`LAMBDAS` by the predictor-corrector of the module docstring: the
    probabilities (Dg, s, 4) and λ in utility units (Dg,). Where Newton's corrector fails the
    damped corrector goes on from the last point reached, and λ is then the last point where it
    converged. Options unavailable to a player get probability 0 at every λ > 0. ``top``: where to
    stop instead, in units of 1 / the range of the payoffs (a number or one per game)."""
    return _trace(grid, top)[::2]


def _trace(grid: np.ndarray, top: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`qre`, and the log-probabilities (Dg, s, 4) (finite where the probability underflows);
    ``top`` (Dg,): where to stop, in units of 1 / the range (default the last of :data:`LAMBDAS`)."""
    dg, s, k = grid.shape[0], grid.shape[-1], _width(grid)
    by_player, scale = _scaled(grid)
    path = _Path(by_player, scale, k)
    n = s * k
    end = np.log1p(np.broadcast_to(LAMBDAS[-1] if top is None else top, (dg,)))
    y = np.full((dg, s, k), -np.log(k))
    mu = np.zeros(dg)
    tangent = np.zeros((dg, n + 1))
    tangent[:, -1] = 1.0
    h = np.full(dg, PATH_STEP)
    weight = np.ones((dg, n + 1))  # the metric at the last point: σ on y, 1 on μ
    weight[:, :n] = 1 / k
    going = np.ones(dg, dtype=bool)
    fresh = np.ones(dg, dtype=bool)  # the tangent is still to be computed at the point
    failed = np.zeros(dg, dtype=bool)
    steps = np.zeros(dg, dtype=int)
    # a predictor may overshoot (probabilities above one, overflow): such a step fails and is cut
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while going.any():
            rows = np.nonzero(going)[0]
            b = len(rows)
            x0 = np.concatenate([y[rows].reshape(b, n), mu[rows, None]], axis=1)
            new = fresh[rows]
            if new.any():  # at the start: the tangent at λ = 0
                r = rows[new]
                _, _, _, g_y, g_mu = path.evaluate(r, y[r], mu[r])
                tangent[r] = _tangent(g_y, g_mu, tangent[r], weight[r])
                fresh[r] = False
            t = tangent[rows]
            step = h[rows]
            last = (t[:, -1] > 0) & (mu[rows] + step * t[:, -1] >= end[rows])
            step = np.where(last, (end[rows] - mu[rows]) / np.where(last, t[:, -1], 1.0), step)
            pred = x0 + step[:, None] * t
            # the corrector's extra equation: arclength (c . x = c . pred), or μ at its end
            c = np.where(last[:, None], np.eye(n + 1)[-1], t * weight[rows])
            target = (c * pred).sum(-1)
            x = pred.copy()
            done = np.zeros(b, dtype=bool)
            bad = ~np.isfinite(x).all(-1) | (x[:, :n] > 1.0).any(-1)
            ahead = np.zeros((b, n + 1))  # the tangent at the corrected point
            tol = np.where(last, NEWTON_TOL, PATH_TOL)
            for _ in range(NEWTON_STEPS):
                live = np.nonzero(~done & ~bad)[0]
                if not len(live):
                    break
                yl = x[live, :n].reshape(-1, s, k)
                sigma, p, g, g_y, g_mu = path.evaluate(rows[live], yl, x[live, -1])
                resid = np.abs(sigma - p).max((-1, -2)) if s else np.zeros(len(live))
                ok = resid < tol[live]
                if ok.any():
                    li = live[ok]
                    done[li] = True
                    at = np.concatenate([sigma[ok].reshape(-1, n), np.ones((len(li), 1))], 1)
                    ahead[li] = _tangent(g_y[ok], g_mu[ok], t[li], at)
                go = ~ok
                if not go.any():
                    break
                li = live[go]
                m = np.concatenate([np.concatenate([g_y[go], g_mu[go][..., None]], -1), c[li][:, None]], 1)
                rhs = -np.concatenate([g[go], ((c[li] * x[li]).sum(-1) - target[li])[:, None]], 1)
                dx = _linear(m, rhs)
                x[li] += dx
                bad[li] |= ~np.isfinite(dx).all(-1) | (x[li, -1] < -1e-12) | (x[li, :n] > 1.0).any(-1)
            # accepted: converged, near the prediction, and turned by less than PATH_TURN (so that
            # the corrector cannot jump to another branch of QREs)
            moved = np.maximum(np.abs(np.exp(x[:, :n]) - np.exp(pred[:, :n])).max(-1), np.abs(x[:, -1] - pred[:, -1]))
            w_new = np.concatenate([np.exp(x[:, :n]), np.ones((b, 1))], 1)
            turn = (w_new * t * ahead).sum(-1) / np.sqrt((w_new * t * t).sum(-1))
            good = done & ~bad & (moved <= PATH_MOVE) & (turn >= np.cos(PATH_TURN))
            gi = rows[good]
            y[gi] = x[good, :n].reshape(-1, s, k)
            mu[gi] = np.maximum(x[good, -1], 0.0)
            weight[gi, :n] = np.exp(y[gi]).reshape(len(gi), n)
            tangent[gi] = ahead[good]
            # the next step: scaled so that its correction would be about half the largest
            with np.errstate(divide="ignore"):
                grow = np.clip(np.sqrt(0.5 * PATH_MOVE / moved), 0.5, 2.0)
            h[gi] = np.minimum(grow[good] * h[gi], PATH_STEP_MAX)
            going[gi[last[good]]] = False
            bi = rows[~good]
            h[bi] *= PATH_SHRINK
            steps[rows] += 1
            stuck = going & ((h < PATH_STEP_MIN) | (steps > PATH_STEPS))
            failed |= stuck
            going &= ~stuck
    lam_s = np.expm1(mu)
    sigma = np.exp(y)
    if failed.any():  # the damped corrector from the last point reached
        sub, at = _damped(by_player[failed], scale[failed], sigma[failed], lam_s[failed])
        moved = at > lam_s[failed]
        y[failed] = np.where(moved[:, None, None], np.log(np.maximum(sub, 1e-300)), y[failed])
        sigma[failed], lam_s[failed] = sub, np.maximum(at, lam_s[failed])
    return sigma, y, lam_s / scale


__all__ = ["BEST_RESPONSE", "ENUMERATION", "LOGIT_QRE", "METHODS", "Solution", "expected", "qre", "rows", "solve",
           "undominated"]
