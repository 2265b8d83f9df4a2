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
3. **Logit quantal-response equilibrium** (McKelvey & Palfrey 1995) of the same game, traced from
   λ = 0 (everyone mixes uniformly) upward, the path followed in small steps of λ with a damped
   fixed-point corrector from the previous point: the homotopy of Turocy (2005), without its
   predictor step. Where several pure equilibria pass the check, the one the traced QRE puts most
   probability on is selected (the logit solution's selection, McKelvey & Palfrey 1995, sec. 4).
   Where none exists, the QRE itself is the answer, reported as a mixed profile with its λ,
   never the cycle's last profile.

Everything is vectorised over draws (axis D); draws that share the third parties that matter are
solved together.
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
from tertius.conflict.war import DRAWN, N_OPTIONS, STACKED, War

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


def rows(war: War, idx: np.ndarray) -> War:
    """The war restricted to the draws ``idx``: the drawn fields, and the per-actor fields that
    carry a draw axis ((D, 1, n), :func:`tertius.conflict.war.stack`)."""
    changes = {name: getattr(war, name)[idx] for name in DRAWN}
    changes.update({name: getattr(war, name)[idx] for name in STACKED if np.ndim(getattr(war, name)) == 3})
    return replace(war, **changes)


def _gains(vals: np.ndarray, current: np.ndarray) -> np.ndarray:
    """(D, T) each third party's gain from its best option over its current one."""
    here = np.take_along_axis(vals, current[..., None].astype(np.intp), axis=-1)[..., 0]
    gain = vals.max(-1) - here
    return np.where(gain > TOL * (1.0 + np.abs(here)), gain, 0.0)


def solve(war: War, max_steps: int | None = None) -> Solution:
    """The reported equilibrium of every draw: iterated best response where it settles, else
    dominance + enumeration among the third parties that matter, else a logit QRE."""
    third = np.nonzero(war.third)[0]
    d, t = war.draws, len(third)
    if t == 0:
        return Solution(base_profile(war), np.ones(d, dtype=bool), np.zeros((d, 0, N_OPTIONS)), np.zeros(d, dtype=np.int8),
                        np.full(d, np.nan), np.zeros((d, 0, N_OPTIONS)))
    profile, ok, vals = best_response_path(war, max_steps)
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
        for i in np.nonzero(todo)[0]:
            keys.setdefault(np.packbits(matter[i]).tobytes(), []).append(int(i))
        for members in keys.values():
            idx = np.array(members)
            who = np.nonzero(matter[idx[0]])[0]
            if len(who) > SUBGAME_MAX:  # too many to enumerate: the QRE among the largest gains
                who = np.sort(np.argsort(-gains[idx].max(0), kind="stable")[:SUBGAME_MAX])
            grid = _subgame(war, idx, profile[idx], third[who])
            sigma, lam_g = qre(grid)
            alive = undominated(grid)
            cand = _candidates(grid, alive)  # (Dg, 4^s) bool
            combos = _combos(len(who))
            for gi, i in enumerate(idx):
                todo[i] = False
                found = np.nonzero(cand[gi])[0]
                grew = False
                if len(found):
                    # the pure equilibria of the game among those that matter, likeliest under the QRE first
                    like = np.prod(sigma[gi][np.arange(len(who)), combos[found]], axis=-1)
                    order = found[np.argsort(-like, kind="stable")]
                    trial = np.repeat(profile[i][None], len(order), axis=0)
                    trial[:, third[who]] = combos[order]
                    g = _check(rows(war, np.full(len(order), i)), trial)
                    stable = np.nonzero(~(g > 0).any(-1))[0]
                    if len(stable):
                        profile[i] = trial[stable[0]]
                        ok[i], method[i] = True, ENUMERATION
                        continue
                    more = (g > 0).any(0) & ~matter[i]
                    if more.any() and matter[i].sum() + more.sum() <= SUBGAME_MAX:
                        matter[i] |= more
                        todo[i] = grew = True
                if not grew and matter[i].sum() < t <= SUBGAME_MAX:  # few enough to enumerate them all
                    matter[i] = True
                    todo[i] = grew = True
                if not grew:  # no pure equilibrium found: the QRE is the answer
                    top = sigma[gi].argmax(-1)
                    profile[i, third[who]] = top
                    mixed[i] = np.eye(N_OPTIONS)[profile[i, third]]
                    mixed[i, who] = sigma[gi]
                    lam[i] = lam_g[gi]
    vals, _ = option_values(war, profile)
    return profile, ok, vals, method, lam, mixed


def _check(war: War, trial: np.ndarray) -> np.ndarray:
    """(D, T) each third party's gain from deviating from the profiles ``trial`` (D, n)."""
    third = np.nonzero(war.third)[0]
    vals, _ = option_values(war, trial)
    return _gains(vals, trial[:, third])


def _combos(s: int) -> np.ndarray:
    """The 4^s profiles of s players' options (4^s, s); the first varies slowest."""
    grids = np.meshgrid(*([np.arange(N_OPTIONS, dtype=np.int8)] * s), indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=-1) if s else np.zeros((1, 0), dtype=np.int8)


def _subgame(war: War, idx: np.ndarray, held: np.ndarray, who: np.ndarray) -> np.ndarray:
    """The payoffs of the game among the third parties ``who`` (s), the others at ``held`` (Dg, n)
    in the draws ``idx``: (Dg, 4, ..., 4, s), player j's option on axis 1 + j."""
    s = len(who)
    combos = _combos(s)
    per = max(1, len(combos) * len(war.actor_ids) * len(war.issue_ids))
    step = max(1, SUBGAME_ELEMENTS // per)
    out = []
    for start in range(0, len(idx), step):
        part = idx[start:start + step]
        roles = np.repeat(held[start:start + step][:, None, :], len(combos), axis=1)
        roles[:, :, who] = combos[None]
        out.append(payoffs(rows(war, part), roles).value[..., who])
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


def qre(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logit QRE of a game (Dg, 4, ..., 4, s) traced from λ = 0 upward (module docstring):
    the probabilities (Dg, s, 4) at the last λ where the corrector converged, and that λ in
    utility units (Dg,). Options unavailable to a player get probability 0 at every λ > 0."""
    dg, s, k = grid.shape[0], grid.shape[-1], _width(grid)
    real = grid > UNAVAILABLE / 2
    span = np.where(real, grid, np.nan).reshape(dg, -1)
    scale = np.nanmax(span, -1) - np.nanmin(span, -1)
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
    by_player = _by_player(grid)
    sigma = np.full((dg, s, k), 1 / k)
    done = np.zeros(dg)
    going = np.ones(dg, dtype=bool)
    for step in LAMBDAS:
        lam = step / scale
        trial = sigma.copy()
        alpha = 1.0 / (1.0 + 0.5 * step)
        err = np.full(dg, np.inf)
        for _ in range(CORRECTOR_STEPS):
            target = _logit(_expected(by_player, trial), lam)
            err = np.abs(target - trial).max((-1, -2))
            trial = np.where(going[:, None, None], (1 - alpha) * trial + alpha * target, trial)
            if (err[going] < CORRECTOR_TOL).all():
                break
        fine = going & (err < 1e-7)
        sigma = np.where(fine[:, None, None], trial, sigma)
        done = np.where(fine, lam, done)
        going &= fine
        if not going.any():
            break
    return sigma, done


__all__ = ["BEST_RESPONSE", "ENUMERATION", "LOGIT_QRE", "METHODS", "Solution", "expected", "qre", "rows", "solve",
           "undominated"]
